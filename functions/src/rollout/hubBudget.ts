/**
 * The hub-wide budget for starting device updates: how many firmwareUpdate calls the app may
 * make now so that the calls, and the twin updates, connections and twin reads each device then
 * causes, stay within the hub's throttles (contracts/iotHubQuotas.ts). Every tracker of every
 * rollout draws from the one budget (the hubBudget entity holds this state), so two rollouts
 * share the hub's rate instead of each taking all of it.
 *
 * A token bucket in devices: it fills at the current rate and holds BURST_SECONDS of it, so a
 * tracker starts its devices in groups (one method-call activity per group, not per device).
 * Adaptive: a 429 seen by the app halves the rate (down to MIN_RATE_SHARE of the ceiling), and
 * the rate climbs back to the ceiling over RECOVERY_SECONDS without 429s. Times are epoch
 * milliseconds handed in by the callers (orchestration time), so this stays pure.
 */
import { deviceUpdatesPerSecond } from '../../../contracts/iotHubQuotas';
import type { HubScale } from '../../../contracts/iotHubQuotas';

/** A rollout's pace, fixed from the app settings when it starts: the hub's size and the ceiling it allows. */
export interface HubPace extends HubScale {
  /** Device updates per second the hub's throttles allow (deviceUpdatesPerSecond). */
  devicesPerSecond: number;
}

export function hubPaceFor(scale: HubScale): HubPace {
  return { ...scale, devicesPerSecond: deviceUpdatesPerSecond(scale) };
}

export interface HubBudgetState {
  /** Devices per second the budget allows now (≤ the ceiling). */
  rate: number;
  /** Devices that may start at once now. */
  tokens: number;
  /** When rate and tokens were last brought up to date. */
  at: number;
}

/** A tracker's request: `want` devices, at time `at`, under the ceiling its rollout was started with. */
export interface BudgetRequest {
  want: number;
  at: number;
  ceiling: number;
}

export interface BudgetGrant {
  granted: number;
  /** When to ask again for the rest (null when all were granted). */
  retryAt: number | null;
}

/** The bucket holds this much of the rate: the group of devices a tracker starts at once. */
export const BURST_SECONDS = 1;
/** From the lowest rate back to the ceiling without a 429. */
export const RECOVERY_SECONDS = 30;
/** The rate never falls below this share of the ceiling: a 429 storm slows, never stops, a rollout. */
export const MIN_RATE_SHARE = 0.1;

export function initialBudget(ceiling: number, at: number): HubBudgetState {
  return { rate: ceiling, tokens: ceiling * BURST_SECONDS, at };
}

/** The state at `at`: the rate recovered and the bucket refilled for the time since the last update (a new budget starts full). */
function refreshed(state: HubBudgetState | null, at: number, ceiling: number): HubBudgetState {
  if (state === null) return initialBudget(ceiling, at);
  const seconds = Math.max(0, at - state.at) / 1000;
  const rate = Math.min(ceiling, state.rate + (ceiling * seconds) / RECOVERY_SECONDS);
  const tokens = Math.min(rate * BURST_SECONDS, state.tokens + rate * seconds);
  return { rate, tokens, at: Math.max(at, state.at) };
}

/** Grants what the bucket holds, up to `want`; the rest may be asked for when a whole group has accrued. */
export function reserve(state: HubBudgetState | null, request: BudgetRequest): { state: HubBudgetState; grant: BudgetGrant } {
  const current = refreshed(state, request.at, request.ceiling);
  const granted = Math.min(request.want, Math.floor(current.tokens));
  const tokens = current.tokens - granted;
  if (granted === request.want) return { state: { ...current, tokens }, grant: { granted, retryAt: null } };
  // Ask again once the rest (at most a bucket's worth) has accrued, so devices start in groups.
  const group = Math.max(1, Math.min(request.want - granted, Math.floor(current.rate * BURST_SECONDS)));
  const retryAt = current.at + Math.ceil(((group - tokens) / current.rate) * 1000);
  return { state: { ...current, tokens }, grant: { granted, retryAt } };
}

/** The hub answered 429: halve the rate and empty the bucket. */
export function throttled(state: HubBudgetState | null, at: number, ceiling: number): HubBudgetState {
  const current = refreshed(state, at, ceiling);
  return { rate: Math.max(ceiling * MIN_RATE_SHARE, current.rate / 2), tokens: 0, at: current.at };
}
