import { IN_PROGRESS_STAGES } from '../../../contracts/rolloutApi';
import type { InProgressBy, InProgressStage, RolloutState, Totals, WaveState } from '../../../contracts/rolloutApi';

/**
 * The states a bar shows, in the order devices move through them: `inProgress` is split into its
 * stages. Records keyed by the contract's unions keep these lists complete when the API grows.
 */
const BAR_STATE_LABELS: Record<Exclude<keyof Totals, 'targeted' | 'inProgress'> | InProgressStage, string> = {
  pending: 'pending',
  waiting: 'waiting',
  downloading: 'downloading',
  staged: 'staged',
  applying: 'applying',
  succeeded: 'succeeded',
  failed: 'failed',
  timedOut: 'timed out',
  skipped: 'skipped',
  canceled: 'canceled',
};
export type BarState = keyof typeof BAR_STATE_LABELS;
export const BAR_STATES = Object.keys(BAR_STATE_LABELS) as BarState[];

export function barStateLabel(state: BarState): string {
  return BAR_STATE_LABELS[state];
}

export interface BarSegment {
  state: BarState;
  count: number;
  /** Share of the targeted devices, 0-100. */
  percent: number;
}

/** Every bar state with its count and share, zero counts included (the legend lists them all). */
export function barSegments(counts: Totals & { inProgressBy: InProgressBy }): BarSegment[] {
  const count = (state: BarState): number => (isInProgressStage(state) ? counts.inProgressBy[state] : counts[state]);
  return BAR_STATES.map((state) => ({
    state,
    count: count(state),
    percent: counts.targeted === 0 ? 0 : (count(state) / counts.targeted) * 100,
  }));
}

function isInProgressStage(state: BarState): state is InProgressStage {
  return (IN_PROGRESS_STAGES as readonly string[]).includes(state);
}

/** The text a screen reader gets for a bar: the non-zero counts. */
export function barDescription(segments: readonly BarSegment[], targeted: number): string {
  const parts = segments.filter((s) => s.count > 0).map((s) => `${s.count} ${barStateLabel(s.state)}`);
  return `${targeted} devices${parts.length === 0 ? '' : `: ${parts.join(', ')}`}`;
}

/** Devices the rollout is done with, whatever the outcome. */
export function finishedCount(totals: Totals): number {
  return totals.succeeded + totals.failed + totals.timedOut + totals.skipped + totals.canceled;
}

const ROLLOUT_STATE_LABELS: Record<RolloutState, string> = {
  running: 'running',
  paused: 'paused',
  awaitingApproval: 'awaiting approval',
  scheduled: 'scheduled',
  waitingForWindow: 'waiting for a window',
  watching: 'watching for new devices',
  completed: 'completed',
  completedWithFailures: 'completed with failures',
  aborted: 'aborted',
  canceled: 'canceled',
};

export function rolloutStateLabel(state: RolloutState): string {
  return ROLLOUT_STATE_LABELS[state];
}

/** A wave is also pending before it starts and soaking while the rollout waits after it. */
const WAVE_STATE_LABELS: Record<WaveState, string> = { ...ROLLOUT_STATE_LABELS, pending: 'not started', soaking: 'soaking' };

export function waveStateLabel(state: WaveState): string {
  return WAVE_STATE_LABELS[state];
}
