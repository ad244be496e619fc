import { rolloutSummary, waveTable } from '../../../local/cli/rollouts/renderRollout';
import type { RolloutView, WaveStatus } from '../../../contracts/rolloutApi';

/** The text without colors, whatever the terminal. */
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

const totals = { targeted: 10, pending: 2, inProgress: 6, succeeded: 1, failed: 1, timedOut: 0, skipped: 0, canceled: 0 };
const wave: WaveStatus = {
  index: 0,
  name: 'all',
  percent: 100,
  state: 'running',
  ...totals,
  inProgressBy: { waiting: 1, downloading: 1, staged: 4, applying: 0 },
  pass: 'stage',
};
const view = {
  id: 'fw-2-1',
  state: 'running',
  phase: 'running',
  firmware: { version: '2.1.0', uri: 'https://fw.example.com/2.1.0.bin', sha256: 'a'.repeat(64), size: 10 },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:05:00.000Z',
  startedAt: '2025-01-01T00:00:05.000Z',
  totals,
  inProgressBy: wave.inProgressBy,
  waves: [wave],
  policy: {
    failureThreshold: { percent: 10, minDevices: 3, action: 'pause' },
    approval: { mode: 'auto' },
    maxConcurrency: 20,
    soakSeconds: 0,
    stageThenApply: { stagedPercent: 90, deadlineMinutes: 120 },
  },
  approvalDeadline: null,
  nextWindowAt: null,
  failureShare: null,
  control: { command: 'run', pauseReason: null, wave: 0, approvedThrough: -1, log: [] },
} as unknown as RolloutView;

describe('fleetwave rollout status with stageThenApply', () => {
  test('the staged count in the in-progress split, the barrier, and the pass of the wave the rollout is on', () => {
    const lines = plain(rolloutSummary(view)).split('\n');
    expect(lines[1]).toContain('6 in progress (1 waiting, 1 downloading, 4 staged, 0 applying)');
    expect(lines).toContain(
      '  stage then apply: apply once 90 % of a wave is staged, stage deadline 120 min; wave 1 (all): stage pass, 4 staged',
    );
  });

  test('the wave table shows the pass next to the state', () => {
    expect(plain(waveTable([wave]))).toContain('running (stage pass, 4 staged)');
  });
});
