import tls from 'node:tls';
import { mqttConnect } from '../../local/probes/mqttPackets';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';
import type { ThrottlingStats } from '../../local/hub/throttling/HubThrottles';
import type { HubFixture } from './hubFixture';

/** The hub's throttle counters, from its emulator-only route. */
export async function throttlingStats(fx: HubFixture): Promise<ThrottlingStats> {
  const response = await fx.rawRequest('GET', '/fleetwave/throttling?api-version=2021-04-12');
  if (response.status !== 200) throw new Error(`GET /fleetwave/throttling answered ${response.status}: ${response.body}`);
  return JSON.parse(response.body) as ThrottlingStats;
}

const KEY = Buffer.alloc(32, 9).toString('base64');

/** Registers `<prefix>-0` … `<prefix>-<count - 1>` sharing one known key, in bulk (one identity registry request per 100). */
export async function registerWithKnownKey(fx: HubFixture, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < ids.length; i += 100) {
    const authentication = { symmetricKey: { primaryKey: KEY, secondaryKey: KEY } };
    const devices = ids.slice(i, i + 100).map((deviceId) => ({ deviceId, authentication }));
    const { responseBody } = await fx.registry.addDevices(devices);
    if (!responseBody.isSuccessful) throw new Error(`could not register ${prefix}-*: ${JSON.stringify(responseBody.errors)}`);
  }
  return ids;
}

/** A raw MQTT CONNECT of a device registered by registerWithKnownKey; resolves with the CONNACK return code, then hangs up. */
export function connackOf(fx: HubFixture, deviceId: string): Promise<number> {
  const { hostName } = fx.hub;
  const password = createSas(`${hostName}/devices/${deviceId}`, Buffer.from(KEY, 'base64'), undefined, 3600);
  return new Promise<number>((resolve, reject) => {
    const socket = tls.connect({ host: fx.hub.mqtt.host, port: fx.hub.mqtt.port, ca: fx.caPem(), servername: 'localhost' }, () =>
      socket.write(mqttConnect(deviceId, `${hostName}/${deviceId}/?api-version=2021-04-12`, password)),
    );
    // CONNACK (MQTT 3.1.1 §3.2): 0x20, remaining length 2, session present, return code.
    socket.once('data', (bytes: Buffer) => {
      resolve(bytes[0] === 0x20 ? bytes[3] : -1);
      socket.destroy();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed without a CONNACK')));
  });
}

/**
 * On a hub without a shaping queue whose clock stands still: connects until the hub refuses a
 * connection (CONNACK 3), so that none is left in its budget. Returns how many it took.
 */
export async function spendConnections(fx: HubFixture, prefix: string): Promise<number> {
  const ids = await registerWithKnownKey(fx, prefix, 101);
  for (const [i, id] of ids.entries()) {
    if ((await connackOf(fx, id)) === 3) return i;
  }
  throw new Error('the hub never refused a connection: is its clock stopped and its shaping queue off?');
}

/**
 * On an S1 hub without a shaping queue whose clock stands still: spends what is left of its
 * twin-update budget (at most 50) with service-side tag updates of `deviceId`.
 */
export async function spendTwinUpdates(fx: HubFixture, deviceId: string): Promise<void> {
  await Promise.allSettled(Array.from({ length: 50 }, (_, spent) => fx.registry.updateTwin(deviceId, { tags: { spent } }, '*')));
}
