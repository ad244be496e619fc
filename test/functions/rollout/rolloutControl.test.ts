import {
  CONTROL_OPERATIONS,
  MAX_CONTROL_LOG,
  applyCommand,
  controlProblem,
  displayState,
  initialControlState,
  reportPhase,
} from '../../../functions/src/rollout';
import type { ControlOperation, RolloutControlState } from '../../../functions/src/rollout';

const AT = '2025-01-01T00:00:00.000Z';
const state = (changes: Partial<RolloutControlState> = {}): RolloutControlState => ({ ...initialControlState(), ...changes });
const applies = (s: RolloutControlState): ControlOperation[] =>
  CONTROL_OPERATIONS.filter((operation) => controlProblem(s, operation) === null);

describe('rollout control', () => {
  test('which commands apply in which state', () => {
    expect(applies(state())).toEqual(['pause', 'cancel']);
    expect(applies(state({ command: 'pause' }))).toEqual(['resume', 'cancel']);
    expect(applies(state({ phase: 'awaitingApproval', wave: 1 }))).toEqual(['approve', 'cancel']);
    expect(applies(state({ phase: 'awaitingApproval', wave: 1, approvedThrough: 1 }))).toEqual(['cancel']);
    expect(applies(state({ phase: 'paused', command: 'run' }))).toEqual(['pause', 'cancel']);
    expect(applies(state({ command: 'cancel' }))).toEqual([]);
    for (const final of ['completed', 'completedWithFailures', 'aborted', 'canceled'] as const)
      expect(applies(state({ phase: final }))).toEqual([]);
  });

  test('commands change the register, bump the generation on a change of command, and are logged', () => {
    const paused = applyCommand(state(), 'pause', AT);
    expect(paused).toMatchObject({
      command: 'pause',
      pauseReason: 'operator',
      generation: 1,
      updatedAt: AT,
      log: [{ operation: 'pause', time: AT }],
    });
    expect(applyCommand(paused, 'pause', AT)).toBe(paused);
    const resumed = applyCommand(paused, 'resume', AT);
    expect(resumed).toMatchObject({ command: 'run', pauseReason: null, generation: 2 });
    const approved = applyCommand(state({ phase: 'awaitingApproval', wave: 3 }), 'approve', AT);
    expect(approved).toMatchObject({ approvedThrough: 3, generation: 0 });
    expect(applyCommand(state(), 'cancel', AT)).toMatchObject({ command: 'cancel', generation: 1 });
    let noisy = state();
    for (let i = 0; i < 30; i += 1) noisy = applyCommand(noisy, i % 2 === 0 ? 'pause' : 'resume', AT);
    expect(noisy.log).toHaveLength(MAX_CONTROL_LOG);
  });

  test('the orchestration reports its phase; the threshold pauses unless canceled; a final phase sticks', () => {
    expect(reportPhase(state(), { phase: 'awaitingApproval', wave: 2 }, AT)).toMatchObject({
      phase: 'awaitingApproval',
      wave: 2,
      command: 'run',
    });
    expect(reportPhase(state(), { phase: 'paused', wave: 0, pausedBy: 'threshold' }, AT)).toMatchObject({
      command: 'pause',
      pauseReason: 'threshold',
      generation: 1,
    });
    expect(reportPhase(state({ command: 'cancel' }), { phase: 'paused', wave: 0, pausedBy: 'threshold' }, AT)).toMatchObject({
      command: 'cancel',
    });
    const done = reportPhase(state(), { phase: 'completed', wave: 2 }, AT);
    expect(reportPhase(done, { phase: 'running', wave: 0 }, AT)).toBe(done);
  });

  test('what is shown: a pending pause already paused, a pending resume already running', () => {
    expect(displayState(state({ command: 'pause' }))).toBe('paused');
    expect(displayState(state({ phase: 'paused', command: 'run' }))).toBe('running');
    expect(displayState(state({ phase: 'awaitingApproval', command: 'cancel' }))).toBe('awaitingApproval');
    expect(displayState(state({ phase: 'canceled', command: 'cancel' }))).toBe('canceled');
  });
});
