/**
 * IoT Hub emulator benchmark: the hub runs as `fleetwave hub` in its own process, driven by the
 * unmodified SDKs from this one.
 *   - time to connect N device clients (MQTT over TLS, SAS), opened in batches
 *   - direct method round trip through azure-iothub Client (HTTPS) → device → back, p50/p99
 *   - reported-property patch acknowledgement through the device SDK, p50/p99
 * Usage: npm run bench:hub [-- --devices 1000 --samples 2000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client as DeviceClient, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client as ServiceClient, Registry } from 'azure-iothub';
import { deviceConnectionString, type HubConnectionInfo } from '../../local/hub/connectionInfo';
import { installIotHubHostPort } from '../../local/preload/iothubHostPort';
import { ms, summarize, timed } from '../support/stats';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const DEVICES = Number(args.get('devices') ?? 1000);
const SAMPLES = Number(args.get('samples') ?? 2000);
const CONNECT_BATCH = Number(args.get('batch') ?? 100);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-bench-hub-'));
  const hub = spawn(process.execPath, [join(__dirname, '../../local/cli/main.js'), 'hub', '--data-dir', dataDir, '--https-port', '0', '--mqtt-port', '0', '--amqp-port', '0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const info = await waitForHub(dataDir, hub);
    const ca = readFileSync(info.caCertPath, 'utf8');
    installIotHubHostPort({ ca });
    const registry = Registry.fromConnectionString(info.serviceConnectionString);
    const service = ServiceClient.fromConnectionString(info.serviceConnectionString);

    const ids = Array.from({ length: DEVICES }, (_, i) => `bench-${i}`);
    for (let i = 0; i < ids.length; i += 100) await registry.addDevices(ids.slice(i, i + 100).map((deviceId) => ({ deviceId })));
    const keys = new Map<string, string>();
    const { responseBody: listed } = await registry.list();
    for (const d of listed) keys.set(d.deviceId, d.authentication!.symmetricKey!.primaryKey!);
    for (const id of ids.filter((id) => !keys.has(id))) keys.set(id, (await registry.get(id)).responseBody.authentication!.symmetricKey!.primaryKey!);

    const clients = ids.map((id) => {
      const client = DeviceClient.fromConnectionString(deviceConnectionString(info, id, keys.get(id)!), Mqtt);
      client.setOptions({ ca });
      return client;
    });
    const connect = await timed(async () => {
      for (let i = 0; i < clients.length; i += CONNECT_BATCH) await Promise.all(clients.slice(i, i + CONNECT_BATCH).map((c) => c.open()));
    });
    const hubRssAfterConnect = rssMiB(hub.pid!);

    // Method round trips, one at a time so each sample is a clean latency.
    clients[0].onDeviceMethod('ping', (_req, res) => res.send(200, { ok: true }, () => undefined));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const methodSamples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { ms: took } = await timed(() => service.invokeDeviceMethod(ids[0], { methodName: 'ping', payload: i, responseTimeoutInSeconds: 10 }));
      methodSamples.push(took);
    }

    const twin: Twin = await clients[1].getTwin();
    const reportSamples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { ms: took } = await timed(
        () => new Promise<void>((resolve, reject) => twin.properties.reported.update({ counter: i }, (err?: Error) => (err ? reject(err) : resolve()))),
      );
      reportSamples.push(took);
    }

    const method = summarize(methodSamples);
    const report = summarize(reportSamples);
    console.log(`machine: ${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log(`connect ${DEVICES} device clients (batches of ${CONNECT_BATCH}): ${(connect.ms / 1000).toFixed(2)} s (target < 5 s)`);
    console.log(`hub RSS with ${DEVICES} devices connected: ${hubRssAfterConnect} MiB`);
    console.log(`direct method round trip (azure-iothub → device → back), n=${method.n}: p50 ${ms(method.p50)}, p99 ${ms(method.p99)} (target p50 < 2 ms)`);
    console.log(`reported patch acknowledgement, n=${report.n}: p50 ${ms(report.p50)}, p99 ${ms(report.p99)} (target p50 < 2 ms)`);

    await Promise.all(clients.map((c) => c.close()));
  } finally {
    hub.kill('SIGTERM');
    await new Promise((resolve) => hub.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitForHub(dataDir: string, hub: ChildProcess): Promise<HubConnectionInfo> {
  const file = join(dataDir, 'connection.json');
  for (let waited = 0; waited < 30000; waited += 50) {
    if (hub.exitCode !== null) throw new Error(`the hub exited with code ${hub.exitCode}`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as HubConnectionInfo;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the hub did not start within 30 s');
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
