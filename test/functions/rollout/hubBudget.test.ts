import { deviceUpdatesPerSecond } from '../../../contracts/iotHubQuotas';
import {
  BURST_SECONDS,
  MIN_RATE_SHARE,
  RECOVERY_SECONDS,
  hubPaceFor,
  initialBudget,
  reserve,
  throttled,
} from '../../../functions/src/rollout';
import type { HubBudgetState } from '../../../functions/src/rollout';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const CEILING = 8;

/** Asks for `want` at `seconds` after T0; returns the grant and the new state. */
function ask(state: HubBudgetState | null, want: number, seconds: number, ceiling = CEILING) {
  return reserve(state, { want, at: T0 + seconds * 1000, ceiling });
}

describe('the hub-wide budget for starting devices', () => {
  test("a rollout's pace is the hub's device updates per second, from the throttle table", () => {
    expect(hubPaceFor({ tier: 'S1', units: 1 })).toEqual({
      tier: 'S1',
      units: 1,
      devicesPerSecond: deviceUpdatesPerSecond({ tier: 'S1', units: 1 }),
    });
    // S1: 50 twin updates/s for the whole hub, 6 per device update.
    expect(hubPaceFor({ tier: 'S1', units: 4 }).devicesPerSecond).toBeCloseTo(50 / 6);
  });

  test('a new budget is full: a burst of BURST_SECONDS of the ceiling at once, then the rest waits for a whole group', () => {
    const first = ask(null, 20, 0);
    expect(first.grant).toEqual({ granted: CEILING * BURST_SECONDS, retryAt: T0 + 1000 });
    // Asking early grants nothing and names the same time.
    const early = ask(first.state, 12, 0.5);
    expect(early.grant).toEqual({ granted: 4, retryAt: T0 + 1500 });
    const onTime = ask(early.state, 8, 1.5);
    expect(onTime.grant).toEqual({ granted: 8, retryAt: null });
  });

  test('over a long run the grants follow the rate, whatever the asks', () => {
    let state: HubBudgetState | null = null;
    let granted = 0;
    for (let tick = 0; tick <= 600; tick += 1) {
      const outcome = ask(state, 50, tick * 0.1);
      state = outcome.state;
      granted += outcome.grant.granted;
    }
    // 60 s at 8/s plus the first bucket.
    expect(granted).toBeGreaterThanOrEqual(60 * CEILING);
    expect(granted).toBeLessThanOrEqual(60 * CEILING + CEILING * BURST_SECONDS);
  });

  test('a 429 halves the rate and empties the bucket, never below MIN_RATE_SHARE of the ceiling', () => {
    let state = initialBudget(CEILING, T0);
    state = throttled(state, T0, CEILING);
    expect(state).toMatchObject({ rate: CEILING / 2, tokens: 0 });
    for (let i = 0; i < 10; i += 1) state = throttled(state, T0, CEILING);
    expect(state.rate).toBe(CEILING * MIN_RATE_SHARE);
    expect(ask(state, 5, 0).grant.granted).toBe(0);
  });

  test('without 429s the rate climbs back to the ceiling over RECOVERY_SECONDS', () => {
    const low = throttled(initialBudget(CEILING, T0), T0, CEILING);
    const halfway = ask(low, 0, RECOVERY_SECONDS / 4).state;
    expect(halfway.rate).toBeCloseTo(CEILING / 2 + CEILING / 4);
    expect(ask(low, 0, RECOVERY_SECONDS).state.rate).toBe(CEILING);
  });

  test('an ask with an older clock (another tracker) neither refills nor moves time back', () => {
    const now = ask(null, 8, 10);
    const older = ask(now.state, 8, 9);
    expect(older.grant.granted).toBe(0);
    expect(older.state.at).toBe(T0 + 10_000);
  });
});
