import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetSimulator, type FleetOptions } from '../../local/fleet/FleetSimulator';
import { retryThrottled } from '../../local/fleet/retryThrottled';
import type { ThrottlingStats } from '../../local/hub/throttling/HubThrottles';
import { HubFixture, eventually } from '../support/hubFixture';
import { ManualClock } from '../support/manualClock';

/** What each throttle has decided so far (passed, shaped, rejected with 429 or CONNACK 3), from the emulator's counters. */
async function throttleCounts(fx: HubFixture): Promise<ThrottlingStats['operations']> {
  const response = await fx.rawRequest('GET', '/fleetwave/throttling?api-version=2021-04-12');
  expect(response.status).toBe(200);
  return (JSON.parse(response.body) as ThrottlingStats).operations;
}

/** A fleet of `count` devices thr-…, connecting all at once: past the 100 new connections a second S1 lets through. */
function startFleet(fx: HubFixture, count: number, tags?: FleetOptions['tags']): Promise<FleetSimulator> {
  return new FleetSimulator({
    serviceConnectionString: fx.hub.serviceConnectionString,
    gatewayHostName: `${fx.hub.mqtt.host}:${fx.hub.mqtt.port}`,
    ca: fx.caPem(),
    count,
    prefix: 'thr-',
    ...(tags ? { tags } : {}),
    connectBatch: count,
    stateRoot: mkdtempSync(join(tmpdir(), 'fleetwave-fleet-throttled-')),
  }).start();
}

type Tags = (index: number) => Record<string, unknown>;

/** Every device of the fleet has an agent, is connected to the hub, and carries the tags it was given. */
async function expectConnectedAndTagged(fx: HubFixture, fleet: FleetSimulator, tags: Tags): Promise<void> {
  expect(fleet.devices.filter((d) => d.agent)).toHaveLength(fleet.devices.length);
  const records = () => fleet.devices.map((d) => fx.hub.registry.require(d.deviceId));
  await eventually(
    () => {
      expect(
        records()
          .filter((r) => r.identity.connectionState !== 'Connected')
          .map((r) => r.identity.deviceId),
      ).toEqual([]);
    },
    10_000,
    100,
  );
  expect(records().map((r) => r.twin.tags)).toEqual(fleet.devices.map((_, i) => tags(i)));
}

// No traffic shaping: whatever goes over a throttle's burst is answered 429 at once.
describe('the fleet simulator on an S1 hub that throttles without shaping', () => {
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, shapingSeconds: 0 } });
  let fleet: FleetSimulator | undefined;
  beforeAll(() => fx.start());
  afterAll(async () => {
    await fleet?.stop();
    await fx.stop();
  });

  test('120 new devices with tags: the tag updates over the 50-a-second burst are retried, and all connect', async () => {
    const tags = (i: number) => ({ ring: ['canary', 'early', 'broad'][i % 3] });
    fleet = await startFleet(fx, 120, tags);
    await expectConnectedAndTagged(fx, fleet, tags);
    const counts = await throttleCounts(fx);
    expect(counts.twinUpdates.rejected).toBeGreaterThan(0);
    // New devices get their keys in the bulk registration (2 calls): no registry read per device.
    const { identityRegistry } = counts;
    expect(identityRegistry.passed + identityRegistry.shaped + identityRegistry.rejected).toBe(2);
    expect(Buffer.from(fx.hub.registry.require('thr-001').identity.authentication.symmetricKey.primaryKey!, 'base64')).toHaveLength(32);
    await fleet.stop();
    fleet = undefined;
  }, 30_000);

  test('a re-run on the same hub takes the keys of the existing devices from one device list, not a read per device', async () => {
    const tags = (i: number) => ({ ring: 'broad', index: i });
    const keyBefore = fx.hub.registry.require('thr-001').identity.authentication.symmetricKey.primaryKey;
    const registryOps = async () => {
      const { passed, shaped, rejected } = (await throttleCounts(fx)).identityRegistry;
      return { all: passed + shaped + rejected, rejected };
    };
    const before = await registryOps();
    fleet = await startFleet(fx, 105, tags);
    await expectConnectedAndTagged(fx, fleet, tags);
    const after = await registryOps();
    // Two bulk calls (105 ids; 5 of them new) and one list: a re-run of 1,000 devices on S1 costs the same.
    expect([after.all - before.all, after.rejected - before.rejected]).toEqual([3, 0]);
    expect(fx.hub.registry.require('thr-001').identity.authentication.symmetricKey.primaryKey).toBe(keyBefore);
  }, 30_000);
});

// The throttles refill only when the test moves the clock: what is over a burst stays refused until then.
describe('the fleet simulator on an S1 hub whose throttle budgets stand still', () => {
  const clock = new ManualClock();
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, shapingSeconds: 0, clock } });
  let fleet: FleetSimulator | undefined;
  let ticking: NodeJS.Timeout | undefined;
  beforeAll(() => fx.start());
  afterAll(async () => {
    clearInterval(ticking);
    await fleet?.stop();
    await fx.stop();
  });

  test('a call throttled for longer than the bound fails with an error naming it; other failures are not retried', async () => {
    // S1 allows 20 queries a minute: with the clock standing still, the 21st is throttled for good.
    for (let i = 0; i < 20; i++) await fx.registry.createQuery('SELECT * FROM devices').nextAsTwin();
    let calls = 0;
    const started = Date.now();
    const giveUp = retryThrottled(
      'querying the fleet',
      () => {
        calls++;
        return fx.registry.createQuery('SELECT * FROM devices').nextAsTwin();
      },
      { backoff: { initialMs: 100, maxMs: 400 }, giveUpAfterMs: 1500 },
    );
    await expect(giveUp).rejects.toThrow(/^querying the fleet: IoT Hub still throttled it \(429\) after 1.5 s of retries/);
    await expect(giveUp).rejects.toHaveProperty('cause.name', 'ThrottlingError');
    expect(calls).toBeGreaterThan(2);
    expect(Date.now() - started).toBeLessThan(3000);

    calls = 0;
    const missing = retryThrottled('reading the key of device nobody', () => {
      calls++;
      return fx.registry.get('nobody');
    });
    await expect(missing).rejects.toHaveProperty('name', 'DeviceNotFoundError');
    expect(calls).toBe(1);
  });

  test('120 devices connecting at once: those refused over the 100-connection burst retry until the budget refills', async () => {
    let settled = false;
    const starting = startFleet(fx, 120).finally(() => (settled = true));
    await eventually(async () => expect((await throttleCounts(fx)).deviceConnections.rejected).toBeGreaterThanOrEqual(20), 15_000, 100);
    // Refused (CONNACK 3) and retried: neither failed nor done.
    expect(settled).toBe(false);
    // Real time from here on.
    ticking = setInterval(() => clock.advance(100), 100);
    fleet = await starting;
    await expectConnectedAndTagged(fx, fleet, () => ({}));
  }, 30_000);
});
