/**
 * A rollout's control register: what the operator (or the failure threshold) asks for and what
 * phase the rollout orchestration reports, in one small state that a durable entity keeps.
 *
 * Two writers, one rule set: the HTTP API applies operator commands (pause, resume, approve,
 * cancel) and the rollout orchestration reports its phase. The orchestrations read the register
 * when they decide (the wave before it starts new devices, the rollout when it is woken up or a
 * wave returns), so a command is never lost on the way: it is state, not a message.
 *
 * `controlProblem` is the single source of "does this command apply now?": the HTTP API answers
 * 409 with its message, and the entity ignores a command that no longer applies by the time it
 * arrives (two operators racing), so the register never holds a contradiction.
 */
import { CONTROL_OPERATIONS } from '../../../contracts/rolloutApi';
import type {
  ApprovalTimeoutAction,
  ControlCommand,
  ControlLogEntry,
  ControlOperation,
  PauseReason,
  RolloutState,
} from '../../../contracts/rolloutApi';
import { isFinalRolloutState } from './rolloutStatus';

export interface RolloutControlState {
  /** The phase the rollout orchestration last reported. */
  phase: RolloutState;
  /** The wave that phase is about: running, or awaiting approval to start. Null before planning. */
  wave: number | null;
  command: ControlCommand;
  pauseReason: PauseReason | null;
  /** The highest wave index the operator approved; -1 for none. */
  approvedThrough: number;
  /** While awaiting approval with a timeout: when it times out (ISO 8601), as the orchestration reported it. */
  approvalDeadline?: string;
  /** While waiting for a maintenance window: when the next one opens (ISO 8601), as the orchestration reported it. */
  nextWindowAt?: string;
  /** While a continuous rollout watches its target: when the next rescan runs (ISO 8601), as the orchestration reported it. */
  nextRescanAt?: string;
  /** Bumped by every change of `command`, so a reader can tell a newer command from an older one. */
  generation: number;
  /** The attempt the rollout is on: 1 for the original run (absent), +1 per retry. */
  attempt?: number;
  updatedAt: string | null;
  /** The last commands, newest last, for the audit trail. */
  log: ControlLogEntry[];
}

export const MAX_CONTROL_LOG = 20;

export function initialControlState(): RolloutControlState {
  return { phase: 'running', wave: null, command: 'run', pauseReason: null, approvedThrough: -1, generation: 0, updatedAt: null, log: [] };
}

/**
 * Why the operation does not apply to the rollout in this state; null when it does. While the
 * rollout is `scheduled` (before its startAt) or `waitingForWindow`, pause and cancel apply (a
 * paused rollout stays paused when its start or window comes; cancel ends it with no device
 * started) and approve does not: approval is asked for when the wave is due, not while waiting.
 */
export function controlProblem(state: RolloutControlState, operation: ControlOperation): string | null {
  if (isFinalRolloutState(state.phase)) return `the rollout is ${state.phase}`;
  if (state.command === 'cancel') return 'the rollout is being canceled';
  switch (operation) {
    case 'pause':
      if (state.command === 'pause') return 'the rollout is already paused';
      if (state.phase === 'awaitingApproval') return 'the rollout is awaiting approval: approve or cancel it';
      return null;
    case 'resume':
      return state.command === 'pause' ? null : 'the rollout is not paused';
    case 'approve':
      if (state.phase !== 'awaitingApproval' || state.wave === null) return 'the rollout is not awaiting approval';
      if (state.approvedThrough >= state.wave) return `wave ${state.wave} is already approved`;
      return null;
    case 'cancel':
      return null;
  }
}

/** Per operation, controlProblem's answer: what the status shows as the commands that apply now. */
export function controlActions(state: RolloutControlState): Record<ControlOperation, string | null> {
  return Object.fromEntries(CONTROL_OPERATIONS.map((operation) => [operation, controlProblem(state, operation)])) as Record<
    ControlOperation,
    string | null
  >;
}

/** An operator command; the state is returned unchanged when it does not apply. */
export function applyCommand(state: RolloutControlState, operation: ControlOperation, at: string): RolloutControlState {
  if (controlProblem(state, operation) !== null) return state;
  switch (operation) {
    case 'pause':
      return commanded(state, { command: 'pause', pauseReason: 'operator' }, { time: at, operation, detail: 'paused by the operator' });
    case 'resume': {
      // Paused because an approval timed out: resuming is the operator's go-ahead for that wave.
      if (state.pauseReason === 'approvalTimeout' && state.wave !== null) {
        const approved = { ...state, approvedThrough: Math.max(state.approvedThrough, state.wave) };
        const detail = `resumed by the operator: wave ${state.wave} approved`;
        return commanded(approved, { command: 'run', pauseReason: null }, { time: at, operation, detail });
      }
      return commanded(state, { command: 'run', pauseReason: null }, { time: at, operation, detail: 'resumed by the operator' });
    }
    case 'approve': {
      const approved = { ...state, approvedThrough: state.wave ?? state.approvedThrough, updatedAt: at };
      return logged(approved, { time: at, operation, detail: `wave ${state.wave} approved` });
    }
    case 'cancel':
      return commanded(state, { command: 'cancel', pauseReason: null }, { time: at, operation, detail: 'canceled by the operator' });
  }
}

