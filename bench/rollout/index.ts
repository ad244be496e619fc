/**
 * End-to-end rollout benchmark, side by side with the tutorial's approach.
 *
 * Every part runs in a process of its own, as in production: `fleetwave hub` (IoT Hub emulator),
 * `fleetwave host` (the Functions dev host running the unmodified app), `fleetwave fleet` (the
 * simulated devices, instant install, a small image); this process serves the image and drives.
 *   1. ours: POST /api/rollouts (canary wave then the rest, maxConcurrency = --concurrency) and
 *      wait until the API shows it finished. Latency from a status report to the orchestration
 *      resuming with it: each device's timeline (GET …/devices/{id}) has, per status, the device's
 *      own timestamp and the orchestration time at which the report was applied.
 *   2. the tutorial's script (tutorialBaseline.ts) with the same concurrency, on a fresh fleet
 *      with the function app stopped;
 *   3. the same script one device at a time, on --sequential devices (extrapolated to the fleet
 *      when fewer: it takes a second per device by construction).
 * Usage: npm run bench:rollout [-- --devices 1000 --concurrency 100 --sequential 1000 --keep 1]
 * (--keep 1 keeps the data dirs and each part's log)
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import { RolloutApiClient, FINAL_ROLLOUT_STATES, type RolloutView } from '../../local/cli/rollouts/RolloutApiClient';
import { FirmwareServer } from '../../local/firmware/FirmwareServer';
import { makeFirmwareImage } from '../../local/firmware/makeFirmwareImage';
import { APP_CONSUMER_GROUP, appSettings } from '../../local/stack/startLocalStack';
import { HubProcess, machine, parseArgs } from '../support/hubProcess';
import { PartProcess, processUsage } from '../support/partProcess';
import { summarize } from '../support/stats';
import { runTutorialBaseline, type BaselineResult } from './tutorialBaseline';

const args = parseArgs({ devices: 1000, concurrency: 100, sequential: 1000, 'image-kib': 16, keep: 0 });
const DEVICES = args.devices;
const CONCURRENCY = args.concurrency;
const SEQUENTIAL = Math.min(args.sequential, DEVICES);
const APP_DIR = resolve(__dirname, '../../..');
const TAG = { fleet: 'bench' };
/** The ids `fleetwave fleet` gives its devices. */
const DEVICE_IDS = Array.from({ length: DEVICES }, (_, i) => `sim-${String(i + 1).padStart(String(DEVICES).length, '0')}`);

interface PartFigures {
  peakRssMiB: number;
  cpuSeconds: number;
}

