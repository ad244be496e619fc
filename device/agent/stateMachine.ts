import { TERMINAL_STATUSES, type FirmwareUpdateStatus, type InstallMode } from '../../contracts/firmwareUpdate';

/**
 * idle: no update has been asked for yet (nothing reported). staged: a `staged` update's image is
 * downloaded and verified; it reports `downloadComplete` and waits for firmwareApply.
 */
export type MachineState = FirmwareUpdateStatus | 'idle' | 'staged';

export type MachineEvent =
  | 'accept'
  | 'alreadyInstalled'
  | 'startDownload'
  | 'downloadSucceeded'
  | 'downloadFailed'
  | 'startApply'
  | 'applySucceeded'
  | 'applyFailed';

/** Every state from which a new update may begin: nothing running. */
const READY: Partial<Record<MachineEvent, FirmwareUpdateStatus>> = { accept: 'waiting', alreadyInstalled: 'applyComplete' };

/**
 * The firmware update state machine as a transition table; anything not listed is illegal.
 *
 *   idle ─accept→ waiting ─startDownload→ downloading ─downloadSucceeded→ downloadComplete
 *     ─startApply→ applying ─applySucceeded→ applyComplete
 *   waiting|downloading ─downloadFailed→ downloadFailed;  applying ─applyFailed→ applyFailed
 *   idle|terminal ─alreadyInstalled→ applyComplete;  terminal ─accept→ waiting (the next update)
 *   staged ─startApply→ applying (firmwareApply);  staged ─accept|alreadyInstalled→ as terminal (it is replaced)
 */
export const TRANSITIONS: Readonly<Record<MachineState, Partial<Record<MachineEvent, FirmwareUpdateStatus>>>> = {
  idle: READY,
  waiting: { startDownload: 'downloading', downloadFailed: 'downloadFailed' },
  downloading: { downloadSucceeded: 'downloadComplete', downloadFailed: 'downloadFailed' },
  downloadComplete: { startApply: 'applying' },
  staged: { ...READY, startApply: 'applying' },
  applying: { applySucceeded: 'applyComplete', applyFailed: 'applyFailed' },
  downloadFailed: READY,
  applyComplete: READY,
  applyFailed: READY,
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: MachineState,
    readonly event: MachineEvent,
  ) {
    super(`Illegal firmware update transition: '${event}' in state '${from}'.`);
    this.name = 'IllegalTransitionError';
  }
}

/** The next state, or IllegalTransitionError: the only way state changes. */
export function transition(from: MachineState, event: MachineEvent): FirmwareUpdateStatus {
  const to = TRANSITIONS[from][event];
  if (!to) throw new IllegalTransitionError(from, event);
  return to;
}

/** The machine state of a persisted update: a staged one at downloadComplete waits for firmwareApply. */
export function machineStateOf(update: { status: FirmwareUpdateStatus; request: { install?: InstallMode } } | null): MachineState {
  if (update === null) return 'idle';
  return update.status === 'downloadComplete' && update.request.install === 'staged' ? 'staged' : update.status;
}

/** An update is running: a new rollout must wait (409). A staged one is not running: a new rollout replaces it. */
export function isBusy(state: MachineState): boolean {
  return state === 'waiting' || state === 'downloading' || state === 'downloadComplete' || state === 'applying';
}

/** Nothing for the agent to do until a method asks for something. */
export function isAtRest(state: MachineState): boolean {
  return state === 'idle' || state === 'staged' || TERMINAL_STATUSES.has(state);
}
