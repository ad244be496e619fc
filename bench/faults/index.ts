/**
 * Fault run: rollouts carried through crashes of each part of the system.
 *
 * Every part runs in a process of its own, as in production: `fleetwave hub` (IoT Hub emulator),
 * `fleetwave host` (the Functions dev host running the unmodified app), `fleetwave fleet` (the
 * simulated devices); this process serves the images and drives. For each scenario a rollout of a
 * new version goes to the whole fleet; once a quarter of the devices have succeeded, the
 * scenario's parts are killed with SIGKILL (no goodbye: sockets reset, nothing flushed), left
 * down for a moment, and started again on the same data dirs and ports. Then:
 *   - the rollout must finish with every device succeeded (the API's totals);
 *   - no device may have been updated twice: in the fleet's log (one line per state a device's
 *     agent entered, across restarts), every device entered `waiting` and `applyComplete` exactly
 *     once per rollout.
 * Usage: npm run bench:faults [-- --devices 200 --install-ms 1500 --reboot-ms 500 --down-ms 1000 --keep 1]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isFinalRolloutState, type RolloutStatus } from '../../contracts/rolloutApi';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { FirmwareServer } from '../../local/firmware/FirmwareServer';
import { makeFirmwareImage } from '../../local/firmware/makeFirmwareImage';
import { APP_CONSUMER_GROUP, appSettings } from '../../local/stack/startLocalStack';
import { HubProcess } from '../../local/stack/HubProcess';
import { machine, parseArgs } from '../support/hubProcess';
import { hostEndpoint } from '../../local/stack/partEndpoints';
import { PartProcess } from '../../local/stack/PartProcess';

const args = parseArgs({ devices: 200, 'install-ms': 1500, 'reboot-ms': 500, 'down-ms': 1000, keep: 0 });
const DEVICES = args.devices;
const APP_DIR = resolve(__dirname, '../../..');
const TAG = { fleet: 'faults' };
const ROLLOUT_TIMEOUT_MS = 10 * 60_000;

type Part = 'hub' | 'host' | 'fleet';
const SCENARIOS: { name: string; kill: Part[] }[] = [
  { name: 'nothing (the same rollout without a fault)', kill: [] },
  { name: 'hub', kill: ['hub'] },
  { name: 'host', kill: ['host'] },
  { name: 'fleet', kill: ['fleet'] },
  { name: 'all three at once', kill: ['hub', 'host', 'fleet'] },
];

interface ScenarioResult {
  name: string;
  rolloutId: string;
  /** Devices succeeded when the parts were killed. */
  doneAtKill: number;
  ms: number;
  final: RolloutStatus;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-bench-faults-'));
  const fleetLog = join(work, 'fleet.log');
  const hub = await new HubProcess().start(['--consumer-group', APP_CONSUMER_GROUP]);
  const firmwareDir = join(work, 'firmware');
  const server = await new FirmwareServer({ dir: firmwareDir, tlsDir: join(hub.dataDir, 'tls'), port: 0 }).start();
  const hostDir = join(work, 'host');
  mkdirSync(hostDir);

  let hostPort = 0;
  const parts: Record<Part, () => Promise<void>> = {
    hub: async () => {
      await hub.restart();
    },
    host: async () => {
      host = new PartProcess('host', ['host', '--app', APP_DIR, '--port', String(hostPort), '--data-dir', hostDir], {
        env: appSettings(hub.info),
        logFile: join(work, 'host.log'),
      });
      hostPort = (await host.start(hostEndpoint(hostDir))).port;
    },
    fleet: async () => {
      const flags = [
        '--count',
        String(DEVICES),
        '--tags',
        JSON.stringify(TAG),
        '--install-ms',
        String(args['install-ms']),
        '--reboot-ms',
        String(args['reboot-ms']),
      ];
      fleet = new PartProcess('fleet', ['fleet', ...flags, '--data-dir', hub.dataDir, '--state-dir', join(work, 'fleet')], {
        logFile: fleetLog,
      });
      await fleet.start((output) => (/simulated devices connected/.test(output) ? true : undefined), 300_000);
    },
  };
  let host: PartProcess | undefined;
  let fleet: PartProcess | undefined;
  const processOf = (part: Part): { signal(signal: NodeJS.Signals): Promise<void> } =>
    part === 'hub' ? hub : part === 'host' ? host! : fleet!;

  try {
    console.log(`machine: ${machine()}`);
    console.log(
      `${DEVICES} devices, install ${args['install-ms']} ms, reboot ${args['reboot-ms']} ms, parts down ${args['down-ms']} ms after SIGKILL\n`,
    );
    await parts.fleet();
    await parts.host();
    const api = new RolloutApiClient(`http://127.0.0.1:${hostPort}/api`);
    const results: ScenarioResult[] = [];

    for (const [index, scenario] of SCENARIOS.entries()) {
      const image = makeFirmwareImage({ version: `${index + 2}.0.0`, size: 16 * 1024, outDir: firmwareDir });
      const started = performance.now();
      const { id } = await api.start({
        firmware: { version: image.version, uri: server.url(image.file), sha256: image.sha256, size: image.size },
        target: { query: "tags.fleet = 'faults'" },
        waves: [
          { name: 'canary', percent: 10 },
          { name: 'fleet', percent: 100 },
        ],
        maxConcurrency: 50,
      });
      const atKill = await waitFor(api, id, (view) => view.totals.succeeded >= DEVICES / 4);
      if (scenario.kill.length > 0) {
        await Promise.all(scenario.kill.map((part) => processOf(part).signal('SIGKILL')));
        console.log(`${scenario.name}: killed with ${atKill.totals.succeeded} of ${DEVICES} devices done`);
        await new Promise((resolve) => setTimeout(resolve, args['down-ms']));
      }
      // The hub first: the host and the fleet connect to it.
      for (const part of ['hub', 'host', 'fleet'] as const) if (scenario.kill.includes(part)) await parts[part]();
      const final = await waitFor(api, id, (view) => isFinalRolloutState(view.state));
      results.push({ name: scenario.name, rolloutId: id, doneAtKill: atKill.totals.succeeded, ms: performance.now() - started, final });
    }

    const updates = updatesPerDevice(readFileSync(fleetLog, 'utf8'));
    report(results, updates);
    const failures = results.filter((r) => r.final.state !== 'completed' || r.final.totals.succeeded !== DEVICES);
    const twice = results.flatMap((r) => devicesNotUpdatedOnce(updates, r.rolloutId));
    if (failures.length > 0 || twice.length > 0) {
      throw new Error(
        `not every rollout completed on every device exactly once: ${JSON.stringify({ failures: failures.map((f) => f.name), twice: twice.slice(0, 10) })}`,
      );
    }
  } finally {
    await fleet?.stop();
    await host?.stop();
    await server.close();
    await hub.stop();
    if (args.keep) console.log(`data and logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

async function waitFor(api: RolloutApiClient, id: string, done: (view: RolloutStatus) => boolean): Promise<RolloutStatus> {
  const deadline = Date.now() + ROLLOUT_TIMEOUT_MS;
  for (;;) {
    // The host may be down or starting: the API not answering is part of the run.
    const view = await api.get(id).catch(() => undefined);
    if (view && done(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`rollout ${id} did not get there within ${ROLLOUT_TIMEOUT_MS / 60_000} min: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `<deviceId>: <rolloutId>: <status>` lines of the fleet's log → per device, rollout and status, how many times it was entered. */
function updatesPerDevice(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of log.matchAll(/ (\S+): (\S+): (waiting|applyComplete)\b/g)) {
    const key = `${match[1]} ${match[2]} ${match[3]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function devicesNotUpdatedOnce(updates: Map<string, number>, rolloutId: string): string[] {
  const wrong: string[] = [];
  for (let i = 1; i <= DEVICES; i++) {
    const deviceId = `sim-${String(i).padStart(String(DEVICES).length, '0')}`;
    for (const status of ['waiting', 'applyComplete']) {
      const n = updates.get(`${deviceId} ${rolloutId} ${status}`) ?? 0;
      if (n !== 1) wrong.push(`${deviceId} entered ${status} ${n} times in ${rolloutId}`);
    }
  }
  return wrong;
}

function report(results: ScenarioResult[], updates: Map<string, number>): void {
  console.log('\n| SIGKILL of | devices done at the kill | rollout | succeeded | failed / timed out | updated other than once | total |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const { totals } = r.final;
    const wrong = devicesNotUpdatedOnce(updates, r.rolloutId).length;
    console.log(
      `| ${r.name} | ${r.doneAtKill} | ${r.final.state} | ${totals.succeeded}/${DEVICES} | ${totals.failed} / ${totals.timedOut} | ${wrong} | ${(r.ms / 1000).toFixed(1)} s |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
