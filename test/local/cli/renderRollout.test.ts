import { rolloutSummary, waveTable } from '../../../local/cli/rollouts/renderRollout';
import type { RolloutView, WaveStatus } from '../../../contracts/rolloutApi';

/** The text without colors, whatever the terminal. */
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

const totals = { targeted: 30, pending: 7, inProgress: 12, succeeded: 10, failed: 1, timedOut: 0, skipped: 0, canceled: 0 };
const view: RolloutView = {
  id: 'fw-2-1',
  state: 'running',
  phase: 'running',
  firmware: { version: '2.1.0', uri: 'https://fw.example.com/2.1.0.bin', sha256: 'a'.repeat(64), size: 10 },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:05:00.000Z',
  startedAt: '2025-01-01T00:00:05.000Z',
  totals,
  inProgressBy: { waiting: 3, downloading: 7, staged: 0, applying: 2 },
  waves: [],
  policy: {
    failureThreshold: { percent: 10, minDevices: 3, action: 'pause' },
    approval: { mode: 'auto' },
    maxConcurrency: 20,
    soakSeconds: 0,
  },
  approvalDeadline: null,
  nextWindowAt: null,
  mode: 'once',
  nextRescanAt: null,
  continuous: null,
  failureShare: { wave: 1, finished: 7, failed: 1, percent: 14.29 },
  control: { command: 'run', pauseReason: null, wave: 1, approvedThrough: -1, log: [] },
  actions: {
    pause: null,
    resume: 'the rollout is not paused',
    approve: 'the rollout is not awaiting approval',
    cancel: null,
    retry: 'the rollout is running: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried',
  },
  attempt: 1,
  attempts: [{ attempt: 1, startedAt: '2025-01-01T00:00:00.000Z', finishedAt: null, retried: null, totals }],
  links: { status: 's', devices: 'd', pause: 'p', resume: 'r', approve: 'a', cancel: 'c', retry: 'rt' },
};