export interface PhaseReport {
  phase: RolloutState;
  wave: number | null;
  /** Set when the failure threshold paused the rollout: the command becomes pause (unless canceled). */
  pausedBy?: 'threshold';
  /** With awaitingApproval, when the approval policy has a timeout: when it times out. */
  approvalDeadline?: string;
  /** With waitingForWindow: when the next maintenance window opens. */
  nextWindowAt?: string;
  /** With watching: when the next rescan runs. */
  nextRescanAt?: string;
}

/** The rollout orchestration reports where it stands. */
export function reportPhase(state: RolloutControlState, report: PhaseReport, at: string): RolloutControlState {
  if (isFinalRolloutState(state.phase)) return state;
  const { approvalDeadline: _previous, nextWindowAt: _previousWindow, nextRescanAt: _previousRescan, ...rest } = state;
  const deadline = report.approvalDeadline === undefined ? {} : { approvalDeadline: report.approvalDeadline };
  const window = report.nextWindowAt === undefined ? {} : { nextWindowAt: report.nextWindowAt };
  // A pause while watching keeps showing when the rescan is due: the resume goes on watching toward it.
  const rescanAt = report.nextRescanAt ?? (report.phase === 'paused' ? state.nextRescanAt : undefined);
  const rescan = rescanAt === undefined ? {} : { nextRescanAt: rescanAt };
  const next: RolloutControlState = { ...rest, ...deadline, ...window, ...rescan, phase: report.phase, wave: report.wave, updatedAt: at };
  if (report.pausedBy === 'threshold' && state.command === 'run') {
    const entry: ControlLogEntry = { time: at, operation: 'thresholdPause', detail: 'paused by the failure threshold' };
    return commanded(next, { command: 'pause', pauseReason: 'threshold' }, entry);
  }
  return next;
}

/** The approval of `wave` did not come within `minutes`: the spec's onTimeout `action` applies. */
export interface ApprovalTimeout {
  wave: number;
  action: ApprovalTimeoutAction;
  minutes: number;
}

/**
 * The rollout orchestration's deadline for an approval passed. Decided here, like a command, so
 * that an approve or cancel the operator got in first wins: then the state is returned unchanged.
 */
export function applyApprovalTimeout(state: RolloutControlState, timeout: ApprovalTimeout, at: string): RolloutControlState {
  if (controlProblem(state, 'approve') !== null || state.wave !== timeout.wave) return state;
  const entry = (detail: string): ControlLogEntry => ({ time: at, operation: 'approvalTimeout', detail });
  const late = `wave ${timeout.wave} not approved within ${timeout.minutes} min`;
  switch (timeout.action) {
    case 'approve':
      return logged(
        { ...state, approvedThrough: timeout.wave, updatedAt: at },
        entry(`wave ${timeout.wave} approved automatically after ${timeout.minutes} min`),
      );
    case 'cancel':
      return commanded(state, { command: 'cancel', pauseReason: null }, entry(`canceled automatically: ${late}`));
    case 'pause':
      return commanded(
        state,
        { command: 'pause', pauseReason: 'approvalTimeout' },
        entry(`paused automatically: ${late}; resume approves it`),
      );
  }
}

/**
 * A retry of the finished rollout begins (attempt `attempt`): running again, with no command, no
 * wave approved (each attempt asks for its approvals) and nothing pending from the last attempt.
 * Applies once: to a finished rollout on the attempt before.
 */
export function applyRetry(state: RolloutControlState, attempt: number, detail: string, at: string): RolloutControlState {
  if (!isFinalRolloutState(state.phase) || (state.attempt ?? 1) !== attempt - 1) return state;
  const { approvalDeadline: _deadline, nextWindowAt: _window, nextRescanAt: _rescan, ...rest } = state;
  const running: RolloutControlState = { ...rest, phase: 'running', wave: null, approvedThrough: -1, attempt };
  return commanded(running, { command: 'run', pauseReason: null }, { time: at, operation: 'retry', detail });
}

/**
 * The state to show: the reported phase, except that a pause the orchestration has not acted on
 * yet already shows as paused (new devices stop starting at once) and a resume as running.
 */
export function displayState(state: RolloutControlState): RolloutState {
  if (isFinalRolloutState(state.phase)) return state.phase;
  const pausable =
    state.phase === 'running' || state.phase === 'scheduled' || state.phase === 'waitingForWindow' || state.phase === 'watching';
  if (state.command === 'pause' && pausable) return 'paused';
  if (state.command === 'run' && state.phase === 'paused') return 'running';
  return state.phase;
}

/** A new command: its generation lets a reader tell it from an older one; the log records it. */
function commanded(
  state: RolloutControlState,
  change: Pick<RolloutControlState, 'command' | 'pauseReason'>,
  entry: ControlLogEntry,
): RolloutControlState {
  return logged({ ...state, ...change, generation: state.generation + 1, updatedAt: entry.time }, entry);
}

function logged(state: RolloutControlState, entry: ControlLogEntry): RolloutControlState {
  return { ...state, log: [...state.log, entry].slice(-MAX_CONTROL_LOG) };
}
