import { ReportedPropertiesWriter } from '../../device/agent/ReportedPropertiesWriter';
import { HubFixture, eventually } from '../support/hubFixture';
import { ManualClock } from '../support/manualClock';
import { spendTwinUpdates } from '../support/throttling';

/**
 * The writer against a throttled hub whose clock the test holds: with no shaping queue and the
 * twin-update budget spent, every patch is refused (429) until the test moves the clock on.
 */
describe('ReportedPropertiesWriter when the hub refuses patches', () => {
  const clock = new ManualClock();
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, shapingSeconds: 0, clock } });
  const backoff = { initialMs: 100, maxMs: 10_000 };
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  /** Gaps between consecutive failures, in ms. */
  const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i]);

  test('a refused patch is retried with exponential backoff and jitter, strictly in order; a success resets the backoff', async () => {
    const client = await fx.connectDevice('writer');
    const twin = await client.getTwin();
    const written: string[] = [];
    fx.hub.registry.on('twinChanged', (change) => {
      type Reported = { properties?: { reported?: { firmware?: { currentFwVersion?: string } } } };
      const version = (change.body as Reported).properties?.reported?.firmware?.currentFwVersion;
      if (change.deviceId === 'writer' && version) written.push(version);
    });
    const failures: number[] = [];
    const errors: string[] = [];
    const writer = new ReportedPropertiesWriter({
      answerTimeoutMs: 30_000,
      retryBackoff: backoff,
      onError: (error) => {
        failures.push(Date.now());
        errors.push(error.message);
      },
      onStalled: () => undefined,
    });
    writer.attach(twin);

    await spendTwinUpdates(fx, 'writer');
    writer.write({ firmware: { currentFwVersion: '1.0.1' } });
    writer.write({ firmware: { currentFwVersion: '1.0.2' } });
    await eventually(() => expect(failures.length).toBeGreaterThanOrEqual(5), 5000);
    expect(errors[0]).toMatch(/^Throttled: twin updates/);
    // Waits of 50-100, 100-200, 200-400, 400-800 ms ("equal jitter" on a doubling ceiling), plus a round trip.
    const waits = gaps(failures.slice(0, 5));
    waits.forEach((wait, i) => {
      const ceiling = backoff.initialMs * 2 ** i;
      expect({ i, wait, atLeast: wait >= ceiling / 2 - 2, atMost: wait <= ceiling + 80 }).toEqual({ i, wait, atLeast: true, atMost: true });
    });
    expect(written).toEqual([]);

    clock.advance(1000);
    await writer.idle();
    expect(written).toEqual(['1.0.1', '1.0.2']);

    // After the success, the next refused patch starts again from the first wait.
    clock.advance(60_000);
    await spendTwinUpdates(fx, 'writer');
    const before = failures.length;
    writer.write({ firmware: { currentFwVersion: '1.0.3' } });
    await eventually(() => expect(failures.length).toBeGreaterThanOrEqual(before + 2), 5000);
    const [firstWait] = gaps(failures.slice(before, before + 2));
    expect(firstWait).toBeLessThanOrEqual(backoff.initialMs + 80);
    clock.advance(1000);
    await writer.idle();
    expect(written).toEqual(['1.0.1', '1.0.2', '1.0.3']);
    writer.stop();
  });
});
