import {
  EventHubConsumerClient,
  earliestEventPosition,
  latestEventPosition,
  type EventPosition,
  type ReceivedEventData,
  type Subscription,
} from '@azure/event-hubs';
import { connect as amqpConnect, types as amqpTypes, type Connection as AmqpConnection } from 'rhea';
import net from 'node:net';
import type { Client as DeviceClient } from 'azure-iot-device';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';
import { HubFixture, eventually } from '../support/hubFixture';
import { amqpFrameHeader as frameHeader, PROMPT_CLOSE, streamOversizeFrame } from '../../local/probes/oversizeFrame';

function report(client: DeviceClient, patch: Record<string, unknown>): Promise<void> {
  return client
    .getTwin()
    .then(
      (twin) =>
        new Promise<void>((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve()))),
    );
}

type Received = ReceivedEventData & { partitionId: string };

/** A bare AMQP connection (rhea) to the hub's Event Hub-compatible endpoint. */
function openAmqp(fx: HubFixture): Promise<AmqpConnection> {
  return new Promise((resolve, reject) => {
    const connection = amqpConnect({ host: fx.hub.eventHubs.host, port: fx.hub.eventHubs.port, reconnect: false });
    connection.once('connection_open', () => resolve(connection));
    connection.once('connection_error', reject);
    connection.once('disconnected', (ctx) => reject(ctx.error ?? new Error('disconnected')));
  });
}

/** One request to the $cbs or $management node over raw AMQP (one per node and connection); resolves with the status code. */
function requestStatus(
  connection: AmqpConnection,
  node: '$cbs' | '$management',
  properties: Record<string, unknown>,
  body?: string,
): Promise<number> {
  return new Promise((resolve) => {
    const replyTo = `${node}-reply`;
    const replies = connection.open_receiver({ source: { address: node }, name: replyTo });
    replies.on('message', (ctx) => resolve(Number(ctx.message!.application_properties!['status-code'])));
    const sender = connection.open_sender({ target: { address: node } });
    sender.once('sendable', () => sender.send({ message_id: 'm1', reply_to: replyTo, body, application_properties: properties }));
  });
}

/** A CBS put-token; resolves with the status code the hub answered. */
function putToken(connection: AmqpConnection, token: string, audience: string): Promise<number> {
  return requestStatus(connection, '$cbs', { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience }, token);
}

const audienceOf = (fx: HubFixture) => `sb://${fx.hub.eventHubs.host}:${fx.hub.eventHubs.port}/${fx.hub.hubName}`;
/** Event Hubs clients sign with the key text as UTF-8. */
const serviceKeyOf = (fx: HubFixture) => Buffer.from(fx.hub.policies.find((p) => p.keyName === 'service')!.primaryKey, 'utf8');

/** Starts the hub for a describe block and hands out consumers that are closed before it stops. */
function hubWithConsumers(fx: HubFixture) {
  const consumers: EventHubConsumerClient[] = [];
  const closeConsumers = async () => void (await Promise.allSettled(consumers.splice(0).map((c) => c.close())));
  beforeAll(() => fx.start());
  afterAll(async () => {
    await closeConsumers();
    await fx.stop();
  });
  const consumer = (group = '$Default', connectionString = fx.hub.eventHubs.connectionString, options = {}) => {
    const client = new EventHubConsumerClient(group, connectionString, options);
    consumers.push(client);
    return client;
  };
  return { consumer, closeConsumers };
}

/** Collects events (with the partition they came from) until closed. */
class Collector {
  readonly events: Received[] = [];
  readonly errors: Error[] = [];
  private subscription?: Subscription;

  constructor(
    private readonly consumer: EventHubConsumerClient,
    private readonly startPosition: EventPosition | Record<string, EventPosition> = earliestEventPosition,
  ) {}

  start(partitionId?: string): this {
    const handlers = {
      processEvents: async (events: ReceivedEventData[], context: { partitionId: string }) =>
        void this.events.push(...events.map((event) => ({ ...event, partitionId: context.partitionId }))),
      processError: async (error: Error) => void this.errors.push(error),
    };
    const options = { startPosition: this.startPosition, maxWaitTimeInSeconds: 0.2 };
    this.subscription =
      partitionId === undefined ? this.consumer.subscribe(handlers, options) : this.consumer.subscribe(partitionId, handlers, options);
    return this;
  }

