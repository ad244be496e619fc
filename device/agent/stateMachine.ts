import type { FirmwareUpdateStatus } from '../../contracts/firmwareUpdate';

/** No update has been asked for yet (nothing reported). */
export type MachineState = FirmwareUpdateStatus | 'idle';

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
 */
export const TRANSITIONS: Readonly<Record<MachineState, Partial<Record<MachineEvent, FirmwareUpdateStatus>>>> = {
  idle: READY,
  waiting: { startDownload: 'downloading', downloadFailed: 'downloadFailed' },
  downloading: { downloadSucceeded: 'downloadComplete', downloadFailed: 'downloadFailed' },
  downloadComplete: { startApply: 'applying' },
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

/** An update is running: a new rollout must wait (409). */
export function isBusy(state: MachineState): boolean {
  return state === 'waiting' || state === 'downloading' || state === 'downloadComplete' || state === 'applying';
}
