import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FleetSimulator } from '../fleet/FleetSimulator';
import { ensureDemoSigning, type DemoSigning } from '../firmware/demoSigning';
import { FirmwareServer } from '../firmware/FirmwareServer';
import { makeFirmwareImage, type FirmwareManifest } from '../firmware/makeFirmwareImage';
import { startHub, type HubOptions, type RunningHub } from '../hub/startHub';
import type { HubConnectionInfo } from '../hub/connectionInfo';
import { installIotHubHostPort } from '../preload/iothubHostPort';
import { checkOpenFilesFor } from './openFiles';
import { hostEndpoint } from './partEndpoints';
import { PartProcess } from './PartProcess';

export interface LocalStackOptions {
  dataDir: string;
  devices: number;
  /** The function app to run (the repository root: package.json main is the compiled app). */
  appDir: string;
  ports: { https: number; mqtt: number; amqp: number; firmware: number; host: number };
  /** Fault injection for the simulated fleet. */
  failDownload: number;
  failApply: number;
  offline: number;
  seed: string;
  /** How long a simulated install takes. Default 0. */
  installMs?: number;
  /** The IoT Hub throttles the emulator enforces (the app and the fleet meet them as on Azure). Default: none. */
  throttling?: HubOptions['throttling'];
  /** App settings for the dev host over those that wire it to the hub (e.g. FLEETWAVE_HUB_TIER '' to run the app unpaced). */
  appSettings?: Record<string, string>;
  /**
   * Signed firmware end to end: a root and a signing key in dataDir/signing (made once), the demo image
   * signed, the app requiring signed firmware against that root, every simulated device verifying with it
   * and refusing unsigned firmware. Default off (rollouts of unsigned images, as before).
   */
  signedFirmware?: boolean;
  log: (message: string) => void;
}

export interface RunningLocalStack {
  hub: RunningHub;
  /** With signedFirmware, image.manifest is the demo image's signed manifest and signing where its keys are. */
  firmware: { old: string; image: FirmwareManifest & { uri: string; manifest?: string }; signing?: DemoSigning };
  fleet: FleetSimulator;
  apiUrl: string;
  /** Kills the dev host (SIGKILL, no goodbye) and starts it again on the same data dir and port. */
  crashAndRestartHost(): Promise<void>;
  close(): Promise<void>;
}

/** The consumer group the function app reads twin-change events with. */
export const APP_CONSUMER_GROUP = 'fleetwave';
/**
 * The whole system on one machine: the IoT Hub emulator, a firmware server with a demo image,
 * a simulated fleet tagged in rings, and the Functions dev host running the unmodified app with
 * its settings pointed at the emulator. Each part stops cleanly, in reverse order, on close().
 */
