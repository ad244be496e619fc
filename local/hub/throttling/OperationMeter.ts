import type { OperationLimit } from '../../../contracts/iotHubQuotas';

/** Milliseconds from a fixed origin: injectable, so a meter runs on a fake clock in tests. */
export interface Clock {
  now(): number;
}

/** Wall-clock adjustments must neither refill nor drain a meter. */
export const monotonicClock: Clock = { now: () => performance.now() };

/** What the meter says about one request. */
export type Admission =
  /** Within the budget: handle it now. */
  | { outcome: 'passed'; delayMs: 0 }
  /** Traffic shaping: handle it after `delayMs`. */
  | { outcome: 'shaped'; delayMs: number }
  /** It would wait longer than the shaping queue holds requests: answer 429. */
  | { outcome: 'rejected' };

/**
 * One IoT Hub operation throttle, as GCRA (virtual scheduling): `paidBackAt` is when the budget
 * spent so far will have been paid back at the limit's rate. A request of cost c moves it on by
 * c / rate and may proceed `tolerance` before it, the tolerance being one window's worth of the
 * limit (at least c), which is the burst that passes at once. It passes when that moment has come,
 * is shaped (waits) when it comes within `shapingMs`, and is rejected otherwise, spending nothing.
 * Admission times never decrease, so shaped requests proceed first come, first served.
 * Written by hand: no npm rate limiter models burst, a shaping queue and rejection on an injectable clock.
 */
export class OperationMeter {
  private readonly msPerUnit: number;
  private readonly windowMs: number;
  private paidBackAt = -Infinity;

  constructor(
    limit: OperationLimit,
    private readonly shapingMs: number,
    private readonly clock: Clock,
  ) {
    this.msPerUnit = 1000 / limit.perSecond;
    this.windowMs = limit.window === 'minute' ? 60_000 : 1000;
  }

  admit(cost: number): Admission {
    const now = this.clock.now();
    const paidBackAt = Math.max(this.paidBackAt, now) + cost * this.msPerUnit;
    const tolerance = Math.max(this.windowMs, cost * this.msPerUnit);
    // To the microsecond: sums of fractional intervals must not shape a request that is on time by 1e-13 ms.
    const delayMs = Math.max(0, Math.round((paidBackAt - tolerance - now) * 1000) / 1000);
    if (delayMs > this.shapingMs) return { outcome: 'rejected' };
    this.paidBackAt = paidBackAt;
    return delayMs === 0 ? { outcome: 'passed', delayMs: 0 } : { outcome: 'shaped', delayMs };
  }
}