  forDevice(deviceId: string): Received[] {
    return this.events.filter((e) => e.systemProperties?.['iothub-connection-device-id'] === deviceId);
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }
}

describe('the built-in Event Hub-compatible endpoint with the unmodified EventHubConsumerClient', () => {
  const fx = new HubFixture({ partitionCount: 4, consumerGroups: ['fleetwave'] });
  const { consumer } = hubWithConsumers(fx);

  test('event hub and partition properties', async () => {
    const client = consumer();
    const props = await client.getEventHubProperties();
    expect(props).toMatchObject({ name: fx.hub.hubName, partitionIds: ['0', '1', '2', '3'] });
    expect(props.createdOn).toBeInstanceOf(Date);
    const partition = await client.getPartitionProperties('2');
    expect(partition).toMatchObject({ eventHubName: fx.hub.hubName, partitionId: '2' });
    expect(typeof partition.isEmpty).toBe('boolean');
    expect(typeof partition.lastEnqueuedSequenceNumber).toBe('number');
    expect(partition.lastEnqueuedOnUtc).toBeInstanceOf(Date);
  });

  test("a device's reported patch arrives as IoT Hub's twin-change event", async () => {
    const collector = new Collector(consumer()).start();
    const device = await fx.connectDevice('eh-reported');
    await report(device, { iothubDM: { firmwareUpdate: { status: 'downloading', rolloutId: 'r1' } } });
    const [event] = await eventually(() => {
      const found = collector.forDevice('eh-reported');
      expect(found).toHaveLength(1);
      return found;
    });
    await collector.stop();
    expect(event.body).toEqual({
      version: expect.any(Number),
      properties: {
        reported: {
          iothubDM: { firmwareUpdate: { status: 'downloading', rolloutId: 'r1' } },
          $metadata: expect.objectContaining({ $lastUpdated: expect.any(String), iothubDM: expect.any(Object) }),
          $version: 2,
        },
      },
    });
    expect(event.properties).toMatchObject({
      hubName: fx.hub.hubName,
      deviceId: 'eh-reported',
      'iothub-message-schema': 'twinChangeNotification',
      opType: 'updateTwin',
      operationTimestamp: expect.any(String),
    });
    expect(event.systemProperties).toMatchObject({
      'iothub-connection-device-id': 'eh-reported',
      'iothub-message-source': 'twinChangeEvents',
      'iothub-enqueuedtime': expect.anything(),
    });
    expect(event.contentType).toBe('application/json');
    expect(typeof event.sequenceNumber).toBe('number');
    expect(typeof event.offset).toBe('string');
    expect(event.enqueuedTimeUtc).toBeInstanceOf(Date);
    expect(errorsOf(collector)).toEqual([]);
  });

  test('device telemetry arrives with its properties and iothub-message-source Telemetry', async () => {
    const { Message } = await import('azure-iot-device');
    const collector = new Collector(consumer()).start();
    const device = await fx.connectDevice('eh-telemetry');
    const message = new Message(JSON.stringify({ temperature: 21.5 }));
    message.properties.add('kind', 'reading');
    message.messageId = 'msg-1';
    message.contentType = 'application/json';
    message.contentEncoding = 'utf-8';
    await device.sendEvent(message);
    const [event] = await eventually(() => {
      const found = collector.forDevice('eh-telemetry');
      expect(found).toHaveLength(1);
      return found;
    });
    await collector.stop();
    expect(event.body).toEqual({ temperature: 21.5 });
    expect(event.properties).toEqual({ kind: 'reading' });
    expect(event.messageId).toBe('msg-1');
    expect(event.contentType).toBe('application/json');
    expect(event.systemProperties).toMatchObject({ 'iothub-message-source': 'Telemetry', 'iothub-connection-device-id': 'eh-telemetry' });
  });

  test('desired and tag updates by the service yield events too', async () => {
    const collector = new Collector(consumer()).start();
    await fx.addDevice('eh-service');
    await fx.registry.updateTwin('eh-service', { tags: { ring: 'early' }, properties: { desired: { interval: 5 } } }, '*');
    const [event] = await eventually(() => {
      const found = collector.forDevice('eh-service');
      expect(found.length).toBeGreaterThanOrEqual(1);
      return found;
    });
    await collector.stop();
    expect(event.body).toMatchObject({ tags: { ring: 'early' }, properties: { desired: { interval: 5, $version: 2 } } });
  });

  test("one device's events arrive in order; resubscribing from a sequence number yields only later ones", async () => {
    const device = await fx.connectDevice('eh-order');
    for (let i = 0; i < 20; i++) await report(device, { step: i });
    const all = new Collector(consumer()).start();
    const events = await eventually(() => {
      const found = all.forDevice('eh-order');
      expect(found).toHaveLength(20);
      return found;
    });
    await all.stop();
    expect(events.map((e) => (e.body as { properties: { reported: { step: number } } }).properties.reported.step)).toEqual([
      ...Array(20).keys(),
    ]);
    expect(new Set(events.map((e) => e.partitionId)).size).toBe(1);
    const sequenceNumbers = events.map((e) => e.sequenceNumber);
    expect([...sequenceNumbers].sort((a, b) => a - b)).toEqual(sequenceNumbers);

    const from = events[9];
    const partition = from.partitionId;
    const later = new Collector(consumer(), { [partition]: { sequenceNumber: from.sequenceNumber } }).start(partition);
    const rest = await eventually(() => {
      const found = later.forDevice('eh-order');
      expect(found).toHaveLength(10);
      return found;
    });
    await later.stop();
    expect(rest.map((e) => e.sequenceNumber)).toEqual(sequenceNumbers.slice(10));
  });

  test('a configured consumer group works; an unknown one is a clear error', async () => {
    await expect(consumer('fleetwave').getPartitionIds()).resolves.toHaveLength(4);
    const collector = new Collector(consumer('no-such-group')).start('0');
    await eventually(() => expect(collector.errors.length).toBeGreaterThan(0), 10000);
    await collector.stop();
    expect(collector.errors[0].message).toMatch(/consumer group named 'no-such-group'/);
    expect((collector.errors[0] as { code?: string }).code).toBe('MessagingEntityNotFoundError');
  });

  test('a wrong key is an UnauthorizedError', async () => {
    const wrong = fx.hub.eventHubs.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=bm90LXRoZS1rZXk=');
    // The SDK retries even an unauthorized claim (30 s apart by default); no retries shows the error itself.
    const client = consumer('$Default', wrong, { retryOptions: { maxRetries: 0 } });
    await expect(client.getEventHubProperties()).rejects.toMatchObject({ code: 'UnauthorizedError' });
  });

  test('a SAS token covers its own entity and those below it by whole path segments, not by string prefix', async () => {
    expect(fx.hub.hubName).toBe('fleetwave-hub');
    const endpoint = `sb://${fx.hub.eventHubs.host}:${fx.hub.eventHubs.port}`;
    const scopedTo = (scope: string) => {
      const token = createSas(scope, serviceKeyOf(fx), 'service', 3600);
      return `Endpoint=${endpoint}/;SharedAccessSignature=${token};EntityPath=fleetwave-hub;UseDevelopmentEmulator=true`;
    };
    for (const scope of [`${endpoint}/fleetwave-hub`, `${endpoint}/`]) {
      await expect(consumer('$Default', scopedTo(scope)).getPartitionIds()).resolves.toHaveLength(4);
    }
    const prefixOnly = consumer('$Default', scopedTo(`${endpoint}/fleetwave`), { retryOptions: { maxRetries: 0 } });
    await expect(prefixOnly.getPartitionIds()).rejects.toMatchObject({ code: 'UnauthorizedError' });
  });

  test('starting past the end of a partition is an ArgumentOutOfRangeError', async () => {
    const collector = new Collector(consumer(), { sequenceNumber: 1_000_000 }).start('1');
    await eventually(() => expect(collector.errors.length).toBeGreaterThan(0), 10000);
    await collector.stop();
    expect((collector.errors[0] as { code?: string }).code).toBe('ArgumentOutOfRangeError');
  });

  test('a higher ownerLevel takes the partition from a lower one', async () => {
    const handlers = (errors: Error[]) => ({ processEvents: async () => undefined, processError: async (e: Error) => void errors.push(e) });
    const lowErrors: Error[] = [];
    const low = consumer().subscribe('3', handlers(lowErrors), {
      ownerLevel: 1,
      startPosition: latestEventPosition,
      maxWaitTimeInSeconds: 0.2,
    });
    await new Promise((r) => setTimeout(r, 500));
    const highErrors: Error[] = [];
    const high = consumer().subscribe('3', handlers(highErrors), {
      ownerLevel: 2,
      startPosition: latestEventPosition,
      maxWaitTimeInSeconds: 0.2,
    });
    await eventually(() => expect(lowErrors.map((e) => (e as { code?: string }).code)).toContain('ReceiverDisconnectedError'), 10000);
    await Promise.all([low.close(), high.close()]);
    expect(highErrors).toEqual([]);
  });

  /** Bad input straight over AMQP with rhea, as no SDK would send it. */
  describe('bad input over raw AMQP', () => {
    const open = () => openAmqp(fx);
    const audience = () => audienceOf(fx);
    const serviceKey = () => serviceKeyOf(fx);

    test('an expired token is refused with 401, a valid one accepted', async () => {
      const connection = await open();
      const expired = createSas(audience(), serviceKey(), 'service', -60);
      expect(await putToken(connection, expired, audience())).toBe(401);
      connection.close();
      const again = await open();
      expect(await putToken(again, createSas(audience(), serviceKey(), 'service', 3600), audience())).toBe(202);
      again.close();
    });

    test('a receiver without a token, and one with a malformed filter, are detached with an AMQP error', async () => {
      const connection = await open();
      const address = `${fx.hub.hubName}/ConsumerGroups/$Default/Partitions/0`;
      const unauthorized = await detachError(connection, address, undefined);
      expect(unauthorized.condition).toBe('amqp:unauthorized-access');
      expect(await putToken(connection, createSas(audience(), serviceKey(), 'service', 3600), audience())).toBe(202);
      const badFilter = await detachError(connection, address, 'amqp.annotation.x-opt-offset ~ 12');
      expect(badFilter.condition).toBe('com.microsoft:argument-error');
      connection.close();
    });

    test("a token for 'sb://host/fleetwave' covers nothing of 'fleetwave-hub': put-token, attach and $management refuse it", async () => {
      const connection = await open();
      const token = createSas(`sb://${fx.hub.eventHubs.host}:${fx.hub.eventHubs.port}/fleetwave`, serviceKey(), 'service', 3600);
      expect(await putToken(connection, token, audience())).toBe(401);
      const refused = await detachError(connection, `${fx.hub.hubName}/ConsumerGroups/$Default/Partitions/0`, undefined);
      expect(refused.condition).toBe('amqp:unauthorized-access');
      const read = { operation: 'READ', name: fx.hub.hubName, type: 'com.microsoft:eventhub', security_token: token };
      expect(await requestStatus(connection, '$management', read)).toBe(401);
      connection.close();
    });

    function detachError(
      connection: AmqpConnection,
      address: string,
      filter: string | undefined,
    ): Promise<{ condition: string; description: string }> {
      return new Promise((resolve) => {
        const source: Record<string, unknown> = { address };
        if (filter) source.filter = { 'apache.org:selector-filter:string': amqpTypes.wrap_described(filter, 0x468c00000004) };
        const receiver = connection.open_receiver({ source: source as never, credit_window: 0 });
        receiver.once('receiver_error', (ctx) => resolve(ctx.receiver!.error as never));
      });
    }

    test('a frame announcing 4 GB before open, SASL or AMQP, closes the connection before its body is read', async () => {
      const sasl = Buffer.concat([Buffer.from('AMQP\x03\x01\x00\x00', 'latin1'), frameHeader(0xffffffff, 1)]);
      const amqp = Buffer.concat([Buffer.from('AMQP\x00\x01\x00\x00', 'latin1'), frameHeader(0xffffffff, 0)]);
      for (const header of [sasl, amqp]) {
        const result = await streamOversizeFrame(net.connect(fx.hub.eventHubs.port, fx.hub.eventHubs.host), header);
        expect(result.closed).toBe(true);
        expect(result.written).toBeLessThan(PROMPT_CLOSE);
      }
      await expect(consumer().getPartitionIds()).resolves.toHaveLength(4);
    });

    test('an open frame over 512 bytes is refused: no larger frame size is agreed before open', async () => {
      const opens = (containerId: string) =>
        new Promise<boolean>((resolve) => {
          const { host, port } = fx.hub.eventHubs;
          const connection = amqpConnect({ host, port, reconnect: false, container_id: containerId });
          connection.once('connection_open', () => {
            connection.close();
            resolve(true);
          });
          connection.once('disconnected', () => resolve(false));
        });
      // The open performative carries the container id: 400 characters keep the frame under 512 bytes, 600 do not.
      expect(await opens('c'.repeat(400))).toBe(true);
      expect(await opens('c'.repeat(600))).toBe(false);
    });

    test('after open, a frame over the max-frame-size the hub advertises closes the connection before its body is read', async () => {
      const connection = await open();
      expect(connection.max_frame_size).toBe(65536);
      const socket = (connection as unknown as { socket: net.Socket }).socket;
      const result = await streamOversizeFrame(socket, frameHeader(0xffffffff, 0));
      expect(result.closed).toBe(true);
      expect(result.written).toBeLessThan(PROMPT_CLOSE);
    });

    test('garbage on the socket ends that connection only', async () => {
      await new Promise<void>((resolve) => {
        const socket = net.connect(fx.hub.eventHubs.port, fx.hub.eventHubs.host, () =>
          socket.write(Buffer.from('AMQP\x09\x09\x09\x09garbage-garbage')),
        );
        socket.on('close', () => resolve());
        socket.on('error', () => undefined);
      });
      await expect(consumer().getPartitionIds()).resolves.toHaveLength(4);
    });
  });
});

