import { isFinalRolloutState } from '../../../contracts/rolloutApi';
import type { RolloutState, Totals } from '../../../contracts/rolloutApi';

export interface Pace {
  /** Devices updated or given up on per minute since the first device started; null before it can be told. */
  perMinute: number | null;
  /** Time left at that rate; null when unknown (no rate yet, paused, or over). */
  etaMs: number | null;
}

/**
 * How fast the rollout goes: devices that reached a verdict by being worked on (succeeded, failed,
 * timed out) over the time since `startedAt` (up to `updatedAt` once it is over); skipped and
 * canceled devices cost no time and do not count. The ETA is the pending and in-progress devices
 * at that rate; it cannot foresee approval waits, and a paused rollout has none (how long the
 * pause lasts is up to the operator).
 */
export function rolloutPace(
  rollout: { state: RolloutState; startedAt: string | null; updatedAt: string; totals: Totals },
  now: number,
): Pace {
  const final = isFinalRolloutState(rollout.state);
  const started = rollout.startedAt === null ? NaN : Date.parse(rollout.startedAt);
  const end = final ? Date.parse(rollout.updatedAt) : now;
  const { succeeded, failed, timedOut, pending, inProgress } = rollout.totals;
  const worked = succeeded + failed + timedOut;
  if (Number.isNaN(started) || !(end > started) || worked === 0) return { perMinute: null, etaMs: null };
  const perMinute = worked / ((end - started) / 60_000);
  if (final || rollout.state === 'paused') return { perMinute, etaMs: null };
  return { perMinute, etaMs: ((pending + inProgress) / perMinute) * 60_000 };
}