export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  checkOpenFilesFor(options.devices);
  const dirs = {
    hub: join(options.dataDir, 'hub'),
    host: join(options.dataDir, 'host'),
    fleet: join(options.dataDir, 'fleet'),
    firmware: join(options.dataDir, 'firmware'),
    signing: join(options.dataDir, 'signing'),
  };
  const stops: (() => Promise<unknown>)[] = [];
  // Once, however often it is asked (a Ctrl-C during `demo`'s own close): the parts stop in reverse order.
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const stop of stops.reverse())
        await stop().catch((error: unknown) => options.log(`while stopping: ${(error as Error).message}`));
    })());
  try {
    options.log('starting the IoT Hub emulator…');
    const hub = await startPart('IoT Hub emulator', () =>
      startHub({
        dataDir: dirs.hub,
        httpsPort: options.ports.https,
        mqttPort: options.ports.mqtt,
        amqpPort: options.ports.amqp,
        consumerGroups: [APP_CONSUMER_GROUP],
        throttling: options.throttling,
      }),
    );
    stops.push(() => hub.close());
    const ca = readFileSync(hub.caCertPath, 'utf8');
    installIotHubHostPort({ ca });

    options.log(`making demo firmware 2.0.0${options.signedFirmware ? ', signing it' : ''} and serving it…`);
    mkdirSync(dirs.firmware, { recursive: true });
    const manifest = makeFirmwareImage({ version: '2.0.0', size: 512 * 1024, outDir: dirs.firmware });
    const signing = options.signedFirmware ? ensureDemoSigning(dirs.signing) : undefined;
    const signed = signing && signing.sign(manifest);
    const server = await startPart('firmware server', () =>
      new FirmwareServer({ dir: dirs.firmware, tlsDir: join(dirs.hub, 'tls'), port: options.ports.firmware }).start(),
    );
    stops.push(() => server.close());

    options.log(`starting the Functions dev host with the app in ${options.appDir}…`);
    let host = await startHost(options, dirs.host, hub, signing);
    stops.push(() => host.part.stop());

    options.log(`connecting ${options.devices} simulated devices on firmware 1.0.0…`);
    const fleet = await new FleetSimulator({
      serviceConnectionString: hub.serviceConnectionString,
      gatewayHostName: `${hub.mqtt.host}:${hub.mqtt.port}`,
      ca,
      count: options.devices,
      prefix: 'sim-',
      fw: '1.0.0',
      tags: (index) => ({ fleet: 'demo', ring: ringOf(index, options.devices) }),
      failDownload: options.failDownload,
      failApply: options.failApply,
      offline: options.offline,
      seed: options.seed,
      installMs: options.installMs ?? 0,
      stateRoot: dirs.fleet,
      ...(signing ? { trustRoots: signing.trust, requireSigned: true } : {}),
    }).start();
    stops.push(() => fleet.stop());

    const crashAndRestartHost = async () => {
      await host.part.signal('SIGKILL');
      host = await startHost(options, dirs.host, hub, signing);
    };
    const image = { ...manifest, uri: server.url(manifest.file), ...(signed ? { manifest: signed } : {}) };
    const firmware = { old: '1.0.0', image, ...(signing ? { signing } : {}) };
    return { hub, firmware, fleet, apiUrl: `${host.baseUrl}/api`, crashAndRestartHost, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Canary 10 %, early 30 %, broad the rest — rings a real fleet would be tagged with. */
function ringOf(index: number, count: number): string {
  if (index < Math.ceil(count * 0.1)) return 'canary';
  if (index < Math.ceil(count * 0.4)) return 'early';
  return 'broad';
}

async function startPart<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw new Error(`The ${name} did not start: ${(error as Error).message}`);
  }
}

/**
 * The dev host runs as its own process, as `func start` would: the app's settings point at the
 * emulator, so the same app deploys to Azure with Azure's settings instead.
 */
async function startHost(
  options: LocalStackOptions,
  dataDir: string,
  hub: RunningHub,
  signing: DemoSigning | undefined,
): Promise<{ part: PartProcess; baseUrl: string }> {
  const args = ['host', '--app', resolve(options.appDir), '--port', String(options.ports.host), '--data-dir', dataDir];
  const signed: Record<string, string> = signing
    ? { FLEETWAVE_REQUIRE_SIGNED_FIRMWARE: 'on', FLEETWAVE_FIRMWARE_TRUST: signing.rootsPath }
    : {};
  const part = new PartProcess('the Functions dev host', args, { env: { ...appSettings(hub), ...signed, ...options.appSettings } });
  try {
    return { part, baseUrl: (await part.start(hostEndpoint(dataDir), 60_000)).baseUrl };
  } catch (error) {
    await part.stop();
    throw error;
  }
}

/** The app settings that wire the function app to the local hub (see local.settings.example.json). */
export function appSettings(hub: HubConnectionInfo): Record<string, string> {
  return {
    IOTHUB_CONNECTION_STRING: hub.serviceConnectionString,
    IOTHUB_EVENTS_CONNECTION: hub.eventHubs.connectionString,
    IOTHUB_EVENTS_NAME: hub.eventHubs.entityPath,
    IOTHUB_EVENTS_CONSUMER_GROUP: APP_CONSUMER_GROUP,
    FLEETWAVE_HUB_CA: hub.caCertPath,
    // A throttled emulator is sized like that tier of IoT Hub: the app paces its rollouts to it.
    ...(hub.throttling ? { FLEETWAVE_HUB_TIER: hub.throttling.tier, FLEETWAVE_HUB_UNITS: String(hub.throttling.units) } : {}),
  };
}
