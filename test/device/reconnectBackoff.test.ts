import { backoffDelay } from '../../device/agent/HubConnection';

describe('the agent reconnect backoff', () => {
  const backoff = { initialMs: 500, maxMs: 30_000 };

  test('doubles per failure, from half to all of the ceiling, capped', () => {
    expect([0, 1, 2, 3].map((failures) => backoffDelay(backoff, failures, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((failures) => backoffDelay(backoff, failures, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(backoff, 10, () => 1)).toBe(30_000);
    expect(backoffDelay(backoff, 10, () => 0)).toBe(15_000);
  });

  test('stays finite and capped however long the hub is away', () => {
    for (const failures of [60, 1_000, 1e9]) expect(backoffDelay(backoff, failures, () => 0.5)).toBe(22_500);
  });
});