describe('fleetwave rollout status', () => {
  test('after a retry: the attempt it is on and each attempt with what it retried and its own totals', () => {
    const first = { ...totals, pending: 0, inProgress: 0, succeeded: 26, failed: 3, timedOut: 1 };
    const retried: RolloutView = {
      ...view,
      totals: { ...first, succeeded: 27, failed: 1, timedOut: 0, inProgress: 2 },
      inProgressBy: { waiting: 2, downloading: 0, staged: 0, applying: 0 },
      attempt: 2,
      attempts: [
        { attempt: 1, startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T01:00:00.000Z', retried: null, totals: first },
        {
          attempt: 2,
          startedAt: '2025-01-02T00:00:00.000Z',
          finishedAt: null,
          retried: { states: ['failed', 'timedOut'], errorCodes: ['hashMismatch'] },
          totals: { ...totals, targeted: 4, pending: 0, inProgress: 2, succeeded: 1, failed: 1 },
        },
      ],
    };
    expect(plain(rolloutSummary(retried)).split('\n').slice(2, 5)).toEqual([
      "  attempt 2 of 2 (totals above: each device's latest):",
      '    1: every target, 2025-01-01T00:00:00.000Z to 2025-01-01T01:00:00.000Z; 30 devices: 26 succeeded, 3 failed, 1 timed out, ' +
        '0 in progress, 0 pending, 0 canceled',
      '    2: retried failed, timedOut (hashMismatch), 2025-01-02T00:00:00.000Z to now; 4 devices: 1 succeeded, 1 failed, 0 timed out, ' +
        '2 in progress, 0 pending, 0 canceled',
    ]);
    // One attempt: nothing about attempts.
    expect(plain(rolloutSummary(view))).not.toContain('attempt');
  });

  test('a continuous rollout: its rescans, until when, what it picked up and the next rescan', () => {
    const watching: RolloutView = {
      ...view,
      state: 'watching',
      totals: { ...totals, inProgress: 0, pending: 0 },
      policy: { ...view.policy!, continuous: { rescanMinutes: 5, until: '2026-12-31T00:00:00Z' } },
      mode: 'continuous',
      nextRescanAt: '2026-12-06T10:05:00.000Z',
      continuous: { wave: 1, pickedUp: 4, skipped: 1, rescans: 3, lastRescanAt: '2026-12-06T10:00:00.000Z' },
    };
    expect(plain(rolloutSummary(watching)).split('\n').at(-1)).toBe(
      '  continuous: rescans the target every 5 min until 2026-12-31T00:00:00Z; 4 picked up, 1 already on the version, 3 rescans; ' +
        'next rescan at 2026-12-06T10:05:00.000Z',
    );
    const before = {
      ...watching,
      policy: { ...watching.policy!, continuous: { rescanMinutes: 15 } },
      continuous: null,
      nextRescanAt: null,
    };
    expect(plain(rolloutSummary(before)).split('\n').at(-1)).toBe('  continuous: rescans the target every 15 min until canceled');
  });

  test('the totals with the in-progress split, and the failure threshold as set and as it stands', () => {
    expect(plain(rolloutSummary(view)).split('\n')).toEqual([
      'fw-2-1  running  firmware 2.1.0',
      '  30 targeted: 10 succeeded, 1 failed, 0 timed out, 12 in progress (3 waiting, 7 downloading, 2 applying), 7 pending, 0 skipped, ' +
        '0 canceled',
      '  failure threshold: pause above 10 % once 3 finished; now 14.29 % (1 of 7 finished) in wave 2',
    ]);
  });

  test('nothing in progress: no split; nothing finished yet, or no spec known any more', () => {
    const idle = {
      ...view,
      totals: { ...totals, inProgress: 0, pending: 19 },
      inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
    };
    const lines = plain(rolloutSummary({ ...idle, failureShare: null })).split('\n');
    expect(lines[1]).toContain(' 0 in progress, 19 pending');
    expect(lines[2]).toBe('  failure threshold: pause above 10 % once 3 finished; now no device finished yet');
    expect(plain(rolloutSummary({ ...idle, policy: null })).split('\n')).toHaveLength(2);
  });

  test('a schedule: its start, its windows and, while waiting for one, when the next opens', () => {
    const window = { days: ['sat' as const, 'sun' as const], from: '01:00', to: '05:00', timeZone: 'Europe/Berlin' };
    const schedule = { startAt: '2026-03-28T00:00:00+01:00', windows: [window] };
    const waiting = {
      ...view,
      state: 'waitingForWindow' as const,
      policy: { ...view.policy!, schedule },
      nextWindowAt: '2026-03-29T00:00:00.000Z',
    };
    expect(plain(rolloutSummary(waiting)).split('\n').slice(3)).toEqual([
      '  starts at 2026-03-28T00:00:00+01:00',
      '  maintenance windows: sat,sun 01:00-05:00 Europe/Berlin (next opens at 2026-03-29T00:00:00.000Z)',
    ]);
  });

  test('manual approval: its timeout, and while a wave awaits approval, when it times out', () => {
    const manual = (approval: NonNullable<RolloutView['policy']>['approval']) => ({ ...view, policy: { ...view.policy!, approval } });
    const approvalLine = (rollout: RolloutView) =>
      plain(rolloutSummary(rollout))
        .split('\n')
        .find((line) => line.includes('approval'));
    expect(approvalLine(view)).toBeUndefined();
    expect(approvalLine(manual({ mode: 'manual' }))).toBe('  approval: manual before each next wave, no timeout');
    const waiting = {
      ...manual({ mode: 'manual', timeoutMinutes: 90, onTimeout: 'pause' }),
      state: 'awaitingApproval' as const,
      approvalDeadline: '2025-01-01T01:30:00.000Z',
    };
    expect(approvalLine(waiting)).toBe(
      '  approval: manual before each next wave, pause after 90 min without it; wave 1 times out at 2025-01-01T01:30:00.000Z',
    );
    expect(approvalLine({ ...waiting, approvalDeadline: null })).toBe(
      '  approval: manual before each next wave, pause after 90 min without it',
    );
  });
});

describe('fleetwave rollout status with stageThenApply', () => {
  const stagedTotals = { targeted: 10, pending: 2, inProgress: 6, succeeded: 1, failed: 1, timedOut: 0, skipped: 0, canceled: 0 };
  const wave: WaveStatus = {
    index: 0,
    name: 'all',
    percent: 100,
    state: 'running',
    ...stagedTotals,
    inProgressBy: { waiting: 1, downloading: 1, staged: 4, applying: 0 },
    pass: 'stage',
  };
  const staged: RolloutView = {
    ...view,
    totals: stagedTotals,
    inProgressBy: wave.inProgressBy,
    waves: [wave],
    policy: { ...view.policy!, stageThenApply: { stagedPercent: 90, deadlineMinutes: 120 } },
    failureShare: null,
    control: { ...view.control, wave: 0 },
  };

  test('the staged count in the in-progress split, the barrier, and the pass of the wave the rollout is on', () => {
    const lines = plain(rolloutSummary(staged)).split('\n');
    expect(lines[1]).toContain('6 in progress (1 waiting, 1 downloading, 4 staged, 0 applying)');
    expect(lines).toContain(
      '  stage then apply: apply once 90 % of a wave is staged, stage deadline 120 min; wave 1 (all): stage pass, 4 staged',
    );
  });

  test('the wave table shows the pass next to the state', () => {
    expect(plain(waveTable([wave]))).toContain('running (stage pass, 4 staged)');
  });
});
