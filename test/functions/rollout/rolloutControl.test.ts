import {
  CONTROL_OPERATIONS,
  MAX_CONTROL_LOG,
  applyApprovalTimeout,
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

  test('an approval deadline is reported with awaitingApproval and gone with the next phase', () => {
    const waiting = reportPhase(state(), { phase: 'awaitingApproval', wave: 1, approvalDeadline: '2025-01-01T01:00:00.000Z' }, AT);
    expect(waiting.approvalDeadline).toBe('2025-01-01T01:00:00.000Z');
    expect(reportPhase(waiting, { phase: 'running', wave: 1 }, AT)).not.toHaveProperty('approvalDeadline');
    expect(reportPhase(waiting, { phase: 'canceled', wave: 1 }, AT)).not.toHaveProperty('approvalDeadline');
  });

  test('an approval timeout applies its action, unless an approve or cancel came first', () => {
    const waiting = state({ phase: 'awaitingApproval', wave: 2 });
    const at = '2025-01-01T01:00:00.000Z';
    const timeout = (action: 'cancel' | 'approve' | 'pause') => applyApprovalTimeout(waiting, { wave: 2, action, minutes: 60 }, at);
    expect(timeout('approve')).toMatchObject({ command: 'run', approvedThrough: 2, generation: 0 });
    expect(timeout('cancel')).toMatchObject({ command: 'cancel', pauseReason: null, approvedThrough: -1, generation: 1 });
    expect(timeout('pause')).toMatchObject({ command: 'pause', pauseReason: 'approvalTimeout', approvedThrough: -1, generation: 1 });
    expect(timeout('approve').log).toEqual([
      { time: at, operation: 'approvalTimeout', detail: 'wave 2 approved automatically after 60 min' },
    ]);
    for (const first of [applyCommand(waiting, 'approve', AT), applyCommand(waiting, 'cancel', AT)]) {
      for (const action of ['cancel', 'approve', 'pause'] as const)
        expect(applyApprovalTimeout(first, { wave: 2, action, minutes: 60 }, at)).toBe(first);
    }
    // Not the wave the rollout awaits (a late or stray report): nothing.
    expect(applyApprovalTimeout(waiting, { wave: 1, action: 'cancel', minutes: 60 }, at)).toBe(waiting);
  });

  test('paused by an approval timeout: resume is the approval of that wave; an ordinary resume approves nothing', () => {
    const paused = reportPhase(
      applyApprovalTimeout(state({ phase: 'awaitingApproval', wave: 2 }), { wave: 2, action: 'pause', minutes: 5 }, AT),
      { phase: 'paused', wave: 2 },
      AT,
    );
    expect(controlProblem(paused, 'approve')).toBe('the rollout is not awaiting approval');
    const resumed = applyCommand(paused, 'resume', AT);
    expect(resumed).toMatchObject({ command: 'run', pauseReason: null, approvedThrough: 2 });
    expect(resumed.log.at(-1)).toEqual({ time: AT, operation: 'resume', detail: 'resumed by the operator: wave 2 approved' });
    expect(applyCommand(state({ phase: 'paused', wave: 2, command: 'pause', pauseReason: 'operator' }), 'resume', AT)).toMatchObject({
      approvedThrough: -1,
    });
  });

  test('what is shown: a pending pause already paused, a pending resume already running', () => {
    expect(displayState(state({ command: 'pause' }))).toBe('paused');
    expect(displayState(state({ phase: 'paused', command: 'run' }))).toBe('running');
    expect(displayState(state({ phase: 'awaitingApproval', command: 'cancel' }))).toBe('awaitingApproval');
    expect(displayState(state({ phase: 'canceled', command: 'cancel' }))).toBe('canceled');
  });
});
