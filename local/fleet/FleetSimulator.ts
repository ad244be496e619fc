import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'azure-iothub';
import seedrandom from 'seedrandom';
import type { DeviceModel } from '../../contracts/signing/signedManifest';
import type { Trust } from '../../contracts/signing/trust';
import { FirmwareUpdateAgent } from '../../device/agent/FirmwareUpdateAgent';
import { DownloadError } from '../../device/download/downloadImage';
import { SimulatedInstaller } from '../../device/install/simulatedInstaller';
import { retryThrottled } from './retryThrottled';

export interface FleetOptions {
  /** Service connection string of the hub (to register missing devices, read the keys of existing ones, set tags). */
  serviceConnectionString: string;
  /** host:port of the MQTT endpoint when it is not the hub host on 8883 (the local stack). */
  gatewayHostName?: string;
  /** PEM of the CA to trust (the local stack's). */
  ca?: string;
  count: number;
  prefix?: string;
  /** Version the devices start on. */
  fw?: string;
  /** Twin tags set on every device, or a function of its index (e.g. rings). */
  tags?: Record<string, unknown> | ((index: number) => Record<string, unknown>);
  /** Probability that an update fails while downloading / while applying. */
  failDownload?: number;
  failApply?: number;
  /** Probability that a device never connects. */
  offline?: number;
  /** Same seed, same devices failing the same way. */
  seed?: string;
  /** Where each agent keeps its state (one sub-directory per device). */
  stateRoot: string;
  connectBatch?: number;
  installMs?: number;
  rebootMs?: number;
  allowInsecureDownloads?: boolean;
  /** Root keys every agent verifies signed firmware with (as `--trust-root`); requireSigned as `--require-signed`. */
  trustRoots?: Trust;
  requireSigned?: boolean;
  /** What every device is (as `--model`). */
  deviceModel?: DeviceModel;
  log?: (message: string) => void;
}

export interface SimulatedDevice {
  deviceId: string;
  agent?: FirmwareUpdateAgent;
  offline: boolean;
}

const BULK_LIMIT = 100;
const HUB_CALL_BATCH = 50;

/**
 * Many device agents in one process, each with its own MQTT connection and state dir, as a fleet
 * against a hub: registers the devices that are missing, connects in batches, and injects faults
 * from a per-device random stream seeded by (seed, device id), so a run can be reproduced.
 */
export class FleetSimulator {
  readonly devices: SimulatedDevice[] = [];
  private readonly registry: Registry;

  constructor(private readonly options: FleetOptions) {
    this.registry = Registry.fromConnectionString(options.serviceConnectionString);
  }

