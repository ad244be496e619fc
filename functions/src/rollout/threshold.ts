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
import { BASIS_POINTS_IN_WHOLE, basisPoints } from './percent';
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
