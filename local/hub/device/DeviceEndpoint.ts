import Aedes, { type AuthenticateError, type Client, type Subscription } from 'aedes';
import tls from 'node:tls';
import { ConnectRefusal, type DeviceAuthenticator } from '../authentication/DeviceAuthenticator';
import { guardFrameSizes } from '../frameSizeGuard';
import { listen } from '../listen';
import type { MethodChannel } from '../methods/DirectMethodInvoker';
import type { HubThrottles } from '../throttling/HubThrottles';
import type { DevicePublish, DeviceServices } from './deviceContext';
import { dispatch, operationOf, refuseThrottled } from './handlers';
import { readMqttPacketSize } from './mqttPacketSizeReader';
import { isSubscribable, parseDeviceTopic, replyTopics, SUBSCRIBABLE, type DeviceTopic } from './topics';

/** MQTT 3.1.1 §3.9.3: SUBACK return code 0x80 = failure. */
const SUBSCRIPTION_REFUSED = null;

/**
 * The device-facing MQTT 3.1.1 endpoint over TLS (port 8883 in IoT Hub), built on aedes.
 *
 * IoT Hub topics are shared by all devices ($iothub/twin/res/# …), so every reply goes to the one
 * connection it answers (client.publish), never through the broker's fan-out. Sessions are
 * persistent (clean=false): the device SDK re-subscribes only methods and C2D after a reconnect,
 * so the twin subscriptions must survive in the session, as they do in IoT Hub.
 */
export class DeviceEndpoint implements MethodChannel {
  private readonly broker: Aedes;
  private readonly server: tls.Server;
  private readonly connections = new Map<string, Client>();
  /** Topic filters per device session (kept across reconnects unless the device connects clean). */
  private readonly sessions = new Map<string, Set<string>>();
  private readonly deviceOf = new WeakMap<Client, string>();
  /** On a throttled hub: per connection, the handling of its last publish that had to wait. */
  private readonly heldBack = new WeakMap<Client, Promise<void>>();

  constructor(
    private readonly services: DeviceServices,
    authenticator: DeviceAuthenticator,
    tlsOptions: { cert: string; key: string },
  ) {
    this.broker = new Aedes({
      authenticate: (client, username, password, done) => {
        const result = authenticator.authenticate(client.id, username, password);
        if ('refusal' in result) return done(refusal(result.refusal, result.reason), false);
        const accept = () => {
          this.deviceOf.set(client, result.deviceId);
          done(null, true);
        };
        // Metered once authenticated: a connection the hub refuses costs nothing.
        const { throttles } = services;
        if (!throttles) return accept();
        const admission = throttles.admit('deviceConnections');
        if (admission.outcome === 'passed') return accept();
        if (admission.outcome === 'rejected') {
          return done(refusal(ConnectRefusal.ServerUnavailable, throttles.rejection('deviceConnections', 'nested').message), false);
        }
        // Shaped: the CONNACK waits (aedes holds the client's packets meanwhile), unless the hub closes first.
        void throttles.wait(admission.delayMs).then(accept, () => undefined);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const deviceId = this.deviceOf.get(client);
        done(null, deviceId && isSubscribable(subscription.topic, deviceId) ? subscription : SUBSCRIPTION_REFUSED);
      },
      // Device publishes are served here, before the broker would fan them out: nobody may
      // subscribe to device-to-cloud topics, so the broker has nothing left to do with them.
      authorizePublish: (client, packet, done) => {
        const deviceId = client && this.deviceOf.get(client);
        const topic = deviceId ? parseDeviceTopic(packet.topic, deviceId) : undefined;
        if (!client || !deviceId || !topic) return done(new Error(`Devices may not publish to ${packet.topic}`));
        packet.retain = false;
        this.services.registry.touch(deviceId);
        const publish: DevicePublish = {
          deviceId,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          reply: (replyTopic, payload) => publishQoS0(client, replyTopic, payload),
          services: this.services,
        };
        if (this.services.throttles) this.serveThrottled(client, this.services.throttles, publish, topic);
        else dispatch(publish, topic);
        done(null);
      },
    });

    this.broker.on('client', (client) => this.onConnected(client));
    this.broker.on('clientDisconnect', (client) => this.onDisconnected(client));
    this.broker.on('subscribe', (subscriptions, client) => this.onSubscribed(subscriptions, client));
    this.broker.on('unsubscribe', (filters, client) => {
      const deviceId = this.deviceOf.get(client);
      if (deviceId) for (const filter of filters) this.sessions.get(deviceId)?.delete(filter);
    });
    // Protocol violations close that connection only (aedes does), nothing else to do here.
    this.broker.on('clientError', () => undefined);
    this.broker.on('connectionError', () => undefined);

    services.registry.on('desiredChanged', (deviceId, patch) => {
      if (!this.sessions.get(deviceId)?.has(SUBSCRIBABLE.desiredUpdates)) return;
      this.publishTo(deviceId, replyTopics.desiredPatch(patch.$version), JSON.stringify(patch));
    });
    services.registry.on('deviceRevoked', (deviceId) => {
      this.sessions.delete(deviceId);
      this.connections.get(deviceId)?.close();
    });

    this.server = tls.createServer({ cert: tlsOptions.cert, key: tlsOptions.key }, (socket) => {
      socket.setNoDelay(true);
      this.broker.handle(socket);
      // aedes buffers any packet whole, whatever size it announces (it has no size option).
      guardFrameSizes(socket, readMqttPacketSize);
    });
    this.server.on('tlsClientError', () => undefined);
  }