  async start(): Promise<this> {
    const prefix = this.options.prefix ?? 'sim-';
    const width = String(this.options.count).length;
    const ids = Array.from({ length: this.options.count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
    const keys = await this.register(ids);
    await this.tag(ids);

    const hostName = /HostName=([^;]+)/.exec(this.options.serviceConnectionString)?.[1];
    if (!hostName) throw new Error('The service connection string has no HostName.');
    for (const deviceId of ids) {
      const random = seedrandom(`${this.options.seed ?? 'fleetwave'}:${deviceId}`);
      const offline = random() < (this.options.offline ?? 0);
      if (offline) {
        this.devices.push({ deviceId, offline });
        continue;
      }
      const stateDir = join(this.options.stateRoot, deviceId);
      mkdirSync(stateDir, { recursive: true });
      const agent = new FirmwareUpdateAgent({
        connectionString: `HostName=${hostName};DeviceId=${deviceId};SharedAccessKey=${keys.get(deviceId)}${
          this.options.gatewayHostName ? `;GatewayHostName=${this.options.gatewayHostName}` : ''
        }`,
        stateDir,
        initialFwVersion: this.options.fw ?? '1.0.0',
        ...(this.options.ca ? { ca: this.options.ca } : {}),
        allowInsecureDownloads: this.options.allowInsecureDownloads ?? false,
        ...(this.options.trustRoots ? { trustRoots: this.options.trustRoots, requireSigned: this.options.requireSigned ?? false } : {}),
        ...(this.options.deviceModel ? { deviceModel: this.options.deviceModel } : {}),
        rebootMs: this.options.rebootMs ?? 0,
        fsyncState: false,
        installer: new SimulatedInstaller({
          dir: stateDir,
          installMs: this.options.installMs ?? 0,
          random,
          fsync: false,
          ...applyFailures(this.options.failApply ?? 0),
        }),
        simulatedDownloadFailure: () =>
          random() < (this.options.failDownload ?? 0)
            ? new DownloadError('network', 'Simulated network failure during the download.')
            : undefined,
        log: (message) => this.options.log?.(`${deviceId}: ${message}`),
      });
      this.devices.push({ deviceId, agent, offline });
    }
    const online = this.devices.filter((d) => d.agent);
    const batch = this.options.connectBatch ?? 50;
    for (let i = 0; i < online.length; i += batch) await Promise.all(online.slice(i, i + batch).map((d) => d.agent!.start()));
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.devices.map((d) => d.agent?.stop()));
  }

  /**
   * Registers the missing devices with keys made here, and reads the keys of those that exist: one
   * identity registry operation per 100 new devices, and one list for those already registered,
   * rather than one per device (S1 allows 100 a minute).
   */
  private async register(ids: string[]): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    const existing: string[] = [];
    for (let i = 0; i < ids.length; i += BULK_LIMIT) {
      const chunk = ids.slice(i, i + BULK_LIMIT);
      const devices = chunk.map((deviceId) => ({ deviceId, authentication: { type: 'sas', symmetricKey: newKeys() } }));
      const what = `registering devices ${chunk[0]} to ${chunk[chunk.length - 1]}`;
      const { responseBody } = await retryThrottled(what, () => this.registry.addDevices(devices));
      const unexpected = responseBody.errors.filter((e) => String(e.errorCode) !== 'DeviceAlreadyExists');
      if (unexpected.length > 0)
        throw new Error(`Could not register ${unexpected.map((e) => `${e.deviceId} (${e.errorStatus})`).join(', ')}`);
      // The devices that existed before (e.g. a re-run on the same hub) keep their keys.
      const existed = new Set(responseBody.errors.map((e) => e.deviceId));
      for (const { deviceId, authentication } of devices) {
        if (existed.has(deviceId)) existing.push(deviceId);
        else keys.set(deviceId, authentication.symmetricKey.primaryKey);
      }
    }
    if (existing.length === 0) return keys;
    // One list (up to 1,000 identities with their keys) is one registry operation; only devices beyond it are read one by one.
    const { responseBody: listed } = await retryThrottled('listing the registered devices', () => this.registry.list());
    const listedKeys = new Map(listed.map((device) => [device.deviceId, device.authentication?.symmetricKey?.primaryKey]));
    await inBatches(existing, async (id) => {
      const key = listedKeys.has(id)
        ? listedKeys.get(id)
        : (await retryThrottled(`reading the key of device ${id}`, () => this.registry.get(id))).responseBody.authentication?.symmetricKey
            ?.primaryKey;
      if (!key) throw new Error(`Device ${id} has no symmetric key; the simulator needs SAS devices.`);
      keys.set(id, key);
    });
    return keys;
  }

  private async tag(ids: string[]): Promise<void> {
    const tags = this.options.tags;
    if (!tags) return;
    await inBatches(ids, (id, index) => {
      const patch = { tags: typeof tags === 'function' ? tags(index) : tags };
      return retryThrottled(`setting the tags of device ${id}`, () => this.registry.updateTwin(id, patch, '*'));
    });
  }
}

/** A device's SAS keys as IoT Hub would generate them: 32 random bytes each, base64. */
function newKeys(): { primaryKey: string; secondaryKey: string } {
  return { primaryKey: randomBytes(32).toString('base64'), secondaryKey: randomBytes(32).toString('base64') };
}

/** Per-device hub calls, 50 at a time: a throttled hub shapes or refuses the excess, and is not flooded. */
async function inBatches(ids: string[], call: (id: string, index: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += HUB_CALL_BATCH) {
    await Promise.all(ids.slice(i, i + HUB_CALL_BATCH).map((id, j) => call(id, i + j)));
  }
}

/**
 * Splits an apply failure probability evenly over the three ways an install goes wrong on real
 * hardware. The installer draws them one after the other, so each later draw is conditional on
 * the earlier ones having passed.
 */
function applyFailures(p: number): { failInstall: number; failBoot: number; failHealthCheck: number } {
  const third = p / 3;
  return { failInstall: third, failBoot: third / (1 - third), failHealthCheck: third / (1 - 2 * third) };
}
