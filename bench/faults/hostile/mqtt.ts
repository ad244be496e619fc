/**
 * The hub's MQTT device endpoint (TLS): CONNECTs that must be refused, topics a device may not
 * touch, packets over the 256 KiB limit, twin patches over the depth limit and bytes that are not
 * MQTT. Raw cases write MQTT 3.1.1 packets by hand, so each one is exactly what the case says.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { Client as DeviceClient, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { createSas } from '../../../local/hub/authentication/sharedAccessSignature';
import { readMqttPacketSize } from '../../../local/hub/device/mqttPacketSizeReader';
import type { HubProcess } from '../../../local/stack/HubProcess';
import { mqttConnect as connect, mqttPacket as packet, mqttString as utf8 } from '../../../local/probes/mqttPackets';
import { PROMPT_CLOSE } from '../../../local/probes/oversizeFrame';
import type { Case, Edge } from './cases';
import { closed, describeWire, oversizeFrame, sendAndWatchClose, tcpConnect, type WireAnswer } from './wire';

const DEVICE = 'hostile-mqtt';
const OTHER = 'hostile-mqtt-other';
/** Connected through the device SDK, apart from the raw connections as DEVICE. */
const SDK_DEVICE = 'hostile-mqtt-sdk';
const AFTER_DEVICE = 'hostile-mqtt-after';
const WRONG_KEY = Buffer.alloc(32, 7);
/** How long a case waits for a reply, and then for the close that should follow. */
const WAIT_MS = 2000;
/** An oversize packet must be refused within this time. */
const CLOSE_MS = 2000;

const subscribe = (filter: string) => packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(filter), Buffer.from([1])]));
const publish = (topic: string, payload: string) => packet(0x30, Buffer.concat([utf8(topic), Buffer.from(payload)]));
const PINGREQ = Buffer.from([0xc0, 0]);
/** A fixed header with the largest remaining length there is, 268,435,455 bytes (§2.2.3). */
const announcing256MB = (typeAndFlags: number) => Buffer.from([typeAndFlags, 0xff, 0xff, 0xff, 0x7f]);

function describePacket(bytes: Buffer): string {
  const headerLength = bytes.findIndex((byte, i) => i > 0 && (byte & 0x80) === 0) + 1;
  const body = bytes.subarray(headerLength);
  switch (bytes[0] >> 4) {
    case 2:
      return `CONNACK ${body[1]}`;
    case 3:
      return `PUBLISH ${body.subarray(2, 2 + body.readUInt16BE(0)).toString()}`;
    case 9:
      return `SUBACK ${[...body.subarray(2)].map((code) => `0x${code.toString(16).padStart(2, '0')}`).join(',')}`;
    case 13:
      return 'PINGRESP';
    default:
      return `packet type ${bytes[0] >> 4}`;
  }
}

/** A TLS connection that reads the hub's packets whole (framed with the hub's own size reader). */
class RawMqtt {
  private bytes = Buffer.alloc(0);
  private readonly packets: Buffer[] = [];
  private wake: () => void = () => undefined;
  private closedAt?: number;

