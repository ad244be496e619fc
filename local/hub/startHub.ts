import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBuiltInPolicies, type SharedAccessPolicy } from './authentication/accessPolicies';
import { DeviceAuthenticator } from './authentication/DeviceAuthenticator';
import { ServiceAuthenticator } from './authentication/ServiceAuthenticator';
import {
  HUB_CONNECTION_FILE,
  eventHubConnectionString,
  hostNameFor,
  policyConnectionString,
  type HubConnectionInfo,
} from './connectionInfo';
import type { TelemetryMessage } from './device/deviceContext';
import { DeviceEndpoint } from './device/DeviceEndpoint';
import { EventHubAuthenticator } from './authentication/EventHubAuthenticator';
import { EventHubEndpoint } from './eventhubs/EventHubEndpoint';
import { SqliteEventLog } from './eventhubs/persistence/SqliteEventLog';
import { startRetention } from './eventhubs/persistence/retention';
import { EventRouter } from './eventhubs/routing/EventRouter';
import { DEFAULT_ROUTES, type MessageRoute } from './eventhubs/routing/routes';
import { DirectMethodInvoker } from './methods/DirectMethodInvoker';
import { SqliteHubStore } from './persistence/SqliteHubStore';
import { DeviceRegistry } from './registry/DeviceRegistry';
import { ServiceEndpoint } from './service/ServiceEndpoint';
import { HubThrottles, type ThrottlingOptions, type ThrottlingStats } from './throttling/HubThrottles';
import { ensureCertificates } from './tls/certificates';

export interface HubOptions {
  /** Where the registry, twins, keys and certificates live; reused across restarts. */
  dataDir: string;
  /** The host name clients use (and the server certificate covers). Default localhost. */
  host?: string;
  /** The address the endpoints listen on. Default 127.0.0.1. */
  bindAddress?: string;
  /** HTTPS service endpoint port; 0 picks a free one. Default 0. */
  httpsPort?: number;
  /** MQTT-over-TLS device endpoint port; 0 picks a free one. Default 0. */
  mqttPort?: number;
  /** The IoT Hub name, also the Event Hub-compatible name. Default fleetwave-hub. */
  hubName?: string;
  /** Event Hub-compatible endpoint (AMQP) port; 0 picks a free one. Default 0. */
  amqpPort?: number;
  /** Partitions of the built-in endpoint; fixed once the data dir has events. Default 4. */
  partitionCount?: number;
  /** Consumer groups besides $Default. */
  consumerGroups?: string[];
  /** Which message sources reach the built-in endpoint. Default: telemetry and twin changes. */
  routes?: readonly MessageRoute[];
  /** How long the built-in endpoint keeps events. Default 1 day. */
  retentionMs?: number;
  /**
   * Enforce the operation throttles of an IoT Hub of this tier and unit count (contracts/iotHubQuotas),
   * with IoT Hub's traffic shaping. Default: none, and no metering at all.
   */
  throttling?: ThrottlingOptions;
}

export interface RunningHub extends HubConnectionInfo {
  router: EventRouter;
  registry: DeviceRegistry;
  policies: SharedAccessPolicy[];
  /** Device-to-cloud messages, for routing. */
  onTelemetry(listener: (message: TelemetryMessage) => void): void;
  /** What the throttles decided since start (as GET /fleetwave/throttling answers); null when not throttled. */
  throttlingStats(): ThrottlingStats | null;
  close(): Promise<void>;
}

