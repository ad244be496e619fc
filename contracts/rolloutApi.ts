/**
 * What the rollout HTTP API serves (GET /api/rollouts, GET /api/rollouts/{id}) and its clients
 * (the fleetwave CLI, the benches) read: rollout and wave states, and devices counted per state,
 * per wave and in total. The app builds these shapes (functions/src/rollout/rolloutStatus.ts) and
 * its clients type its answers with them, so the two cannot drift apart.
 */

/** The firmware a rollout installs, as POST /api/rollouts names it and the status repeats it. */
export interface FirmwareSpec {
  version: string;
  uri: string;
  /** 64 hex digits, lower case. */
  sha256: string;
  /** Bytes. */
  size: number;
}

export const ROLLOUT_STATES = [
  'running',
  'paused',
  'awaitingApproval',
  'completed',
  'completedWithFailures',
  'aborted',
  'canceled',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export type FinalRolloutState = Extract<RolloutState, 'completed' | 'completedWithFailures' | 'aborted' | 'canceled'>;

/** A wave is also `pending` before it starts and `soaking` while the rollout waits after it. */
export const WAVE_STATES = ['pending', 'soaking', ...ROLLOUT_STATES] as const;
export type WaveState = (typeof WAVE_STATES)[number];

/** Devices per state; `targeted` is always the sum of the others. */
export interface Totals {
  targeted: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  skipped: number;
  canceled: number;
}

export interface WaveStatus extends Totals {
  index: number;
  name: string;
  percent: number;
  state: WaveState;
}

export interface RolloutStatus {
  id: string;
  state: RolloutState;
  firmware: FirmwareSpec;
  createdAt: string;
  updatedAt: string;
  totals: Totals;
  waves: WaveStatus[];
}

export function isFinalRolloutState(state: RolloutState): state is FinalRolloutState {
  return state === 'completed' || state === 'completedWithFailures' || state === 'aborted' || state === 'canceled';
}
