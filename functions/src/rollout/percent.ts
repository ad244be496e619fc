/**
 * Percentages in a rollout spec have at most two decimals (0.01 % resolution), so every share
 * computation can be done on integer basis points: exact, with no float rounding at boundaries
 * (29 % of 100 devices must be 29, not floor(28.999999999999996)).
 */

const BASIS_POINTS_PER_PERCENT = 100;
export const BASIS_POINTS_IN_WHOLE = 100 * BASIS_POINTS_PER_PERCENT;
/** One basis point: the smallest share a percent can express, and the smallest non-zero one. */
export const PERCENT_RESOLUTION = 1 / BASIS_POINTS_PER_PERCENT;

/** The percent in basis points (hundredths of a percent), rounded to the nearest one. */
export function basisPoints(percent: number): number {
  return Math.round(percent * BASIS_POINTS_PER_PERCENT);
}

/** True when the value is written with at most two decimals (0.01 % resolution). */
export function hasPercentResolution(percent: number): boolean {
  return Math.abs(percent * BASIS_POINTS_PER_PERCENT - basisPoints(percent)) < 1e-6;
}

/** part / whole in percent at that resolution (two decimals, the nearest basis point); whole must be positive. */
export function percentOf(part: number, whole: number): number {
  return Math.round((part * BASIS_POINTS_IN_WHOLE) / whole) / BASIS_POINTS_PER_PERCENT;
}
