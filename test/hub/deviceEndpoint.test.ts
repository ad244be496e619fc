import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Client as DeviceClient } from 'azure-iot-device';
import { HubFixture, eventually } from '../support/hubFixture';
import { mqttConnect } from '../../local/probes/mqttPackets';
import { PROMPT_CLOSE, streamOversizeFrame } from '../../local/probes/oversizeFrame';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';

/** The device SDK's underlying socket, to simulate a network drop or write raw packets. */
function socketOf(client: DeviceClient): tls.TLSSocket {
  return (client as unknown as { _transport: { _mqtt: { _mqttClient: { stream: tls.TLSSocket } } } })._transport._mqtt._mqttClient.stream;
}

const CONNECT = 0x10;
const PUBLISH_QOS0 = 0x30;

/** An MQTT fixed header with the largest remaining length there is, 268,435,455 bytes (MQTT 3.1.1 §2.2.3). */
const announcing256MB = (typeAndFlags: number) => Buffer.from([typeAndFlags, 0xff, 0xff, 0xff, 0x7f]);

/** A QoS 0 PUBLISH (MQTT 3.1.1 §3.3) of exactly `totalBytes`, fixed header included, for lengths needing 3 length bytes. */
function publishPacket(topic: string, totalBytes: number): Buffer {
  const remaining = totalBytes - 4;
  const length = Buffer.from([(remaining & 0x7f) | 0x80, ((remaining >> 7) & 0x7f) | 0x80, remaining >> 14]);
  const topicLength = Buffer.alloc(2);
  topicLength.writeUInt16BE(topic.length);
  const payload = Buffer.alloc(remaining - 2 - topic.length, 'x');
  return Buffer.concat([Buffer.from([PUBLISH_QOS0]), length, topicLength, Buffer.from(topic), payload]);
}

