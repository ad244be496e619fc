import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Registry } from 'azure-iothub';
import { deviceConnectionString, type HubConnectionInfo } from '../hub/connectionInfo';
import { createSas } from '../hub/authentication/sharedAccessSignature';
import type { ThrottlingStats } from '../hub/throttling/HubThrottles';
import { installIotHubHostPort } from '../preload/iothubHostPort';
import { hubHttpsRequest } from '../probes/hubHttpsRequest';
import { hubEndpoint } from './partEndpoints';
import { PartProcess } from './PartProcess';

/** `fleetwave hub` in its own process (free ports, temp data dir), as the benchmarks and the crash tests drive it. */
export class HubProcess {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-bench-hub-'));
  private part?: PartProcess;
  private extraArgs: string[] = [];
  info!: HubConnectionInfo;
  registry!: Registry;

  async start(extraArgs: string[] = []): Promise<this> {
    this.extraArgs = extraArgs;
    return this.launch({ https: 0, mqtt: 0, amqp: 0 });
  }

  /** Sends `signal` to the hub's process (SIGKILL: a crash; SIGSTOP/SIGCONT: a hub that hangs). */
  signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.part) throw new Error('the hub is not running');
    return this.part.signal(signal);
  }

  /** Starts the hub again on the same data dir and ports, as after a crash or failover. */
  restart(): Promise<this> {
    const { https, mqtt, eventHubs } = this.info;
    return this.launch({ https: https.port, mqtt: mqtt.port, amqp: eventHubs.port });
  }

  /** What the hub's throttles decided since it started (GET /fleetwave/throttling); null when it does not throttle. */
  async throttlingStats(): Promise<ThrottlingStats | null> {
    const { hostName, https, caCertPath, serviceConnectionString } = this.info;
    const key = /SharedAccessKey=([^;]+)/.exec(serviceConnectionString)![1];
    const keyName = /SharedAccessKeyName=([^;]+)/.exec(serviceConnectionString)![1];
    const authorization = createSas(hostName, Buffer.from(key, 'base64'), keyName, 3600);
    const res = await hubHttpsRequest({ ...https, ca: readFileSync(caCertPath) }, 'GET', '/fleetwave/throttling?api-version=2021-04-12', {
      authorization,
    });
    if (res.status !== 200) throw new Error(`GET /fleetwave/throttling: HTTP ${res.status} ${res.body}`);
    const body = JSON.parse(res.body) as ThrottlingStats | { throttling: null };
    return 'operations' in body ? body : null;
  }

  /** A registered device's connection string. */
  async connectionString(deviceId: string): Promise<string> {
    const key = (await this.registry.get(deviceId)).responseBody.authentication!.symmetricKey!.primaryKey!;
    return deviceConnectionString(this.info, deviceId, key);
  }

  private async launch(ports: { https: number; mqtt: number; amqp: number }): Promise<this> {
    // e.g. FLEETWAVE_BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the hub.
    const nodeArgs = process.env.FLEETWAVE_BENCH_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const portArgs = ['--https-port', String(ports.https), '--mqtt-port', String(ports.mqtt), '--amqp-port', String(ports.amqp)];
    this.part = new PartProcess('the hub', ['hub', '--data-dir', this.dataDir, ...portArgs, ...this.extraArgs], { nodeArgs });
    this.info = await this.part.start(hubEndpoint(this.dataDir), 30_000);
    installIotHubHostPort({ ca: readFileSync(this.info.caCertPath) });
    this.registry = Registry.fromConnectionString(this.info.serviceConnectionString);
    return this;
  }

  get pid(): number {
    if (!this.part) throw new Error('the hub is not running');
    return this.part.pid;
  }

  /** Registers `ids` in bulk and returns SDK clients for them (not yet open). */
  async deviceClients(ids: string[]): Promise<DeviceClient[]> {
    for (let i = 0; i < ids.length; i += 100) await this.registry.addDevices(ids.slice(i, i + 100).map((deviceId) => ({ deviceId })));
    const ca = readFileSync(this.info.caCertPath, 'utf8');
    return Promise.all(
      ids.map(async (id) => {
        const client = DeviceClient.fromConnectionString(await this.connectionString(id), Mqtt);
        await client.setOptions({ ca });
        return client;
      }),
    );
  }

  async stop(): Promise<void> {
    await this.part?.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
