import { operationLimit, type OperationLimit } from '../../../contracts/iotHubQuotas';
import { OperationMeter, type Admission } from '../../../local/hub/throttling/OperationMeter';
import { ManualClock } from '../../support/manualClock';

const perSecond = (n: number): OperationLimit => ({ perSecond: n, window: 'second' });

function admitMany(meter: OperationMeter, count: number, cost = 1): Admission[] {
  return Array.from({ length: count }, () => meter.admit(cost));
}

const outcomes = (admissions: Admission[]) => admissions.map((a) => a.outcome);
const delays = (admissions: Admission[]) => admissions.map((a) => (a.outcome === 'rejected' ? NaN : a.delayMs));

describe('OperationMeter (GCRA with a shaping queue)', () => {
  test('one second of the rate passes at once, then requests are shaped 1/rate apart', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(perSecond(50), 5000, clock);
    expect(outcomes(admitMany(meter, 50))).toEqual(Array(50).fill('passed'));
    const shaped = admitMany(meter, 5);
    expect(outcomes(shaped)).toEqual(Array(5).fill('shaped'));
    expect(delays(shaped)).toEqual([20, 40, 60, 80, 100]);
  });

  test('time pays the budget back at the rate', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(perSecond(50), 5000, clock);
    admitMany(meter, 50);
    clock.advance(100); // five requests' worth
    expect(outcomes(admitMany(meter, 5))).toEqual(Array(5).fill('passed'));
    expect(meter.admit(1)).toEqual({ outcome: 'shaped', delayMs: 20 });
    clock.advance(10_000); // idle for long: the burst is back, not more
    expect(outcomes(admitMany(meter, 51))).toEqual([...Array(50).fill('passed'), 'shaped']);
  });

  test('a request that would wait longer than the shaping queue allows is rejected', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(perSecond(10), 1000, clock);
    admitMany(meter, 10);
    const queued = admitMany(meter, 12);
    expect(delays(queued.slice(0, 10))).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(outcomes(queued.slice(10))).toEqual(['rejected', 'rejected']);
  });

  test('rejected requests cost nothing: the budget is the same as if they were never sent', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(perSecond(10), 0, clock);
    admitMany(meter, 10);
    expect(outcomes(admitMany(meter, 100))).toEqual(Array(100).fill('rejected'));
    clock.advance(100);
    expect(outcomes(admitMany(meter, 2))).toEqual(['passed', 'rejected']);
  });

  test('without a shaping queue, everything beyond the burst is rejected', () => {
    const meter = new OperationMeter(perSecond(5), 0, new ManualClock());
    expect(outcomes(admitMany(meter, 7))).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'rejected', 'rejected']);
  });

  test('a minute-window operation lets a minute of its rate through at once (S1 queries: 20, then one per 3 s)', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(operationLimit({ tier: 'S1', units: 1 }, 'queries'), 5000, clock);
    expect(outcomes(admitMany(meter, 20))).toEqual(Array(20).fill('passed'));
    expect(meter.admit(1)).toEqual({ outcome: 'shaped', delayMs: 3000 });
    expect(meter.admit(1)).toEqual({ outcome: 'rejected' });
    clock.advance(3000);
    expect(meter.admit(1)).toEqual({ outcome: 'shaped', delayMs: 3000 });
  });

  test("costs are meter units: a 2-unit request spends two requests' worth", () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(perSecond(40), 5000, clock);
    expect(outcomes(admitMany(meter, 20, 2))).toEqual(Array(20).fill('passed'));
    expect(meter.admit(2)).toEqual({ outcome: 'shaped', delayMs: 50 });
    expect(meter.admit(1)).toEqual({ outcome: 'shaped', delayMs: 75 });
  });

  test('a request costing more than the burst still passes on an idle meter, and then holds the next back', () => {
    const meter = new OperationMeter(perSecond(4), 5000, new ManualClock());
    expect(meter.admit(6)).toEqual({ outcome: 'passed', delayMs: 0 });
    expect(meter.admit(1)).toEqual({ outcome: 'shaped', delayMs: 750 });
  });

  test('admission times never decrease, whatever the mix of costs and pauses (FIFO)', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(perSecond(7), 3000, clock);
    let previous = -Infinity;
    for (let i = 0; i < 500; i++) {
      clock.advance((i * 37) % 90);
      const cost = 1 + ((i * 13) % 11);
      const admission = meter.admit(cost);
      if (admission.outcome === 'rejected') continue;
      const at = clock.now() + admission.delayMs;
      expect(at).toBeGreaterThanOrEqual(previous);
      previous = at;
    }
  });

  test('fractional intervals do not shape a request that is on time (S2 × 13 twin reads: 130/s)', () => {
    const clock = new ManualClock();
    const meter = new OperationMeter(operationLimit({ tier: 'S2', units: 13 }, 'twinReads'), 5000, clock);
    expect(outcomes(admitMany(meter, 130))).toEqual(Array(130).fill('passed'));
    clock.advance(1000);
    expect(outcomes(admitMany(meter, 130))).toEqual(Array(130).fill('passed'));
    expect(meter.admit(1).outcome).toBe('shaped');
  });
});