function usageOf(pids: Record<string, number>): Record<string, PartFigures> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processUsage(pid)]));
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-bench-rollout-'));
  // The simulated devices' own storage is not what is measured: on a RAM disk where there is one.
  const fleetRoot = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : work, 'fleetwave-bench-fleet-'));
  const hub = await new HubProcess().start(['--consumer-group', APP_CONSUMER_GROUP]);
  const image = makeFirmwareImage({ version: '2.0.0', size: args['image-kib'] * 1024, outDir: join(work, 'firmware') });
  const server = await new FirmwareServer({ dir: join(work, 'firmware'), tlsDir: join(hub.dataDir, 'tls'), port: 0 }).start();
  const request = (rolloutId: string): FirmwareUpdateRequest => ({ rolloutId, fwVersion: image.version, fwPackageUri: server.url(image.file), sha256: image.sha256, size: image.size });
  let fleet: PartProcess | undefined;
  let host: PartProcess | undefined;
  const startFleet = async (run: string): Promise<PartProcess> => {
    const part = new PartProcess('fleet', ['fleet', '--count', String(DEVICES), '--tags', JSON.stringify(TAG), '--data-dir', hub.dataDir, '--state-dir', join(fleetRoot, run)], {}, join(work, `fleet-${run}.log`));
    await part.start((output) => (/simulated devices connected/.test(output) ? true : undefined), 600_000);
    return part;
  };

  try {
    console.log(`machine: ${machine()}`);
    console.log(`${DEVICES} devices, concurrency ${CONCURRENCY}, image ${args['image-kib']} KiB, instant install\n`);

    // ---- ours ------------------------------------------------------------------------------------
    fleet = await startFleet('ours');
    const hostDir = join(work, 'host');
    mkdirSync(hostDir);
    host = new PartProcess('host', ['host', '--app', APP_DIR, '--port', '0', '--data-dir', hostDir], appSettings(hub.info), join(work, 'host.log'));
    const apiUrl = await host.start((output) => /Functions host is running at (\S+)/.exec(output)?.[1]);
    const api = new RolloutApiClient(`${apiUrl}/api`);
    const pids = { hub: hub.pid, host: host.pid, fleet: fleet.pid };
    const before = usageOf(pids);
    const oursStarted = performance.now();
    const { id } = await api.start({
      firmware: { version: image.version, uri: server.url(image.file), sha256: image.sha256, size: image.size },
      target: { query: "tags.fleet = 'bench'" },
      waves: [
        { name: 'canary', percent: 1 },
        { name: 'fleet', percent: 100 },
      ],
      maxConcurrency: CONCURRENCY,
    });
    const final = await waitUntilFinished(api, id);
    const oursMs = performance.now() - oursStarted;
    if (final.totals.succeeded !== DEVICES) throw new Error(`ours: ${final.totals.succeeded} of ${DEVICES} succeeded (${JSON.stringify(final.totals)})`);
    const after = usageOf(pids);
    const parts = Object.fromEntries(
      Object.keys(pids).map((name) => [name, { peakRssMiB: after[name].peakRssMiB, cpuSeconds: after[name].cpuSeconds - before[name].cpuSeconds }]),
    ) as Record<keyof typeof pids, PartFigures>;
    const disk = { hub: mib(hub.dataDir), host: mib(hostDir) };
    const latency = await reportToResumeLatencies(api, id);
    await host.stop();
    await fleet.stop();

    // ---- the tutorial's script -------------------------------------------------------------------
    const baseline = async (run: string, deviceIds: string[], concurrency: number): Promise<BaselineResult> => {
      fleet = await startFleet(run);
      const result = await runTutorialBaseline({ serviceConnectionString: hub.info.serviceConnectionString, deviceIds, concurrency, request: request(`baseline-${run}`) });
      await fleet.stop();
      if (result.count('succeeded') !== deviceIds.length) throw new Error(`baseline ${run}: ${result.count('succeeded')} of ${deviceIds.length} succeeded`);
      return result;
    };
    const concurrent = await baseline('concurrent', DEVICE_IDS, CONCURRENCY);
    const sequential = await baseline('sequential', DEVICE_IDS.slice(0, SEQUENTIAL), 1);
    const sequentialMs = (sequential.totalMs / SEQUENTIAL) * DEVICES;

    // ---- report ----------------------------------------------------------------------------------
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const rate = (ms: number) => `${(DEVICES / (ms / 1000)).toFixed(1)} devices/s`;
    console.log(`ours (rollout ${id}): ${s(oursMs)}, ${rate(oursMs)}`);
    console.log(`  status report → orchestration resumed: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (${latency.n} reports)`);
    console.log(`  slowest: ${latency.slowest.map((r) => `${r.deviceId} ${r.status} ${r.ms} ms`).join(', ')}`);
    for (const [name, part] of Object.entries(parts)) console.log(`  ${name}: peak RSS ${part.peakRssMiB} MiB, CPU during the rollout ${part.cpuSeconds.toFixed(1)} s`);
    console.log(`  disk: hub store ${disk.hub.toFixed(1)} MiB, task hub ${disk.host.toFixed(1)} MiB`);
    console.log(`tutorial script, ${CONCURRENCY} at a time: ${s(concurrent.totalMs)}, ${rate(concurrent.totalMs)}`);
    console.log(
      `tutorial script, one at a time: ${s(sequentialMs)}, ${rate(sequentialMs)}` +
        (SEQUENTIAL < DEVICES ? ` (extrapolated from ${SEQUENTIAL} devices in ${s(sequential.totalMs)})` : ''),
    );
    console.log(`ours vs one at a time: ${(sequentialMs / oursMs).toFixed(1)}x faster; vs ${CONCURRENCY} at a time: ${(concurrent.totalMs / oursMs).toFixed(2)}x faster`);
  } finally {
    await host?.stop();
    await fleet?.stop();
    await server.close();
    await hub.stop();
    if (args.keep) console.log(`data and logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
    rmSync(fleetRoot, { recursive: true, force: true });
  }
}

async function waitUntilFinished(api: RolloutApiClient, id: string): Promise<RolloutView> {
  for (;;) {
    const view = await api.get(id);
    if (FINAL_ROLLOUT_STATES.has(view.state)) return view;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ReportLatency {
  deviceId: string;
  status: string;
  ms: number;
}

/** Orchestration time minus the device's own time, for every status in every device's timeline. */
async function reportToResumeLatencies(api: RolloutApiClient, rolloutId: string): Promise<ReturnType<typeof summarize> & { slowest: ReportLatency[] }> {
  const samples: ReportLatency[] = [];
  let next = 0;
  const worker = async () => {
    while (next < DEVICE_IDS.length) {
      const deviceId = DEVICE_IDS[next++];
      const device = (await api.device(rolloutId, deviceId)) as { timeline: { time: string; status?: string; deviceTime?: string }[] };
      for (const entry of device.timeline) {
        if (entry.deviceTime) samples.push({ deviceId, status: entry.status ?? '', ms: Date.parse(entry.time) - Date.parse(entry.deviceTime) });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const slowest = [...samples].sort((a, b) => b.ms - a.ms).slice(0, 3);
  return { ...summarize(samples.map((sample) => sample.ms)), slowest };
}

function mib(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes / 2 ** 20;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