  private constructor(readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      for (let size = this.nextSize(); size !== undefined && size <= this.bytes.length; size = this.nextSize()) {
        this.packets.push(this.bytes.subarray(0, size));
        this.bytes = this.bytes.subarray(size);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closedAt = performance.now();
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(hub: HubProcess): Promise<RawMqtt> {
    const { host, port } = hub.info.mqtt;
    return new Promise((resolve, reject) => {
      const ca = readFileSync(hub.info.caCertPath);
      const socket = tls.connect({ host, port, ca, servername: 'localhost' }, () => resolve(new RawMqtt(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends the bytes, then records what comes back within WAIT_MS and whether the hub then closes the connection. */
  async exchange(bytes: Buffer, replies = 1): Promise<WireAnswer> {
    const start = performance.now();
    this.socket.write(bytes);
    const answer: WireAnswer = { replies: [] };
    for (let i = 0; i < replies; i++) {
      const reply = await this.next(start + WAIT_MS);
      if (reply === undefined) break;
      answer.replies.push(describePacket(reply));
    }
    answer.closedAfterMs = await this.closedAfter(start, performance.now() + WAIT_MS);
    return answer;
  }

  end(): void {
    this.socket.destroy();
  }

  private nextSize(): number | undefined {
    for (let n = 2; n <= Math.min(5, this.bytes.length); n++) {
      const size = readMqttPacketSize(this.bytes.subarray(0, n));
      if (size) return size.length;
    }
    return undefined;
  }

  private async next(deadline: number): Promise<Buffer | undefined> {
    while (this.packets.length === 0 && this.closedAt === undefined && performance.now() < deadline) await this.sleepUntil(deadline);
    return this.packets.shift();
  }

  private async closedAfter(from: number, deadline: number): Promise<number | null> {
    while (this.closedAt === undefined && performance.now() < deadline) await this.sleepUntil(deadline);
    return this.closedAt === undefined ? null : Math.round(this.closedAt - from);
  }

  private sleepUntil(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, deadline - performance.now());
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export async function mqttEdge(hub: HubProcess): Promise<Edge<WireAnswer>> {
  const { hostName } = hub.info;
  await hub.registry.addDevices([DEVICE, OTHER].map((deviceId) => ({ deviceId })));
  const [sdkClient] = await hub.deviceClients([SDK_DEVICE]);
  const key = Buffer.from(/SharedAccessKey=([^;]+)/.exec(await hub.connectionString(DEVICE))![1], 'base64');
  const username = (deviceId: string) => `${hostName}/${deviceId}/?api-version=2021-04-12`;
  const token = (signingKey = key, ttlSeconds = 3600) => createSas(`${hostName}/devices/${DEVICE}`, signingKey, undefined, ttlSeconds);
  const openTls = () => RawMqtt.open(hub).then((session) => session.socket);
  const openTcp = () => tcpConnect(hub.info.mqtt.host, hub.info.mqtt.port);

  /** Raw CONNECT with the given fields: the CONNACK and the close that must follow a refusal. */
  const refused = (
    input: string,
    fields: { clientId?: string; username?: string; password?: string },
    codes: number[],
  ): Case<WireAnswer> => ({
    input: `CONNECT ${input}`,
    expected: `CONNACK ${codes.join(' or ')}, then the connection closed`,
    send: async () => {
      const session = await RawMqtt.open(hub);
      try {
        return await session.exchange(connect(fields.clientId ?? DEVICE, fields.username ?? username(DEVICE), fields.password ?? token()));
      } finally {
        session.end();
      }
    },
    expect: (a) => codes.some((code) => a.replies[0] === `CONNACK ${code}`) && closed(a),
  });
  /** Connects as DEVICE with a valid token, then sends `bytes`. */
  const asDevice = async (bytes: Buffer, replies: number): Promise<WireAnswer> => {
    const session = await RawMqtt.open(hub);
    try {
      const accepted = await session.exchange(connect(DEVICE, username(DEVICE), token()));
      if (accepted.replies[0] !== 'CONNACK 0') throw new Error(`a valid CONNECT got ${describeWire(accepted)}`);
      return await session.exchange(bytes, replies);
    } finally {
      session.end();
    }
  };
  const refusedSubscription = (filter: string): Case<WireAnswer> => ({
    input: `SUBSCRIBE \`${filter}\` (then PINGREQ)`,
    expected: 'SUBACK 0x80 (failure), the connection still usable (PINGRESP)',
    send: () => asDevice(Buffer.concat([subscribe(filter), PINGREQ]), 2),
    expect: (a) => a.replies.join() === 'SUBACK 0x80,PINGRESP' && a.closedAfterMs === null,
  });
  const refusedPublish = (topic: string): Case<WireAnswer> => ({
    input: `PUBLISH to \`${topic}\``,
    expected: 'connection closed, nothing sent back',
    send: () => asDevice(publish(topic, '{"hostile":true}'), 1),
    expect: (a) => a.replies.length === 0 && closed(a),
  });
  const closesAtOnce = (input: string, open: () => Promise<net.Socket>, bytes: Buffer): Case<WireAnswer> => ({
    input,
    expected: `connection closed within ${CLOSE_MS} ms`,
    send: async () => sendAndWatchClose(await open(), bytes, CLOSE_MS),
    expect: (a) => closed(a),
  });
  const oversize = (input: string, open: () => Promise<tls.TLSSocket>, header: Buffer): Case<WireAnswer> => ({
    input,
    expected: `closed within ${CLOSE_MS} ms, before ${PROMPT_CLOSE / 2 ** 20} MiB of body were accepted`,
    send: async () => oversizeFrame(await open(), header),
    expect: (a) => closed(a, CLOSE_MS) && a.written! < PROMPT_CLOSE,
  });

  return {
    title: 'IoT Hub emulator, MQTT device endpoint (TLS)',
    describe: describeWire,
    cases: [
      {
        input: 'azure-iot-device Client.open() with a wrong key',
        expected: 'open() rejects with UnauthorizedError',
        send: async () => {
          const cs = (await hub.connectionString(DEVICE)).replace(
            /SharedAccessKey=[^;]+/,
            `SharedAccessKey=${WRONG_KEY.toString('base64')}`,
          );
          const client = DeviceClient.fromConnectionString(cs, Mqtt);
          await client.setOptions({ ca: readFileSync(hub.info.caCertPath, 'utf8') });
          const error = await client.open().then(
            () => undefined,
            (e: Error) => e,
          );
          await client.close();
          return { replies: [error ? `open() rejected: ${error.name}: ${error.message}` : 'open() succeeded'] };
        },
        expect: (a) => a.replies[0].startsWith('open() rejected: UnauthorizedError'),
      },
      refused('with a token signed with a wrong key', { password: token(WRONG_KEY) }, [5]),
      refused('with an expired token', { password: token(key, -60) }, [5]),
      refused('with a password that is not a SAS token (`hunter2`)', { password: 'hunter2' }, [5]),
      refused('with a user name not of the form `<host>/<device>/?api-version=…` (`admin`)', { username: 'admin' }, [4]),
      refused(`with the user name of another device (${OTHER})`, { username: username(OTHER) }, [4]),
      refused('as an unregistered device', { clientId: 'hostile-nobody', username: username('hostile-nobody') }, [5]),
      refusedSubscription('#'),
      refusedSubscription(`devices/${OTHER}/messages/devicebound/#`),
      refusedSubscription('devices/+/messages/events/#'),
      refusedPublish(`devices/${OTHER}/messages/events/`),
      refusedPublish('$iothub/twin/PATCH/properties/desired/?$rid=1'),
      {
        input: 'a second CONNECT on a connected session',
        expected: 'connection closed (MQTT-3.1.0-2)',
        send: () => asDevice(connect(DEVICE, username(DEVICE), token()), 1),
        expect: (a) => closed(a),
      },
      oversize('CONNECT announcing 256 MB (remaining length 268,435,455), body streamed', openTls, announcing256MB(0x10)),
      oversize(
        'after CONNACK, a PUBLISH announcing 256 MB, body streamed',
        async () => {
          const session = await RawMqtt.open(hub);
          await session.exchange(connect(DEVICE, username(DEVICE), token()));
          return session.socket;
        },
        announcing256MB(0x30),
      ),
      {
        input: 'azure-iot-device reported patch with arrays nested 3,000 deep (as deep as the SDK can stringify safely), then a normal one',
        expected: 'a twin response on $iothub/twin/res/400 with errorCode 400004, report rejected; the next report accepted',
        send: () => deepReport(sdkClient),
        expect: (a) =>
          a.replies[0].startsWith('report rejected:') &&
          /^twin response on \$iothub\/twin\/res\/400\/.*errorCode 400004/.test(a.replies[1] ?? '') &&
          a.replies[2] === 'next report accepted',
      },
      closesAtOnce('garbage bytes `ff ff ff ff 01 02 03` after the TLS handshake', openTls, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])),
      closesAtOnce('plain-text `GET / HTTP/1.1` to the TLS port', openTcp, Buffer.from('GET / HTTP/1.1\r\n\r\n')),
      {
        input: 'after all of the above: azure-iot-device open() and getTwin() as another device',
        expected: 'both succeed',
        send: async () => {
          const [client] = await hub.deviceClients([AFTER_DEVICE]);
          await client.open();
          try {
            const twin = await client.getTwin();
            return { replies: [`open() and getTwin() succeeded, reported $version ${twin.properties.reported.$version}`] };
          } finally {
            await client.close();
          }
        },
        expect: (a) => a.replies[0].startsWith('open() and getTwin() succeeded'),
      },
    ],
  };
}

/** A reported patch too deep for IoT Hub through the device SDK, then a normal one: what the SDK and the wire showed. */
async function deepReport(client: DeviceClient): Promise<WireAnswer> {
  await client.open();
  try {
    const twin = await client.getTwin();
    const responses: string[] = [];
    type MqttJsClient = { on(event: 'message', listener: (topic: string, payload: Buffer) => void): void };
    const mqttClient = (client as unknown as { _transport: { _mqtt: { _mqttClient: MqttJsClient } } })._transport._mqtt._mqttClient;
    mqttClient.on('message', (topic, payload) => {
      if (!topic.startsWith('$iothub/twin/res/')) return;
      const { errorCode, message } = JSON.parse(payload.toString() || '{}') as { errorCode?: number; message?: string };
      responses.push(`twin response on ${topic.replace(/\$rid=[^&]*/, '$rid=…')}: errorCode ${errorCode}, ${message}`);
    });
    const deep = await report(twin, { a: JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) as unknown });
    const next = await report(twin, { afterDeep: true });
    const deepOutcome = deep ? `report rejected: ${deep.message}` : 'report accepted';
    return {
      replies: [deepOutcome, responses[0] ?? 'no twin response', next ? `next report failed: ${next.message}` : 'next report accepted'],
    };
  } finally {
    await client.close();
  }
}

function report(twin: Twin, patch: Record<string, unknown>): Promise<Error | undefined> {
  return new Promise((resolve) => twin.properties.reported.update(patch, (err?: Error) => resolve(err)));
}