function errorsOf(collector: Collector): string[] {
  return collector.errors.map((e) => e.message);
}

describe('the event log across a hub restart', () => {
  const fx = new HubFixture({ partitionCount: 2 });
  const { consumer, closeConsumers } = hubWithConsumers(fx);

  test('keeps old events, and a consumer resuming from its last sequence number misses nothing', async () => {
    const before = await fx.connectDevice('eh-restart');
    for (let i = 0; i < 3; i++) await report(before, { step: i });
    const first = new Collector(consumer()).start();
    const seen = await eventually(() => {
      const found = first.forDevice('eh-restart');
      expect(found).toHaveLength(3);
      return found;
    });
    await first.stop();
    const last = seen[2];

    await closeConsumers();
    await fx.restart();

    const after = await fx.deviceClient(await fx.connectionStringOf('eh-restart'));
    await after.open();
    for (let i = 3; i < 6; i++) await report(after, { step: i });

    const replay = new Collector(consumer()).start();
    await eventually(() => expect(replay.forDevice('eh-restart')).toHaveLength(6));
    await replay.stop();

    const resumed = new Collector(consumer(), { [last.partitionId]: { sequenceNumber: last.sequenceNumber } }).start(last.partitionId);
    const rest = await eventually(() => {
      const found = resumed.forDevice('eh-restart');
      expect(found).toHaveLength(3);
      return found;
    });
    await resumed.stop();
    expect(rest.map((e) => (e.body as { properties: { reported: { step: number } } }).properties.reported.step)).toEqual([3, 4, 5]);
    expect(rest[0].sequenceNumber).toBe(last.sequenceNumber + 1);
  });
});

