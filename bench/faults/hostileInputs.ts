/**
 * Hostile input run: malformed, oversize and unauthorized input thrown at every edge of the
 * system, each answer recorded as it came back over the wire.
 *
 * The parts run in processes of their own, as in production: `fleetwave hub` (IoT Hub emulator)
 * and `fleetwave host` (the Functions dev host running the unmodified app, wired to the hub). This
 * process is the hostile client: raw HTTP, TLS, MQTT and AMQP bytes where the case is a protocol
 * violation, the unmodified SDKs (azure-iothub, azure-iot-device, @azure/event-hubs) where it is
 * about what the SDK path sees. Every case carries its expected answer; one markdown table per
 * edge shows input, answer and whether it was the expected one. Exits 1 when any answer was not.
 * Usage: npm run bench:hostile [-- --keep 1]   (--keep 1 keeps the host's log and data dir)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APP_CONSUMER_GROUP, appSettings } from '../../local/stack/startLocalStack';
import { HubProcess } from '../../local/stack/HubProcess';
import { machine, parseArgs } from '../support/hubProcess';
import { hostEndpoint } from '../../local/stack/partEndpoints';
import { PartProcess } from '../../local/stack/PartProcess';
import { amqpEdge } from './hostile/amqp';
import { apiEdge } from './hostile/api';
import { markdownTable, runEdge, type Edge, type Row } from './hostile/cases';
import { hubHttpsEdge } from './hostile/hubHttps';
import { mqttEdge } from './hostile/mqtt';

const args = parseArgs({ keep: 0 });
const APP_DIR = resolve(__dirname, '../../..');

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-bench-hostile-'));
  const hub = await new HubProcess().start(['--consumer-group', APP_CONSUMER_GROUP]);
  let host: PartProcess | undefined;
  try {
    const hostDir = join(work, 'host');
    mkdirSync(hostDir);
    host = new PartProcess('host', ['host', '--app', APP_DIR, '--port', '0', '--data-dir', hostDir], {
      env: appSettings(hub.info),
      logFile: join(work, 'host.log'),
    });
    const hostUrl = (await host.start(hostEndpoint(hostDir))).baseUrl;
    console.log(`machine: ${machine()}\n`);

    const tables: { title: string; rows: Row[] }[] = [];
    const run = async <A>(edge: Edge<A>): Promise<void> => {
      const rows = await runEdge(edge);
      tables.push({ title: edge.title, rows });
      console.log(`${markdownTable(edge.title, rows)}\n`);
    };
    await run(apiEdge(`${new URL(hostUrl).origin}/api`));
    await run(await hubHttpsEdge(hub));
    await run(await mqttEdge(hub));
    await run(amqpEdge(hub));

    const wrong = tables.flatMap((t) => t.rows.filter((r) => !r.ok).map((r) => `${t.title}: ${r.input}`));
    const total = tables.reduce((n, t) => n + t.rows.length, 0);
    console.log(
      `${total - wrong.length} of ${total} answers as expected${wrong.length > 0 ? `; not as expected:\n  ${wrong.join('\n  ')}` : ''}`,
    );
    return wrong.length === 0 ? 0 : 1;
  } finally {
    await host?.stop();
    await hub.stop();
    if (args.keep) console.log(`host log and data kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

// Exits explicitly: SDK clients that met a refusal may leave retry timers behind.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
