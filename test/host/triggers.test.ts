import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client as DeviceClient } from 'azure-iot-device';
import { HubFixture, eventually } from '../support/hubFixture';
import { HostProcess } from './support/HostProcess';

interface TraceRecord {
  fn: string;
  [key: string]: unknown;
}

interface BatchMetadata {
  partitionContext: { consumerGroup: string; eventHubName: string; fullyQualifiedNamespace: string; partitionId: string };
  sequenceNumberArray: number[];
  offsetArray: string[];
  enqueuedTimeUtcArray: string[];
  propertiesArray: Record<string, unknown>[];
  systemPropertiesArray: Record<string, unknown>[];
  partitionKeyArray: unknown[];
}

function readTrace(dir: string): TraceRecord[] {
  try {
    return readFileSync(join(dir, 'trace.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TraceRecord);
  } catch {
    return [];
  }
}

function report(client: DeviceClient, patch: Record<string, unknown>): Promise<void> {
  return client
    .getTwin()
    .then(
      (twin) =>
        new Promise<void>((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve()))),
    );
}

/** The dev host running test/host/apps/triggers-app against `hub`, tracing invocations into `traceDir`. */
async function startTriggersApp(hub: HubFixture, traceDir: string): Promise<HostProcess> {
  const host = new HostProcess('triggers-app', {
    HUB_CONNECTION: hub.hub.eventHubs.connectionString,
    TRACE_DIR: traceDir,
    IOTHUB_CONNECTION_STRING: hub.hub.serviceConnectionString,
    FLEETWAVE_HUB_CA: hub.hub.caCertPath,
  });
  await host.start();
  return host;
}

describe('Event Hub triggers on the hub emulator (real EventHubConsumerClient), and timer triggers', () => {
  const hub = new HubFixture({ consumerGroups: ['single'] });
  const traceDir = mkdtempSync(join(tmpdir(), 'fleetwave-triggers-trace-'));
  let host: HostProcess;
  let device: DeviceClient;
  const batches = () =>
    readTrace(traceDir).filter((r) => r.fn === 'twinChangesBatch') as (TraceRecord & {
      events: { version: number; properties: { reported: { step?: number } } }[];
      metadata: BatchMetadata;
    })[];

  beforeAll(async () => {
    await hub.start();
    host = await startTriggersApp(hub, traceDir);
    device = await hub.connectDevice('thermo-1');
  }, 60000);

  afterAll(async () => {
    await host?.dispose();
    await hub.stop();
    rmSync(traceDir, { recursive: true, force: true });
  });

  test('functions are listed; a bad schedule is reported and does not run', () => {
    const byName = Object.fromEntries(host.endpoint.functions.map((fn) => [fn.name, fn]));
    expect(byName.twinChangesBatch).toMatchObject({ trigger: 'eventHubTrigger', runs: true });
    expect(byName.everySecond).toMatchObject({ trigger: 'timerTrigger', runs: true });
    expect(byName.badSchedule.runs).toBe(false);
    expect(byName.badSchedule.problems[0]).toMatch(/schedule expression 'every now and then' was not recognized/);
  });

  test('twin-change events arrive in batches (≤ maxEventBatchSize) with the metadata the Functions host gives', async () => {
    for (let step = 1; step <= 12; step++) await report(device, { step });
    const received = await eventually(
      () => {
        const events = batches().flatMap((b) => b.events);
        expect(events.filter((e) => e.properties.reported.step !== undefined)).toHaveLength(12);
        return batches();
      },
      20000,
      50,
    );
    for (const batch of received) {
      const m = batch.metadata;
      expect(batch.events.length).toBeGreaterThan(0);
      expect(batch.events.length).toBeLessThanOrEqual(5);
      expect(m.partitionContext).toEqual({
        consumerGroup: '$Default',
        eventHubName: 'fleetwave-hub',
        fullyQualifiedNamespace: `127.0.0.1:${hub.hub.eventHubs.port}`,
        partitionId: expect.any(String),
      });
      for (const array of [
        m.sequenceNumberArray,
        m.offsetArray,
        m.enqueuedTimeUtcArray,
        m.propertiesArray,
        m.systemPropertiesArray,
        m.partitionKeyArray,
      ])
        expect(array).toHaveLength(batch.events.length);
      expect(m.sequenceNumberArray.every((n) => typeof n === 'number')).toBe(true);
      expect(m.offsetArray.every((o) => typeof o === 'string')).toBe(true);
      expect(m.enqueuedTimeUtcArray.every((t) => !Number.isNaN(Date.parse(t)))).toBe(true);
      expect(m.propertiesArray[0]).toMatchObject({
        deviceId: 'thermo-1',
        opType: 'updateTwin',
        'iothub-message-schema': 'twinChangeNotification',
      });
      expect(m.systemPropertiesArray[0]).toMatchObject({
        'iothub-connection-device-id': 'thermo-1',
        'iothub-message-source': 'twinChangeEvents',
        'x-opt-sequence-number': m.sequenceNumberArray[0],
      });
    }
    const steps = received.flatMap((b) => b.events).map((e) => e.properties.reported.step);
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  test('cardinality one: one event per invocation, with single-event metadata, after a retry of the failed first attempt', async () => {
    const singles = await eventually(
      () => {
        const records = readTrace(traceDir).filter((r) => r.fn === 'twinChangesOne') as (TraceRecord & {
          event: { properties: { reported: { step?: number } } };
          metadata: Record<string, unknown>;
          retryCount: number;
        })[];
        expect(records.filter((r) => r.event.properties.reported.step !== undefined)).toHaveLength(12);
        return records;
      },
      20000,
      50,
    );
    expect(singles[0].retryCount).toBe(1);
    expect(singles[0].metadata).toMatchObject({
      partitionContext: { consumerGroup: 'single', eventHubName: 'fleetwave-hub' },
      sequenceNumber: expect.any(Number),
      offset: expect.any(String),
      enqueuedTimeUtc: expect.any(String),
      properties: { deviceId: 'thermo-1' },
      systemProperties: expect.objectContaining({ 'iothub-connection-device-id': 'thermo-1' }),
    });
  });

  test('after kill -9 and a restart, the trigger resumes from its checkpoint: at most the last batch again', async () => {
    const before = batches();
    const deliveredBefore = new Set(
      before.flatMap((b) => b.metadata.sequenceNumberArray.map((n) => `${b.metadata.partitionContext.partitionId}/${n}`)),
    );
    const lastBatch = new Set(
      before.slice(-1).flatMap((b) => b.metadata.sequenceNumberArray.map((n) => `${b.metadata.partitionContext.partitionId}/${n}`)),
    );
    await host.crash();
    for (let step = 13; step <= 15; step++) await report(device, { step });
    await host.start();
    const after = await eventually(
      () => {
        const fresh = batches().slice(before.length);
        expect(
          fresh
            .flatMap((b) => b.events)
            .map((e) => e.properties.reported.step)
            .filter((s) => s !== undefined && s >= 13),
        ).toEqual([13, 14, 15]);
        return fresh;
      },
      20000,
      50,
    );
    const again = after
      .flatMap((b) => b.metadata.sequenceNumberArray.map((n) => `${b.metadata.partitionContext.partitionId}/${n}`))
      .filter((key) => deliveredBefore.has(key));
    for (const key of again) expect(lastBatch.has(key)).toBe(true);
  });

  test('azure-iothub inside the app reaches the emulator on its non-443 port (the host installs the preload)', async () => {
    expect(hub.hub.hostName).toMatch(/^localhost:\d+$/);
    const res = await fetch(host.url('/api/devices/thermo-1'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deviceId: 'thermo-1', status: 'enabled' });
  });

  test('timer triggers fire on their NCRONTAB schedule with the timer object', async () => {
    const ticks = await eventually(
      () => {
        const records = readTrace(traceDir).filter((r) => r.fn === 'everySecond') as (TraceRecord & {
          timer: { isPastDue: boolean; schedule: unknown };
          at: number;
        })[];
        expect(records.length).toBeGreaterThanOrEqual(2);
        return records;
      },
      10000,
      50,
    );
    expect(ticks[0].timer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    expect(Math.abs((ticks[1].at % 1000) - (ticks[0].at % 1000))).toBeLessThan(400);
  });

  test('a monitored timer that missed runs while the host was down fires at start-up, past due', async () => {
    await eventually(() => expect(readTrace(traceDir).filter((r) => r.fn === 'monitored').length).toBeGreaterThanOrEqual(1), 10000, 50);
    await host.crash();
    const count = readTrace(traceDir).filter((r) => r.fn === 'monitored').length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await host.start();
    const next = await eventually(
      () => {
        const records = readTrace(traceDir).filter((r) => r.fn === 'monitored') as (TraceRecord & {
          timer: { isPastDue: boolean; scheduleStatus: { last: string; next: string } | null };
        })[];
        expect(records.length).toBeGreaterThan(count);
        return records[count];
      },
      10000,
      50,
    );
    expect(next.timer.isPastDue).toBe(true);
    expect(next.timer.scheduleStatus).toMatchObject({ last: expect.any(String), next: expect.any(String) });
  });
});

describe('Event Hub triggers across a restart of the hub', () => {
  const hub = new HubFixture({ consumerGroups: ['single'] });
  const traceDir = mkdtempSync(join(tmpdir(), 'fleetwave-triggers-restart-'));
  let host: HostProcess;
  /** The steps of one test's reported patches, in the order a function was handed them. */
  const steps = (fn: string, phase: string) =>
    readTrace(traceDir)
      .filter((r) => r.fn === fn)
      // twinChangesBatch traces its events, twinChangesOne its event.
      .flatMap((r) => (r.events ?? [r.event]) as { properties: { reported: { phase?: string; step?: number } } }[])
      .filter((event) => event.properties.reported.phase === phase)
      .map((event) => event.properties.reported.step);
  const FUNCTIONS = ['twinChangesBatch', 'twinChangesOne'];

  beforeAll(async () => {
    await hub.start();
    host = await startTriggersApp(hub, traceDir);
  }, 60000);

  afterAll(async () => {
    await host?.dispose();
    await hub.stop();
    rmSync(traceDir, { recursive: true, force: true });
  });

  /** A device reports steps 1-3 of `phase`, and both functions got them. */
  async function firstStepsDelivered(deviceId: string, phase: string): Promise<void> {
    const device = await hub.connectDevice(deviceId);
    for (let step = 1; step <= 3; step++) await report(device, { phase, step });
    for (const fn of FUNCTIONS) await eventually(() => expect(steps(fn, phase)).toEqual([1, 2, 3]), 20000, 50);
  }

  test('the triggers reconnect within seconds and resume from their checkpoints: nothing lost, nothing twice', async () => {
    const phase = 'restart';
    await firstStepsDelivered('thermo-restart', phase);

    // Down long enough for the consumers' first reconnect attempt to find nothing listening.
    await hub.restart(2000);
    const again = await hub.deviceClient(await hub.connectionStringOf('thermo-restart'));
    await again.open();
    const reportedAt = Date.now();
    for (let step = 4; step <= 6; step++) await report(again, { phase, step });
    const resumedAfterMs: Record<string, number> = {};
    for (const fn of FUNCTIONS) {
      await eventually(() => expect(steps(fn, phase)).toEqual([1, 2, 3, 4, 5, 6]), 40000, 50);
      resumedAfterMs[fn] = Date.now() - reportedAt;
    }
    // The Functions host's Event Hubs client retries from 0.8 s on, exponentially: not after the SDK's fixed 30 s.
    expect(Math.max(...Object.values(resumedAfterMs))).toBeLessThan(5000);
  }, 60000);

  test('a hub down longer than the retries take: the SDK restarts the receivers, after the last event received', async () => {
    const phase = 'outage';
    await firstStepsDelivered('thermo-outage', phase);

    // The first try comes within a receive wait (1 s) of the hub going, then three more 0.8, 2.4 and 5.6 s apart
    // (±20 %): all have failed by 11.6 s, and the receivers stop.
    await hub.restart(13000);
    const again = await hub.deviceClient(await hub.connectionStringOf('thermo-outage'));
    await again.open();
    for (let step = 4; step <= 5; step++) await report(again, { phase, step });
    // The SDK restarts a stopped partition receiver on its 10 s loop.
    for (const fn of FUNCTIONS) await eventually(() => expect(steps(fn, phase)).toEqual([1, 2, 3, 4, 5]), 20000, 50);
  }, 60000);
});
