/**
 * The failure threshold, judged each time a result arrives.
 *
 * Boundaries: it is judged once `finished ≥ minDevices` (minDevices finished is enough), and it
 * trips when the failed share is strictly above `percent` ("stop if more than 5 % fail": 5 of
 * 100 continues, 6 of 100 trips). percent 0 thus trips on the first failure once minDevices have
 * finished; percent 100 never trips. The comparison is exact: integer basis points, no division.
 *
 * Which counts: pass the current wave's, as hawkBit judges each group, so a bad later wave is
 * not diluted by the successes of earlier ones. After an operator resumes a paused rollout,
 * pass the counts since the resume; the same counts would trip again at once.
 */
import type { FailureShare, Totals } from '../../../contracts/rolloutApi';
import { BASIS_POINTS_IN_WHOLE, basisPoints, percentOf } from './percent';
import type { FailureAction, FailureThreshold } from './rolloutSpec';

export type ThresholdVerdict = 'continue' | FailureAction;

export interface ThresholdCounts {
  /** Devices with a verdict that says something about the firmware: succeeded, failed, timedOut. */
  finished: number;
  /** failed + timedOut. */
  failed: number;
}

export function evaluateThreshold(counts: ThresholdCounts, threshold: FailureThreshold): ThresholdVerdict {
  if (counts.finished <= 0 || counts.finished < threshold.minDevices) return 'continue';
  return counts.failed * BASIS_POINTS_IN_WHOLE > basisPoints(threshold.percent) * counts.finished ? threshold.action : 'continue';
}

/** Skipped and canceled devices say nothing about the firmware, so they do not count. */
export function thresholdCounts(totals: { succeeded: number; failed: number; timedOut: number }): ThresholdCounts {
  const failed = totals.failed + totals.timedOut;
  return { finished: totals.succeeded + failed, failed };
}

/**
 * The threshold's share as the status shows it: on the wave named (the one the rollout is on) or
 * the last one before it with finished devices, or without a wave on the last wave with finished
 * devices; null while no device of the rollout finished.
 */
export function failureShare(waves: readonly (Totals & { index: number })[], wave: number | null): FailureShare | null {
  const finishedIn = waves.filter((item) => thresholdCounts(item).finished > 0);
  if (finishedIn.length === 0) return null;
  // The wave the rollout is on once one of its devices finished; until then (it just started, or it
  // awaits approval) the last wave before it that has a result, which is what the operator decides on.
  const upToCurrent = wave === null ? finishedIn : finishedIn.filter((item) => item.index <= wave);
  const judged = upToCurrent[upToCurrent.length - 1] ?? finishedIn[finishedIn.length - 1];
  const { finished, failed } = thresholdCounts(judged);
  return { wave: judged.index, finished, failed, percent: finished === 0 ? 0 : percentOf(failed, finished) };
}