function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('MQTT device endpoint with the unmodified device SDK', () => {
  const fx = new HubFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('connect marks the device Connected, close marks it Disconnected', async () => {
    const client = await fx.connectDevice('mqtt-state');
    expect((await fx.twin('mqtt-state')).connectionState).toBe('Connected');
    await client.close();
    await eventually(async () => expect((await fx.registry.get('mqtt-state')).responseBody.connectionState).toBe('Disconnected'));
  });

  test('a wrong key is refused at CONNACK', async () => {
    const good = await fx.addDevice('mqtt-wrong-key');
    const client = await fx.deviceClient(
      good.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`),
    );
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  test("CONNACK says 5 (not authorized) for every credential refused, 4 only for a user name not of IoT Hub's form", async () => {
    const cs = await fx.addDevice('mqtt-connack');
    const key = Buffer.from(/SharedAccessKey=([^;]+)/.exec(cs)![1], 'base64');
    const { hostName } = fx.hub;
    const user = `${hostName}/mqtt-connack/?api-version=2021-04-12`;
    const resource = `${hostName}/devices/mqtt-connack`;
    const connackCode = (username: string, password: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = tls.connect({ host: fx.hub.mqtt.host, port: fx.hub.mqtt.port, ca: fx.caPem(), servername: 'localhost' }, () =>
          socket.write(mqttConnect('mqtt-connack', username, password)),
        );
        // CONNACK (§3.2): 0x20, remaining length 2, session present, return code.
        socket.once('data', (bytes: Buffer) => resolve(bytes[0] === 0x20 ? bytes[3] : -1));
        socket.once('error', reject);
        socket.once('close', () => reject(new Error('closed without a CONNACK')));
      });
    expect(await connackCode(user, createSas(resource, key, undefined, 3600))).toBe(0);
    expect(await connackCode(user, createSas(resource, Buffer.alloc(32, 7), undefined, 3600))).toBe(5);
    expect(await connackCode(user, createSas(resource, key, undefined, -60))).toBe(5);
    expect(await connackCode(user, createSas(`${hostName}/devices/someone-else`, key, undefined, 3600))).toBe(5);
    expect(await connackCode(user, 'hunter2')).toBe(5);
    expect(await connackCode('admin', createSas(resource, key, undefined, 3600))).toBe(4);
  });

  test('an unknown device is refused at CONNACK', async () => {
    const good = await fx.addDevice('mqtt-known');
    const client = await fx.deviceClient(good.replace('DeviceId=mqtt-known', 'DeviceId=mqtt-unknown'));
    await expect(client.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  test('a disabled device cannot connect, and disabling drops a connected one', async () => {
    const cs = await fx.addDevice('mqtt-disabled');
    const client = await fx.deviceClient(cs);
    await client.open();
    await fx.registry.update({ deviceId: 'mqtt-disabled', status: 'disabled' });
    await eventually(async () => expect((await fx.registry.get('mqtt-disabled')).responseBody.connectionState).toBe('Disconnected'));
    const again = await fx.deviceClient(cs);
    await expect(again.open()).rejects.toMatchObject({ name: 'UnauthorizedError' });
  });

  test('a device reconnecting after a dropped socket still gets twin responses and methods', async () => {
    const client = await fx.connectDevice('mqtt-drop');
    client.onDeviceMethod('ping', (_req, res) => res.send(200, 'pong', () => undefined));
    await client.getTwin();
    socketOf(client).destroy();
    await eventually(
      async () => {
        const { result } = await fx.service.invokeDeviceMethod('mqtt-drop', {
          methodName: 'ping',
          payload: null,
          responseTimeoutInSeconds: 5,
        });
        expect(result.payload).toBe('pong');
      },
      15000,
      200,
    );
    const twin = await client.getTwin();
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ afterDrop: true }, (err?: Error) => (err ? reject(err) : resolve())),
    );
    expect((await fx.twin('mqtt-drop')).properties.reported.afterDrop).toBe(true);
  });

  test('garbage on the MQTT socket closes that connection only', async () => {
    const client = await fx.connectDevice('mqtt-survivor');
    await new Promise<void>((resolve) => {
      const socket = tls.connect(
        { host: fx.hub.mqtt.host, port: fx.hub.mqtt.port, ca: readFileSync(fx.hub.caCertPath), servername: 'localhost' },
        () => {
          socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03]));
        },
      );
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
    // Plain TCP garbage to the TLS port, too.
    await new Promise<void>((resolve) => {
      const socket = net.connect(fx.hub.mqtt.port, fx.hub.mqtt.host, () => socket.write('GET / HTTP/1.1\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
    const twin = await client.getTwin();
    expect(twin.properties.reported.$version).toBe(1);
  });

  test('a CONNECT announcing 256 MB closes the connection before its body is read', async () => {
    const socket = tls.connect({ host: fx.hub.mqtt.host, port: fx.hub.mqtt.port, ca: fx.caPem(), servername: 'localhost' });
    const result = await streamOversizeFrame(socket, announcing256MB(CONNECT));
    expect(result.closed).toBe(true);
    expect(result.written).toBeLessThan(PROMPT_CLOSE);
  });

  test('a connected device may send packets up to 256 KiB; one byte more ends its connection', async () => {
    const { Message } = await import('azure-iot-device');
    const sizes: number[] = [];
    fx.hub.onTelemetry((m) => m.deviceId === 'mqtt-packet-size' && sizes.push(m.body.length));
    const client = await fx.connectDevice('mqtt-packet-size');
    await client.sendEvent(new Message(Buffer.alloc(255 * 1024, 'x')));
    await eventually(() => expect(sizes).toEqual([255 * 1024]));

    const topic = 'devices/mqtt-packet-size/messages/events/';
    const socket = socketOf(client);
    socket.write(publishPacket(topic, 256 * 1024));
    const bodyAtLimit = 256 * 1024 - 4 - 2 - topic.length;
    await eventually(() => expect(sizes).toEqual([255 * 1024, bodyAtLimit]));
    const closed = closedWithin(socket, 5000);
    socket.write(publishPacket(topic, 256 * 1024 + 1));
    expect(await closed).toBe(true);
    expect(sizes).toEqual([255 * 1024, bodyAtLimit]);
  });

  test('a connected device announcing a 256 MB packet is disconnected before its body is read', async () => {
    const client = await fx.connectDevice('mqtt-packet-huge');
    const result = await streamOversizeFrame(socketOf(client), announcing256MB(PUBLISH_QOS0));
    expect(result.closed).toBe(true);
    expect(result.written).toBeLessThan(PROMPT_CLOSE);
  });

  test('telemetry reaches the hub with its properties', async () => {
    const { Message } = await import('azure-iot-device');
    const received: { deviceId: string; body: string; properties: Record<string, string> }[] = [];
    fx.hub.onTelemetry((m) => received.push({ deviceId: m.deviceId, body: m.body.toString(), properties: m.properties }));
    const client = await fx.connectDevice('mqtt-telemetry');
    const message = new Message(JSON.stringify({ temperature: 21 }));
    message.properties.add('kind', 'reading');
    await client.sendEvent(message);
    await eventually(() =>
      expect(received).toContainEqual({ deviceId: 'mqtt-telemetry', body: '{"temperature":21}', properties: { kind: 'reading' } }),
    );
  });
});

describe('hub restart', () => {
  const fx = new HubFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('keeps registry, keys, twins and policies', async () => {
    const cs = await fx.addDevice('persist-1', { ring: 'canary' });
    const client = await fx.deviceClient(cs);
    await client.open();
    const twin = await client.getTwin();
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ fw: '1.0.0' }, (err?: Error) => (err ? reject(err) : resolve())),
    );
    const before = await fx.twin('persist-1');

    await fx.restart();

    const after = await fx.twin('persist-1');
    expect(after.tags).toEqual({ ring: 'canary' });
    expect(after.properties.reported.fw).toBe('1.0.0');
    expect(after.version).toBe(before.version);
    expect(after.etag).toBe(before.etag);
    expect(after.connectionState).toBe('Disconnected');
    // The same connection string (same key) still connects.
    const reconnected = await fx.deviceClient(cs);
    await reconnected.open();
    expect((await reconnected.getTwin()).properties.reported.fw).toBe('1.0.0');
  });
});
