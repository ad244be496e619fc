import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  meterUnits,
  operationLimit,
  parseHubScale,
  THROTTLED_OPERATIONS,
  type HubScale,
  type OperationLimit,
  type ThrottledOperation,
} from '../../../contracts/iotHubQuotas';
import type { ErrorBodyStyle, IotHubError } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import { limitText, operationName, scaleText } from './describeThrottling';
import { monotonicClock, OperationMeter, type Admission, type Clock } from './OperationMeter';

/** How long IoT Hub's traffic shaping may hold a request before answering 429 instead. */
export const DEFAULT_SHAPING_SECONDS = 5;

export interface ThrottlingOptions extends HubScale {
  /** How long a request may wait in the shaping queue before it is rejected instead. Default 5. */
  shapingSeconds?: number;
  /** The time the meters go by (tests stop or step it). Default: a monotonic clock. */
  clock?: Clock;
}

type Counts = Record<Admission['outcome'], number>;

export interface OperationStats extends Counts {
  perSecond: number;
  window: OperationLimit['window'];
}

export interface ThrottlingStats extends HubScale {
  operations: Record<ThrottledOperation, OperationStats>;
}

/** The operation throttles of an IoT Hub of one tier and unit count: a meter per operation, and what each decided. */
export class HubThrottles {
  readonly scale: HubScale;
  private readonly operations: Record<ThrottledOperation, { limit: OperationLimit; meter: OperationMeter; counts: Counts }>;
  private readonly closing = new AbortController();

  constructor(options: ThrottlingOptions) {
    this.scale = parseHubScale(options.tier, options.units);
    const shapingSeconds = options.shapingSeconds ?? DEFAULT_SHAPING_SECONDS;
    if (!Number.isFinite(shapingSeconds) || shapingSeconds < 0) {
      throw new Error(`IoT Hub throttling: shapingSeconds must be a number of seconds, 0 or more, got ${shapingSeconds}`);
    }
    // Every shaped request waits on this signal at once.
    setMaxListeners(0, this.closing.signal);
    const clock = options.clock ?? monotonicClock;
    const entries = THROTTLED_OPERATIONS.map((operation) => {
      const limit = operationLimit(this.scale, operation);
      const meter = new OperationMeter(limit, shapingSeconds * 1000, clock);
      return [operation, { limit, meter, counts: { passed: 0, shaped: 0, rejected: 0 } }];
    });
    this.operations = Object.fromEntries(entries) as HubThrottles['operations'];
  }

  /** Meters one request; `bytes` matters only to operations metered by size (direct methods: the payload's JSON). */
  admit(operation: ThrottledOperation, bytes = 0): Admission {
    const { limit, meter, counts } = this.operations[operation];
    const admission = meter.admit(meterUnits(limit, bytes));
    counts[admission.outcome]++;
    return admission;
  }

  /** HTTPS: resolves when the request may be handled (at once, or after shaping); throws the 429 when it is rejected. */
  async take(operation: ThrottledOperation, bytes: number, style: ErrorBodyStyle): Promise<void> {
    const admission = this.admit(operation, bytes);
    if (admission.outcome === 'rejected') throw this.rejection(operation, style);
    if (admission.outcome === 'shaped') await this.wait(admission.delayMs);
  }

  /** What IoT Hub answers a request its throttle rejected with. */
  rejection(operation: ThrottledOperation, style: ErrorBodyStyle): IotHubError {
    const { limit } = this.operations[operation];
    return IotHubErrorFactory.throttled(operationName(operation), scaleText(this.scale), limitText(limit), style);
  }

  /** A shaped request's wait; rejects when the hub closes meanwhile. */
  wait(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.closing.signal });
  }

  stats(): ThrottlingStats {
    const operations = Object.fromEntries(
      THROTTLED_OPERATIONS.map((operation) => {
        const { limit, counts } = this.operations[operation];
        return [operation, { perSecond: limit.perSecond, window: limit.window, ...counts }];
      }),
    ) as ThrottlingStats['operations'];
    return { ...this.scale, operations };
  }

  close(): void {
    this.closing.abort();
  }
}
