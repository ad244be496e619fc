import type { EventEmitter } from 'node:events';
import { Message, type Client as DeviceClient, type Twin } from 'azure-iot-device';
import { HubFixture } from '../support/hubFixture';
import { ManualClock } from '../support/manualClock';
import { connackOf, registerWithKnownKey, throttlingStats as stats } from '../support/throttling';

/** The device SDK's MQTT.js client, to see the hub's raw replies. */
function mqttClientOf(client: DeviceClient): EventEmitter {
  return (client as unknown as { _transport: { _mqtt: { _mqttClient: EventEmitter } } })._transport._mqtt._mqttClient;
}

/** The SDK would retry a ServiceUnavailableError (CONNACK 3) for minutes; these tests look at the first answer. */
const NO_RETRY = { shouldRetry: () => false, nextRetryTimeout: () => 0 } as unknown as Parameters<DeviceClient['setRetryPolicy']>[0];

function report(twin: Twin, patch: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => twin.properties.reported.update(patch, (error?: Error) => (error ? reject(error) : resolve())));
}

function readTwin(twin: Twin): Promise<Twin> {
  return new Promise((resolve, reject) => twin.get((error, result) => (error ? reject(error) : resolve(result!))));
}

describe('MQTT device endpoint of an S1 hub without a shaping queue, on a stopped clock', () => {
  const clock = new ManualClock();
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, shapingSeconds: 0, clock } });
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());
  beforeEach(() => clock.advance(60_000));

  test('the 51st reported patch in a second fails in the device SDK ($iothub/twin/res/429, errorCode 429001) and is not applied', async () => {
    const client = await fx.connectDevice('patches');
    const twin = await client.getTwin();
    const replies: { topic: string; body: string }[] = [];
    mqttClientOf(client).on('message', (topic: string, payload: Buffer) => replies.push({ topic, body: payload.toString() }));
    const outcomes = await Promise.allSettled(Array.from({ length: 51 }, (_, n) => report(twin, { n })));
    expect(outcomes.slice(0, 50).every((o) => o.status === 'fulfilled')).toBe(true);
    const last = outcomes[50];
    expect(last.status).toBe('rejected');
    expect(((last as PromiseRejectedResult).reason as Error).message).toMatch(
      /^Throttled: twin updates on this IoT Hub \(S1 × 1 unit\) are limited to 50\/s/,
    );
    const refusals = replies.filter((reply) => reply.topic.startsWith('$iothub/twin/res/429/'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0].topic).toMatch(/^\$iothub\/twin\/res\/429\/\?\$rid=[^&]+$/);
    expect(JSON.parse(refusals[0].body)).toMatchObject({ errorCode: 429001, message: expect.stringContaining('twin updates') });
    const reported = (await fx.twin('patches')).properties.reported;
    expect({ n: reported.n, version: reported.$version }).toEqual({ n: 49, version: 51 });
    expect((await stats(fx)).operations.twinUpdates).toMatchObject({ passed: 50, shaped: 0, rejected: 1 }); // the first test here
  });

  test('twin GETs are twin reads: the 101st fails the same way; method responses and telemetry are not metered', async () => {
    const client = await fx.connectDevice('reads');
    client.onDeviceMethod('ping', (_request, response) => response.send(200, 'pong', () => undefined));
    const twin = await client.getTwin();
    const reads = await Promise.allSettled(Array.from({ length: 100 }, () => readTwin(twin)));
    expect(reads.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as Error).message)).toEqual([
      expect.stringMatching(/^Throttled: twin reads on this IoT Hub \(S1 × 1 unit\) are limited to 100\/s/),
    ]);
    const before = (await stats(fx)).operations;
    await fx.service.invokeDeviceMethod('reads', { methodName: 'ping', payload: null, responseTimeoutInSeconds: 5 });
    await client.sendEvent(new Message('{}'));
    const after = (await stats(fx)).operations;
    expect(after.twinReads).toEqual(before.twinReads);
    expect(after.twinUpdates).toEqual(before.twinUpdates);
    expect(after.directMethods.passed).toBe(before.directMethods.passed + 1);
  });

  test('a CONNECT over the new-connection budget is refused with CONNACK 3, Server unavailable', async () => {
    const ids = await registerWithKnownKey(fx, 'conn', 101);
    const counted = (await stats(fx)).operations.deviceConnections;
    const codes: number[] = [];
    for (const id of ids) codes.push(await connackOf(fx, id));
    expect(codes).toEqual([...Array(100).fill(0), 3]);
    const client = await fx.deviceClient(await fx.connectionStringOf('conn-0'));
    client.setRetryPolicy(NO_RETRY);
    await expect(client.open()).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringContaining('Server unavailable'),
    });
    expect((await stats(fx)).operations.deviceConnections).toMatchObject({ passed: counted.passed + 100, rejected: counted.rejected + 2 });
    // A connection refused for bad credentials is refused before the meter: it costs nothing.
    const before = (await stats(fx)).operations.deviceConnections;
    const wrongKey = `SharedAccessKey=${Buffer.alloc(32, 1).toString('base64')}`;
    const wrong = await fx.deviceClient((await fx.connectionStringOf('conn-1')).replace(/SharedAccessKey=[^;]+/, wrongKey));
    await expect(wrong.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect((await stats(fx)).operations.deviceConnections).toEqual(before);
    clock.advance(10); // one connection's worth
    await client.open();
  });
});

describe('MQTT device endpoint of an S1 hub with its 5 s shaping queue, on a stopped clock', () => {
  const clock = new ManualClock();
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, clock } });
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());
  beforeEach(() => clock.advance(60_000));

  test('shaped patches are applied late but in order, and a twin GET sent after them sees them all', async () => {
    const client = await fx.connectDevice('ordered');
    const twin = await client.getTwin();
    // The GET's answer as the hub sent it (the SDK's twin object also merges the acknowledged patches).
    const answers: { reported: { seq?: number } }[] = [];
    mqttClientOf(client).on('message', (topic: string, payload: Buffer) => {
      if (topic.startsWith('$iothub/twin/res/200/')) answers.push(JSON.parse(payload.toString()));
    });
    const acknowledged: number[] = [];
    const started = Date.now();
    const patches = Array.from({ length: 60 }, (_, seq) => report(twin, { seq }).then(() => acknowledged.push(seq)));
    await readTwin(twin);
    await Promise.all(patches);
    // 50 at once, then 10 at 20 ms intervals: the last waits 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(acknowledged).toEqual(Array.from({ length: 60 }, (_, seq) => seq));
    expect(answers.map((answer) => answer.reported.seq)).toEqual([59]);
    expect((await stats(fx)).operations.twinUpdates).toMatchObject({ passed: 50, shaped: 10, rejected: 0 });
  });

  test('a CONNECT in the shaping queue gets its CONNACK late, and the device SDK just connects', async () => {
    const ids = await registerWithKnownKey(fx, 'late', 150);
    const before = (await stats(fx)).operations.deviceConnections;
    expect(await Promise.all(ids.map((id) => connackOf(fx, id)))).toEqual(Array(150).fill(0));
    const after = (await stats(fx)).operations.deviceConnections;
    expect({ passed: after.passed - before.passed, shaped: after.shaped - before.shaped, rejected: after.rejected }).toEqual({
      passed: 100,
      shaped: 50,
      rejected: 0,
    });
    // 150 connections' worth spent in one instant of the hub's clock: the next waits 510 ms.
    const client = await fx.deviceClient(await fx.connectionStringOf('late-0'));
    const started = Date.now();
    await client.open();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });
});
