import { HubThrottles } from '../../../local/hub/throttling/HubThrottles';
import { describeThrottling } from '../../../local/hub/throttling/describeThrottling';
import { ManualClock } from '../../support/manualClock';

/** How many of `count` requests at one instant pass, are shaped and are rejected. */
function burst(throttles: HubThrottles, operation: Parameters<HubThrottles['admit']>[0], count: number, bytes = 0) {
  const tally = { passed: 0, shaped: 0, rejected: 0 };
  for (let i = 0; i < count; i++) tally[throttles.admit(operation, bytes).outcome]++;
  return tally;
}

describe('HubThrottles', () => {
  test('S1 × 1: twin updates 50/s, reads 100/s, queries 20/min, registry 100/min, connections 100/s, methods 40/s of ≤ 4 KB', () => {
    const throttles = new HubThrottles({ tier: 'S1', units: 1, shapingSeconds: 0, clock: new ManualClock() });
    expect(burst(throttles, 'twinUpdates', 60)).toEqual({ passed: 50, shaped: 0, rejected: 10 });
    expect(burst(throttles, 'twinReads', 110)).toEqual({ passed: 100, shaped: 0, rejected: 10 });
    expect(burst(throttles, 'queries', 25)).toEqual({ passed: 20, shaped: 0, rejected: 5 });
    expect(burst(throttles, 'identityRegistry', 101)).toEqual({ passed: 100, shaped: 0, rejected: 1 });
    expect(burst(throttles, 'deviceConnections', 101)).toEqual({ passed: 100, shaped: 0, rejected: 1 });
    expect(burst(throttles, 'directMethods', 41, 4096)).toEqual({ passed: 40, shaped: 0, rejected: 1 });
    expect(throttles.stats()).toEqual({
      tier: 'S1',
      units: 1,
      operations: {
        identityRegistry: { perSecond: 100 / 60, window: 'minute', passed: 100, shaped: 0, rejected: 1 },
        deviceConnections: { perSecond: 100, window: 'second', passed: 100, shaped: 0, rejected: 1 },
        directMethods: { perSecond: 40, window: 'second', passed: 40, shaped: 0, rejected: 1 },
        queries: { perSecond: 20 / 60, window: 'minute', passed: 20, shaped: 0, rejected: 5 },
        twinReads: { perSecond: 100, window: 'second', passed: 100, shaped: 0, rejected: 10 },
        twinUpdates: { perSecond: 50, window: 'second', passed: 50, shaped: 0, rejected: 10 },
      },
    });
  });

  test('a direct method is metered in 4 KB units of its payload: 4097 bytes cost two', () => {
    const throttles = new HubThrottles({ tier: 'S1', units: 1, shapingSeconds: 0, clock: new ManualClock() });
    expect(burst(throttles, 'directMethods', 21, 4097)).toEqual({ passed: 20, shaped: 0, rejected: 1 });
    expect(burst(throttles, 'directMethods', 1, 10)).toEqual({ passed: 0, shaped: 0, rejected: 1 });
  });

  test('S2 × 1 and S3 × 2 scale the limits', () => {
    const s2 = new HubThrottles({ tier: 'S2', units: 1, clock: new ManualClock() }).stats().operations;
    const { twinUpdates, twinReads, deviceConnections, directMethods } = s2;
    expect([twinUpdates, twinReads, deviceConnections, directMethods].map((o) => o.perSecond)).toEqual([50, 100, 120, 120]);
    const s3 = new HubThrottles({ tier: 'S3', units: 2, shapingSeconds: 0, clock: new ManualClock() });
    expect(burst(s3, 'twinUpdates', 501)).toEqual({ passed: 500, shaped: 0, rejected: 1 });
    expect(s3.stats().operations.queries).toMatchObject({ perSecond: 2000 / 60, window: 'minute' });
    expect(s3.stats().operations.identityRegistry.perSecond * 60).toBeCloseTo(10_000);
  });

  test('shaped requests are counted as such, with the default 5 s shaping queue', () => {
    const throttles = new HubThrottles({ tier: 'S1', units: 1, clock: new ManualClock() });
    // 50 at once, then 250 more spaced 20 ms apart (the last waits exactly 5 s), then rejections.
    expect(burst(throttles, 'twinUpdates', 310)).toEqual({ passed: 50, shaped: 250, rejected: 10 });
  });

  test('the rejection is ThrottlingException 429001 naming the operation, the hub and its limit', () => {
    const throttles = new HubThrottles({ tier: 'S1', units: 3, clock: new ManualClock() });
    const error = throttles.rejection('queries', 'legacy');
    expect({ status: error.status, errorCode: error.errorCode, codeName: error.codeName }).toEqual({
      status: 429,
      errorCode: 429001,
      codeName: 'ThrottlingException',
    });
    expect(error.message).toContain('queries');
    expect(error.message).toContain('S1 × 3 units');
    expect(error.message).toContain('60/min');
    expect(error.httpBody().Message).toMatch(/^ErrorCode:ThrottlingException;/);
    expect(throttles.rejection('twinUpdates', 'nested').deviceBody()).toMatchObject({
      errorCode: 429001,
      message: expect.stringContaining('twin updates on this IoT Hub (S1 × 3 units) are limited to 50/s'),
    });
  });

  test('bad options are refused naming the problem', () => {
    expect(() => new HubThrottles({ tier: 'S4' as never, units: 1 })).toThrow(/unknown IoT Hub tier 'S4'/);
    expect(() => new HubThrottles({ tier: 'S3', units: 11 })).toThrow(/units must be a whole number from 1 to 10 for tier S3/);
    expect(() => new HubThrottles({ tier: 'S1', units: 1, shapingSeconds: -1 })).toThrow(/shapingSeconds/);
  });

  test('a closed hub stops shaped waits', async () => {
    const throttles = new HubThrottles({ tier: 'S1', units: 1 });
    const waiting = throttles.wait(60_000);
    throttles.close();
    await expect(waiting).rejects.toThrow();
  });

  test('describeThrottling says what the emulator enforces', () => {
    expect(describeThrottling(null)).toBe('IoT Hub throttling: off');
    expect(describeThrottling({ tier: 'S1', units: 1 })).toBe(
      'IoT Hub throttling: S1 × 1 unit (twin updates 50/s, twin reads 100/s, direct methods 160 KB/s, ' +
        'new device connections 100/s, queries 20/min, identity registry operations 100/min)',
    );
    expect(describeThrottling({ tier: 'S3', units: 2 })).toMatch(/^IoT Hub throttling: S3 × 2 units \(twin updates 500\/s, /);
  });
});
