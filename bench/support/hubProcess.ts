import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Registry } from 'azure-iothub';
import { deviceConnectionString, type HubConnectionInfo } from '../../local/hub/connectionInfo';
import { installIotHubHostPort } from '../../local/preload/iothubHostPort';

/** `fleetwave hub` in its own process (free ports, temp data dir), as benchmarks drive it. */
export class HubProcess {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-bench-hub-'));
  private child?: ChildProcess;
  info!: HubConnectionInfo;
  registry!: Registry;

  async start(extraArgs: string[] = []): Promise<this> {
    const cli = join(__dirname, '../../local/cli/main.js');
    // e.g. FLEETWAVE_BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the hub.
    const nodeArgs = process.env.FLEETWAVE_BENCH_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const hubArgs = ['hub', '--data-dir', this.dataDir, '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0', ...extraArgs];
    this.child = spawn(process.execPath, [...nodeArgs, cli, ...hubArgs], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const file = join(this.dataDir, 'connection.json');
    for (let waited = 0; !existsSync(file); waited += 50) {
      if (this.child.exitCode !== null) throw new Error(`the hub exited with code ${this.child.exitCode}`);
      if (waited > 30000) throw new Error('the hub did not start within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.info = JSON.parse(readFileSync(file, 'utf8')) as HubConnectionInfo;
    installIotHubHostPort({ ca: readFileSync(this.info.caCertPath) });
    this.registry = Registry.fromConnectionString(this.info.serviceConnectionString);
    return this;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** Registers `ids` in bulk and returns SDK clients for them (not yet open). */
  async deviceClients(ids: string[]): Promise<DeviceClient[]> {
    for (let i = 0; i < ids.length; i += 100) await this.registry.addDevices(ids.slice(i, i + 100).map((deviceId) => ({ deviceId })));
    const ca = readFileSync(this.info.caCertPath, 'utf8');
    return Promise.all(
      ids.map(async (id) => {
        const key = (await this.registry.get(id)).responseBody.authentication!.symmetricKey!.primaryKey!;
        const client = DeviceClient.fromConnectionString(deviceConnectionString(this.info, id, key), Mqtt);
        await client.setOptions({ ca });
        return client;
      }),
    );
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await new Promise((resolve) => this.child!.once('exit', resolve));
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function openInBatches(clients: DeviceClient[], batch: number): Promise<void> {
  for (let i = 0; i < clients.length; i += batch) await Promise.all(clients.slice(i, i + batch).map((c) => c.open()));
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

export function parseArgs(defaults: Record<string, number>): Record<string, number> {
  const result = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) {
    const name = process.argv[i].replace(/^--/, '');
    if (!(name in defaults)) throw new Error(`unknown flag --${name}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
    result[name] = Number(process.argv[i + 1]);
  }
  return result;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}