/** Starts the IoT Hub emulator: registry + twins in SQLite, HTTPS service and MQTT device endpoints. */
export async function startHub(options: HubOptions): Promise<RunningHub> {
  // Checked before anything is written or opened.
  const throttles = options.throttling ? new HubThrottles(options.throttling) : null;
  const host = options.host ?? 'localhost';
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  const certificates = await ensureCertificates(join(options.dataDir, 'tls'), host);
  const hubName = options.hubName ?? 'fleetwave-hub';
  const partitionCount = options.partitionCount ?? 4;
  const store = new SqliteHubStore(join(options.dataDir, 'hub.sqlite'));
  const policies = store.loadPolicies() ?? createBuiltInPolicies();
  store.savePolicies(policies);
  const registry = new DeviceRegistry(store);
  const eventLog = new SqliteEventLog(join(options.dataDir, 'events.sqlite'), partitionCount);
  const stopRetention = startRetention(eventLog, options.retentionMs ?? 24 * 3600 * 1000, 60 * 1000);
  const router = new EventRouter(eventLog, {
    hubName,
    routes: options.routes ?? DEFAULT_ROUTES,
    generationIdOf: (deviceId) => registry.get(deviceId)?.identity.generationId,
  });
  // The change is committed by now; a routing failure is reported, not turned into a failed update.
  const route = (work: () => unknown) => {
    try {
      work();
    } catch (error) {
      console.error(`fleetwave hub: could not route an event to the built-in endpoint: ${(error as Error).message}`);
    }
  };
  registry.on('twinChanged', (change) => route(() => router.routeTwinChange(change)));

  const telemetryListeners: ((message: TelemetryMessage) => void)[] = [(message) => route(() => router.routeTelemetry(message))];
  // The host name is only known once the HTTPS port is; authenticators read it at request time.
  const identity = { hostName: '' };
  const deviceAuth = new DeviceAuthenticator(() => identity.hostName, registry, policies);
  const serviceAuth = new ServiceAuthenticator(() => identity.hostName, policies);

  const methods = new DirectMethodInvoker();
  const tlsOptions = { cert: certificates.serverCert, key: certificates.serverKey };
  const device = new DeviceEndpoint(
    { registry, methods, throttles, onTelemetry: (message) => telemetryListeners.forEach((listener) => listener(message)) },
    deviceAuth,
    tlsOptions,
  );
  methods.attach(device);
  const service = new ServiceEndpoint({ registry, methods, throttles }, serviceAuth, tlsOptions);
  const eventHubs = new EventHubEndpoint({
    entityPath: hubName,
    consumerGroups: options.consumerGroups ?? [],
    log: eventLog,
    authenticator: new EventHubAuthenticator(policies),
    createdAtMs: store.createdAtMs(),
  });
  router.on('appended', (partitionId, event) => eventHubs.deliver(partitionId, event));
  router.on('lost', (error, event) =>
    console.error(`fleetwave hub: event ${event.sequenceNumber} of partition ${event.partitionId} could not be stored: ${error.message}`),
  );

  let httpsPort: number;
  let mqttPort: number;
  let amqpPort: number;
  try {
    httpsPort = await service.listen(bindAddress, options.httpsPort ?? 0);
    mqttPort = await device.listen(bindAddress, options.mqttPort ?? 0);
    amqpPort = await eventHubs.listen(bindAddress, options.amqpPort ?? 0);
  } catch (error) {
    await Promise.allSettled([service.close(), device.close(), eventHubs.close()]);
    stopRetention();
    eventLog.close();
    store.close();
    throw portError(error);
  }
  identity.hostName = hostNameFor(host, httpsPort);

  const owner = policies.find((p) => p.keyName === 'iothubowner')!;
  const servicePolicy = policies.find((p) => p.keyName === 'service')!;
  const info: HubConnectionInfo = {
    hubName,
    hostName: identity.hostName,
    serviceConnectionString: policyConnectionString(identity.hostName, owner),
    caCertPath: certificates.caCertPath,
    https: { host: bindAddress, port: httpsPort },
    mqtt: { host: bindAddress, port: mqttPort },
    eventHubs: {
      connectionString: eventHubConnectionString(bindAddress, amqpPort, hubName, servicePolicy),
      host: bindAddress,
      port: amqpPort,
      entityPath: hubName,
      partitionCount,
    },
    throttling: throttles && { ...throttles.scale },
  };
  // Written atomically, and removed on close: its presence means "a hub is running here".
  const connectionFile = join(options.dataDir, HUB_CONNECTION_FILE);
  writeFileSync(`${connectionFile}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(`${connectionFile}.tmp`, connectionFile);

  return {
    ...info,
    registry,
    router,
    policies,
    onTelemetry: (listener) => telemetryListeners.push(listener),
    throttlingStats: () => throttles?.stats() ?? null,
    async close() {
      throttles?.close();
      methods.close();
      await Promise.allSettled([device.close(), service.close(), eventHubs.close()]);
      router.removeAllListeners();
      stopRetention();
      eventLog.close();
      store.close();
      rmSync(connectionFile, { force: true });
    },
  };
}

function portError(error: unknown): Error {
  const e = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e.code === 'EADDRINUSE')
    return new Error(`Port ${e.port} on ${e.address} is already in use; pick another with --https-port / --mqtt-port.`);
  if (e.code === 'EACCES')
    return new Error(`Not allowed to listen on port ${e.port} (ports below 1024 need privileges); pick a port above 1023.`);
  return e instanceof Error ? e : new Error(String(e));
}
