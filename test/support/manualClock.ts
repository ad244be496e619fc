import type { Clock } from '../../local/hub/throttling/OperationMeter';

/** A clock that stands still until the test moves it: the hub's throttles refill only when it does. */
export class ManualClock implements Clock {
  private ms = 0;

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
