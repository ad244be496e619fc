import type { Client as DeviceClient, Twin as DeviceTwin } from 'azure-iot-device';
import { HubFixture, eventually, httpFailure, nestedErrorCode } from '../support/hubFixture';

function deviceTwin(client: DeviceClient): Promise<DeviceTwin> {
  return client.getTwin();
}

function report(twin: DeviceTwin, patch: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())));
}

/** Every twin response (topic and body) the device SDK's MQTT client receives from now on. */
function twinResponses(client: DeviceClient): { topic: string; body: string }[] {
  type MqttJsClient = { on(event: 'message', listener: (topic: string, payload: Buffer) => void): void };
  const transport = (client as unknown as { _transport: { _mqtt: { _mqttClient: MqttJsClient } } })._transport;
  const responses: { topic: string; body: string }[] = [];
  transport._mqtt._mqttClient.on('message', (topic, payload) => {
    if (topic.startsWith('$iothub/twin/res/')) responses.push({ topic, body: payload.toString() });
  });
  return responses;
}

const DEPTH_MESSAGE = 'Property or Tag nesting depth should be maximum 10. Error in Property/Tag a';

/** `[[…[]…]]` as JSON text: the hub gets it as sent, whatever its depth. */
function nestedArrays(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

describe('twins between the unmodified service and device SDKs', () => {
  const fx = new HubFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('tags and desired update with etag; a stale etag is 412', async () => {
    await fx.addDevice('twin-etag');
    const twin = await fx.twin('twin-etag');
    expect(twin.version).toBe(1);
    expect(twin.properties.desired.$version).toBe(1);

    const { responseBody: updated } = await fx.registry.updateTwin(
      'twin-etag',
      { tags: { ring: 'canary', site: { city: 'Oslo' } }, properties: { desired: { fw: { target: '2.0.0' } } } },
      twin.etag,
    );
    expect(updated.tags).toEqual({ ring: 'canary', site: { city: 'Oslo' } });
    expect(updated.properties.desired.fw).toEqual({ target: '2.0.0' });
    expect(updated.properties.desired.$version).toBe(2);
    expect(updated.properties.desired.$metadata.fw.target.$lastUpdatedVersion).toBe(2);
    expect((updated as unknown as { version: number }).version).toBe(twin.version + 1);
    expect(updated.etag).not.toBe(twin.etag);

    const stale = await fx.registry.updateTwin('twin-etag', { tags: { ring: 'broad' } }, twin.etag).catch((e: unknown) => e);
    expect(httpFailure(stale)).toMatchObject({ status: 412, name: 'InvalidEtagError' });
    expect(nestedErrorCode(httpFailure(stale).body)).toBe(412001);
    expect((await fx.twin('twin-etag')).tags?.ring).toBe('canary');

    const { responseBody: merged } = await fx.registry.updateTwin('twin-etag', { tags: { site: { city: null, zip: '0150' } } }, '*');
    expect(merged.tags).toEqual({ ring: 'canary', site: { zip: '0150' } });
  });

  test('a desired update reaches the connected device', async () => {
    const client = await fx.connectDevice('twin-desired');
    const twin = await deviceTwin(client);
    const received: Record<string, unknown>[] = [];
    twin.on('properties.desired', (delta: Record<string, unknown>) => received.push(delta));
    // The SDK also fires once with the full desired section right after subscribing.
    await eventually(() => expect(received.length).toBeGreaterThanOrEqual(1));
    await fx.registry.updateTwin('twin-desired', { properties: { desired: { interval: 30 } } }, '*');
    await eventually(() => expect(received).toContainEqual(expect.objectContaining({ interval: 30, $version: 2 })));
    expect(twin.properties.desired.interval).toBe(30);
  });

  test("a device's reported patch is visible to the service, with metadata", async () => {
    const client = await fx.connectDevice('twin-reported');
    const twin = await deviceTwin(client);
    await report(twin, { firmware: { currentFwVersion: '1.0.0' }, iothubDM: { firmwareUpdate: { status: 'waiting' } } });
    await report(twin, { iothubDM: { firmwareUpdate: { status: 'downloading', progress: 10 } } });
    const responseBody = await fx.twin('twin-reported');
    const reported = responseBody.properties.reported;
    expect(reported.firmware.currentFwVersion).toBe('1.0.0');
    expect(reported.iothubDM.firmwareUpdate).toEqual({ status: 'downloading', progress: 10 });
    expect(reported.$version).toBe(3);
    expect(typeof reported.$metadata.iothubDM.firmwareUpdate.status.$lastUpdated).toBe('string');
    expect(responseBody.connectionState).toBe('Connected');
  });

  test('the service cannot write reported properties', async () => {
    await fx.addDevice('twin-no-reported');
    const error = await fx.registry
      .updateTwin('twin-no-reported', { properties: { reported: { x: 1 } } } as never, '*')
      .catch((e: unknown) => e);
    expect(httpFailure(error).status).toBe(400);
    expect(nestedErrorCode(httpFailure(error).body)).toBe(400004);
  });

  test('illegal keys are rejected on both endpoints and nothing is applied', async () => {
    const client = await fx.connectDevice('twin-keys');
    for (const tags of [{ 'a.b': 1 }, { $x: 1 }, { 'with space': 1 }]) {
      const error = await fx.registry.updateTwin('twin-keys', { tags }, '*').catch((e: unknown) => e);
      expect(httpFailure(error).status).toBe(400);
    }
    const twin = await deviceTwin(client);
    await expect(report(twin, { good: 1, nested: { 'bad.key': 2 } })).rejects.toBeDefined();
    const responseBody = await fx.twin('twin-keys');
    expect(responseBody.tags ?? {}).toEqual({});
    expect(responseBody.properties.reported.good).toBeUndefined();
  });

  test('an oversize twin section is rejected with IoT Hub error code and nothing applied', async () => {
    const client = await fx.connectDevice('twin-size');
    const twin = await deviceTwin(client);
    await expect(report(twin, { blob: 'x'.repeat(40 * 1024) })).rejects.toBeDefined();
    const tooBigTags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'y'.repeat(1000)]));
    const error = await fx.registry.updateTwin('twin-size', { tags: tooBigTags }, '*').catch((e: unknown) => e);
    expect(httpFailure(error).status).toBeGreaterThanOrEqual(400);
    expect(nestedErrorCode(httpFailure(error).body)).toBeDefined();
    const responseBody = await fx.twin('twin-size');
    expect(responseBody.tags ?? {}).toEqual({});
    expect(responseBody.properties.reported.blob).toBeUndefined();
  });

  test('the twin PATCH with malformed JSON gets the nested error body', async () => {
    await fx.addDevice('twin-json');
    const response = await fx.rawRequest('PATCH', '/twins/twin-json?api-version=2021-04-12', '{"tags": ');
    expect(response.status).toBe(400);
    expect(JSON.parse(JSON.parse(response.body).Message)).toMatchObject({ errorCode: 400004 });
  });

  test('arrays nested 5,000 deep in a service twin PATCH are refused with 400004, tags and desired alike', async () => {
    await fx.addDevice('twin-deep-service');
    for (const body of [`{"tags":{"a":${nestedArrays(5000)}}}`, `{"properties":{"desired":{"a":${nestedArrays(5000)}}}}`]) {
      const response = await fx.rawRequest('PATCH', '/twins/twin-deep-service?api-version=2021-04-12', body);
      expect(response.status).toBe(400);
      expect(response.headers['iothub-errorcode']).toBe('ArgumentInvalid');
      expect(JSON.parse(JSON.parse(response.body).Message)).toMatchObject({ errorCode: 400004, message: DEPTH_MESSAGE });
    }
    const twin = await fx.twin('twin-deep-service');
    expect(twin.tags ?? {}).toEqual({});
    expect(twin.properties.desired.a).toBeUndefined();
  });

  test("deeply nested arrays in a device's reported patch get a 400 twin response; the connection stays usable", async () => {
    const client = await fx.connectDevice('twin-deep-device');
    const twin = await deviceTwin(client);
    const responses = twinResponses(client);
    // Not 5,000: the SDK serializes with JSON.stringify, which V8 gives up on at about 4,300 nested arrays.
    await expect(report(twin, { a: JSON.parse(nestedArrays(3000)) as unknown })).rejects.toThrow(DEPTH_MESSAGE);
    expect(responses).toHaveLength(1);
    expect(responses[0].topic).toMatch(/^\$iothub\/twin\/res\/400\/\?\$rid=/);
    expect(JSON.parse(responses[0].body)).toMatchObject({ errorCode: 400004, message: DEPTH_MESSAGE });

    await report(twin, { afterDeep: true });
    expect((await fx.twin('twin-deep-device')).properties.reported).toMatchObject({ afterDeep: true, $version: 2 });
  });
});
