import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client as ServiceClient, Registry } from 'azure-iothub';
import { hubHttpsRequest, type RawResponse } from '../../local/probes/hubHttpsRequest';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';
import { deviceConnectionString } from '../../local/hub/connectionInfo';
import { startHub, type HubOptions, type RunningHub } from '../../local/hub/startHub';
import { installIotHubHostPort } from '../../local/preload/iothubHostPort';

/** A twin JSON document as IoT Hub serves it; property sections are free-form JSON. */
export interface TwinDocument {
  deviceId: string;
  etag: string;
  version: number;
  connectionState: 'Connected' | 'Disconnected';
  tags?: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- twin properties are arbitrary JSON
  properties: { desired: Record<string, any>; reported: Record<string, any> };
}

/** A hub emulator in a temp dir, with real SDK clients pointed at it. */
export class HubFixture {
  hub!: RunningHub;
  registry!: Registry;
  service!: ServiceClient;
  readonly dataDir: string;
  private readonly devices: DeviceClient[] = [];

  constructor(private readonly options: Partial<HubOptions> = {}) {
    this.dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-hub-'));
  }

  async start(): Promise<this> {
    this.hub = await startHub({ ...this.options, dataDir: this.dataDir });
    installIotHubHostPort({ ca: readFileSync(this.hub.caCertPath) });
    this.registry = Registry.fromConnectionString(this.hub.serviceConnectionString);
    this.service = ServiceClient.fromConnectionString(this.hub.serviceConnectionString);
    return this;
  }

  /** Stops the hub and starts it again on the same data dir and ports, after downMs with nothing listening. */
  async restart(downMs = 0): Promise<void> {
    const ports = { httpsPort: this.hub.https.port, mqttPort: this.hub.mqtt.port, amqpPort: this.hub.eventHubs.port };
    await this.closeDevices();
    await this.hub.close();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.hub = await startHub({ ...this.options, ...ports, dataDir: this.dataDir });
  }

  /** The connection string of a registered device, read back through the registry. */
  async connectionStringOf(deviceId: string): Promise<string> {
    const { responseBody } = await this.registry.get(deviceId);
    return deviceConnectionString(this.hub, deviceId, responseBody.authentication!.symmetricKey!.primaryKey!);
  }

  async addDevice(deviceId: string, tags?: Record<string, unknown>): Promise<string> {
    const { responseBody } = await this.registry.create({ deviceId });
    if (tags) await this.registry.updateTwin(deviceId, { tags }, '*');
    return deviceConnectionString(this.hub, deviceId, responseBody.authentication!.symmetricKey!.primaryKey!);
  }

  caPem(): string {
    return readFileSync(this.hub.caCertPath, 'utf8');
  }

  /** The twin as the service gets it, with the fields the SDK's Twin type does not declare. */
  async twin(deviceId: string): Promise<TwinDocument> {
    return (await this.registry.getTwin(deviceId)).responseBody as unknown as TwinDocument;
  }

  /** An unmodified device SDK client over MQTT, trusting the hub's CA; closed by stop(). */
  async deviceClient(connectionString: string): Promise<DeviceClient> {
    const client = DeviceClient.fromConnectionString(connectionString, Mqtt);
    // setOptions reads `ca` as a file path first, asynchronously: it must finish before open().
    await client.setOptions({ ca: this.hub.caCertPath });
    this.devices.push(client);
    return client;
  }

  async connectDevice(deviceId: string, tags?: Record<string, unknown>): Promise<DeviceClient> {
    const client = await this.deviceClient(await this.addDevice(deviceId, tags));
    await client.open();
    return client;
  }

  /** A request signed as iothubowner like the SDK would, but carrying whatever the test wants. */
  rawRequest(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const owner = this.hub.policies.find((p) => p.keyName === 'iothubowner')!;
    const token = createSas(this.hub.hostName, Buffer.from(owner.primaryKey, 'base64'), 'iothubowner', 3600);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const endpoint = { ...this.hub.https, ca: readFileSync(this.hub.caCertPath) };
    return hubHttpsRequest(endpoint, method, path, { authorization: token, body: payload });
  }

  async stop(): Promise<void> {
    await this.closeDevices();
    await this.hub?.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async closeDevices(): Promise<void> {
    await Promise.allSettled(this.devices.splice(0).map((client) => client.close()));
  }
}

/** Polls until the check passes or the time is up; the last failure is rethrown. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** The HTTP status and error body of a failed azure-iothub call. */
export function httpFailure(error: unknown): { status?: number; name: string; body: Record<string, unknown> } {
  const e = error as { name: string; response?: { statusCode?: number }; responseBody?: string };
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(e.responseBody ?? '{}') as Record<string, unknown>;
  } catch {
    body = { raw: e.responseBody };
  }
  return { status: e.response?.statusCode, name: e.name, body };
}

/** The numeric IoT Hub error code inside a nested error body. */
export function nestedErrorCode(body: Record<string, unknown>): number | undefined {
  try {
    return (JSON.parse(String(body.Message)) as { errorCode?: number }).errorCode;
  } catch {
    return undefined;
  }
}