describe('credit-based flow on a partition receiver', () => {
  const fx = new HubFixture({ partitionCount: 1 });
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('the endpoint sends no more events than the consumer granted credit for', async () => {
    const device = await fx.connectDevice('eh-credit');
    for (let i = 0; i < 5; i++) await report(device, { credit: i });
    const connection = await openAmqp(fx);
    expect(await putToken(connection, createSas(audienceOf(fx), serviceKeyOf(fx), 'service', 3600), audienceOf(fx))).toBe(202);
    const steps: number[] = [];
    const receiver = connection.open_receiver({
      source: { address: `${fx.hub.hubName}/ConsumerGroups/$Default/Partitions/0` },
      credit_window: 0,
    });
    receiver.on('message', (ctx) => {
      const body = JSON.parse((ctx.message!.body as { content: Buffer }).content.toString()) as {
        properties: { reported: { credit: number } };
      };
      steps.push(body.properties.reported.credit);
    });
    await new Promise((resolve) => receiver.once('receiver_open', resolve));
    receiver.add_credit(2);
    await eventually(() => expect(steps).toEqual([0, 1]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(steps).toEqual([0, 1]);
    receiver.add_credit(10);
    await eventually(() => expect(steps).toEqual([0, 1, 2, 3, 4]));
    connection.close();
  });
});