  listen(host: string, port: number): Promise<number> {
    return listen(this.server, host, port);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  isListening(deviceId: string): boolean {
    return this.connections.has(deviceId) && !!this.sessions.get(deviceId)?.has(SUBSCRIBABLE.methods);
  }

  sendRequest(deviceId: string, methodName: string, requestId: string, payload: Buffer): boolean {
    return this.publishTo(deviceId, replyTopics.methodRequest(methodName, requestId), payload);
  }

  private publishTo(deviceId: string, topic: string, payload: string | Buffer): boolean {
    const client = this.connections.get(deviceId);
    if (!client) return false;
    publishQoS0(client, topic, payload);
    return true;
  }

  /**
   * A publish on a throttled hub: handled now, after its shaping delay, or answered with 429. The
   * client's packet pipeline is never held (aedes has its `done` at once), and a connection's
   * publishes are handled in the order it sent them: those behind a delayed one wait for it.
   */
  private serveThrottled(client: Client, throttles: HubThrottles, publish: DevicePublish, topic: DeviceTopic): void {
    const operation = operationOf(topic);
    let handle = () => dispatch(publish, topic);
    let delayMs = 0;
    if (operation) {
      const admission = throttles.admit(operation);
      if (admission.outcome === 'rejected') handle = () => refuseThrottled(publish, topic, throttles.rejection(operation, 'nested'));
      else delayMs = admission.delayMs;
    }
    const before = this.heldBack.get(client);
    if (!before && delayMs === 0) return handle();
    const held = handleLater(client, throttles, before, Date.now() + delayMs, handle).finally(() => {
      if (this.heldBack.get(client) === held) this.heldBack.delete(client);
    });
    this.heldBack.set(client, held);
  }

  private onConnected(client: Client): void {
    const deviceId = this.deviceOf.get(client);
    if (!deviceId) return;
    // MQTT 3.1.1 §3.1.4-2: a second connection with the same client id replaces the first.
    this.connections.set(deviceId, client);
    if (client.clean || !this.sessions.has(deviceId)) this.sessions.set(deviceId, new Set());
    this.services.registry.setConnected(deviceId, true);
    if (this.isListening(deviceId)) this.services.methods.onListening(deviceId);
  }

  private onDisconnected(client: Client): void {
    const deviceId = this.deviceOf.get(client);
    if (!deviceId || this.connections.get(deviceId) !== client) return;
    this.connections.delete(deviceId);
    if (client.clean) this.sessions.delete(deviceId);
    this.services.registry.setConnected(deviceId, false);
    this.services.methods.onDisconnected(deviceId);
  }

  private onSubscribed(subscriptions: Subscription[], client: Client): void {
    const deviceId = this.deviceOf.get(client);
    if (!deviceId) return;
    const session = this.sessions.get(deviceId) ?? new Set<string>();
    this.sessions.set(deviceId, session);
    for (const { topic } of subscriptions) session.add(topic);
    if (this.isListening(deviceId)) this.services.methods.onListening(deviceId);
  }
}

function refusal(returnCode: ConnectRefusal, reason: string): AuthenticateError {
  const error = new Error(`Connection refused: ${reason}`) as AuthenticateError;
  error.returnCode = returnCode as number;
  return error;
}

/** Runs `handle` at `dueAt` (wall clock, ms), but not before the publish the connection sent earlier was handled. */
async function handleLater(
  client: Client,
  throttles: HubThrottles,
  before: Promise<void> | undefined,
  dueAt: number,
  handle: () => void,
): Promise<void> {
  await before;
  try {
    await throttles.wait(Math.max(0, dueAt - Date.now()));
  } catch {
    return; // the hub closed meanwhile
  }
  // A device that went away meanwhile sends what is unanswered again on its next connection.
  if (client.closed) return;
  try {
    handle();
  } catch (error) {
    console.error(`fleetwave hub: a publish held back by the throttles failed: ${(error as Error).message}`);
  }
}

/** IoT Hub sends twin responses, desired patches and method requests at QoS 0. */
function publishQoS0(client: Client, topic: string, payload: string | Buffer): void {
  // aedes calls the callback unconditionally; a write error closes the connection by itself.
  client.publish({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false }, () => undefined);
}
