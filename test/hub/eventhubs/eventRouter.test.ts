import type { TelemetryMessage } from '../../../local/hub/device/deviceContext';
import type { StoredEvent } from '../../../local/hub/eventhubs/eventData';
import { SqliteEventLog } from '../../../local/hub/eventhubs/persistence/SqliteEventLog';
import { EventRouter } from '../../../local/hub/eventhubs/routing/EventRouter';
import { partitionFor } from '../../../local/hub/eventhubs/routing/partitioner';
import { DEFAULT_ROUTES, parseRoutes, type MessageRoute } from '../../../local/hub/eventhubs/routing/routes';
import type { TwinChange } from '../../../local/hub/registry/DeviceRegistry';
import { tempDir } from './eventLogFixtures';

/** Resolves once the log has committed everything appended so far. */
const committed = (log: SqliteEventLog) => new Promise<Error | undefined>((resolve) => log.afterCommit(resolve));

const change = (deviceId: string, version = 2): TwinChange => ({
  deviceId,
  opType: 'updateTwin',
  body: { version, properties: { reported: { fw: '2.0.0', $metadata: {}, $version: version } } },
  operationTimestamp: '2024-05-01T10:00:00.000Z',
});

const telemetry = (deviceId: string, label = 't'): TelemetryMessage => ({
  deviceId,
  body: Buffer.from(label),
  properties: { label },
  systemProperties: {},
  enqueuedTime: '2024-05-01T10:00:00.000Z',
});

describe('EventRouter', () => {
  const dir = tempDir();
  let log: SqliteEventLog;
  let fileCounter = 0;
  const NOW = Date.UTC(2024, 4, 1, 10, 0, 1);
  const routerWith = (routes: readonly MessageRoute[], extra: { generationIdOf?: (id: string) => string | undefined } = {}) =>
    new EventRouter(log, { hubName: 'hub-x', routes, now: () => NOW, ...extra });

  beforeEach(() => {
    log = new SqliteEventLog(dir.file(`router-${++fileCounter}.sqlite`), 4);
  });
  afterEach(() => log.close());
  afterAll(() => dir.remove());

  test('appends both sources to the device partition and emits appended with the stored event once committed', async () => {
    const router = routerWith(DEFAULT_ROUTES);
    const seen: [string, StoredEvent][] = [];
    router.on('appended', (partitionId, event) => seen.push([partitionId, event]));

    const twin = router.routeTwinChange(change('dev-a'));
    const d2c = router.routeTelemetry(telemetry('dev-a'));
    const partitionId = String(partitionFor('dev-a', 4));

    expect(twin).toMatchObject({ partitionId, sequenceNumber: 0, offset: '0', enqueuedTimeUtc: NOW, partitionKey: 'dev-a' });
    expect(twin?.annotations['iothub-message-source']).toBe('twinChangeEvents');
    expect(twin?.annotations['iothub-enqueuedtime']).toBe(NOW);
    expect(d2c).toMatchObject({ partitionId, sequenceNumber: 1, enqueuedTimeUtc: NOW });
    expect(d2c?.annotations['iothub-message-source']).toBe('Telemetry');
    expect(seen).toEqual([]);
    await committed(log);
    expect(seen).toEqual([
      [partitionId, twin],
      [partitionId, d2c],
    ]);
    expect(log.read(partitionId, 0, 10)).toEqual([twin, d2c]);
  });

  test('each device keeps to its own partition, in order', () => {
    const router = routerWith(DEFAULT_ROUTES);
    const ids = Array.from({ length: 20 }, (_, i) => `device-${i}`);
    for (const round of [0, 1, 2]) for (const id of ids) router.routeTelemetry(telemetry(id, `${id}#${round}`));
    for (const id of ids) {
      const partitionId = String(partitionFor(id, 4));
      const labels = log
        .read(partitionId, 0, 1000)
        .filter((e) => e.partitionKey === id)
        .map((e) => e.properties.label);
      expect(labels).toEqual([`${id}#0`, `${id}#1`, `${id}#2`]);
    }
  });

  test('only sources with an enabled route to events are appended', async () => {
    const telemetryOnly = routerWith(parseRoutes('telemetry'));
    const appended = jest.fn();
    telemetryOnly.on('appended', appended);
    expect(telemetryOnly.routeTwinChange(change('dev-b'))).toBeUndefined();
    await committed(log);
    expect(appended).not.toHaveBeenCalled();
    expect(telemetryOnly.routeTelemetry(telemetry('dev-b'))).toBeDefined();
    await committed(log);
    expect(appended).toHaveBeenCalledTimes(1);

    const twinOnly = routerWith(parseRoutes('TwinChangeEvents'));
    expect(twinOnly.routeTelemetry(telemetry('dev-b'))).toBeUndefined();
    expect(twinOnly.routeTwinChange(change('dev-b'))).toBeDefined();

    const disabled = routerWith(DEFAULT_ROUTES.map((route) => ({ ...route, enabled: false })));
    expect(disabled.routeTelemetry(telemetry('dev-b'))).toBeUndefined();
    expect(disabled.routeTwinChange(change('dev-b'))).toBeUndefined();

    const none = routerWith(parseRoutes(''));
    expect(none.routeTelemetry(telemetry('dev-b'))).toBeUndefined();

    const partitionId = String(partitionFor('dev-b', 4));
    expect(log.read(partitionId, 0, 10).map((e) => e.annotations['iothub-message-source'])).toEqual(['Telemetry', 'twinChangeEvents']);
  });

  test('a source named by two routes is still appended once', () => {
    const router = routerWith([...DEFAULT_ROUTES, { name: 'again', source: 'DeviceMessages', endpoint: 'events', enabled: true }]);
    router.routeTelemetry(telemetry('dev-c'));
    expect(log.info(String(partitionFor('dev-c', 4))).lastEnqueuedSequenceNumber).toBe(0);
  });

  test('stamps the generation id the hub knows for the device', () => {
    const router = routerWith(DEFAULT_ROUTES, { generationIdOf: (id) => (id === 'dev-d' ? 'gen-d' : undefined) });
    expect(router.routeTelemetry(telemetry('dev-d'))?.annotations['iothub-connection-auth-generation-id']).toBe('gen-d');
    expect(router.routeTwinChange(change('dev-d'))?.annotations['iothub-connection-auth-generation-id']).toBe('gen-d');
    expect(router.routeTelemetry(telemetry('dev-e'))?.annotations).not.toHaveProperty('iothub-connection-auth-generation-id');
  });

  test('an event whose commit fails is reported as lost, never as appended', async () => {
    const router = routerWith(DEFAULT_ROUTES);
    const appended = jest.fn();
    const lost: [Error, StoredEvent][] = [];
    router.on('appended', appended);
    router.on('lost', (error, event) => lost.push([error, event]));
    log.close();
    const event = router.routeTelemetry(telemetry('dev-f'));
    expect(await committed(log)).toMatchObject({ message: expect.stringMatching(/not open/) });
    expect(appended).not.toHaveBeenCalled();
    expect(lost).toEqual([[expect.objectContaining({ message: expect.stringMatching(/not open/) }), event]]);
    log = new SqliteEventLog(dir.file(`router-${++fileCounter}.sqlite`), 4); // for afterEach
  });
});
