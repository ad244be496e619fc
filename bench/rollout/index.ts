/**
 * End-to-end rollout benchmark, side by side with the tutorial's approach.
 *
 * Every part runs in a process of its own, as in production: `fleetwave hub` (IoT Hub emulator),
 * `fleetwave host` (the Functions dev host running the unmodified app), `fleetwave fleet` (the
 * simulated devices: instant install, a 16 KiB image, state on a RAM disk when there is one);
 * this process serves the image over HTTPS and drives. Each run gets a fresh fleet on 1.0.0.
 *   1. fleetwave: POST /api/rollouts (a 1 % canary wave, then the rest; maxConcurrency =
 *      --concurrency, by default the product's default of 50) and poll GET /api/rollouts/{id}
 *      until it has finished. Latency from a status report to the orchestration resuming with it,
 *      from each device's timeline (GET …/devices/{id}): per status, the orchestration time at
 *      which it was applied, minus when IoT Hub enqueued the report, and minus the device's own
 *      timestamp for the status.
 *   2. the tutorial's script (tutorialBaseline.ts) with the same concurrency, the app stopped;
 *   3. the same script one device at a time on --sequential devices (all of them by default up
 *      to 1,000; fewer are extrapolated: it takes a second per device by construction).
 * CPU time and peak RSS of each part are the kernel's figures for its process (/proc), over the run.
 * The host's durable work counters (GET /admin/durable/work, reset before the rollout) give what the
 * rollout cost per device: actions as the Durable Task Scheduler bills them, episodes, and so on per
 * orchestration and entity kind.
 * With --tier (and --units) the hub enforces that tier's throttles and the app paces itself to
 * them (FLEETWAVE_HUB_TIER): the bench prints the quota floor (the throttle table and the
 * operations each device update needs: contracts/iotHubQuotas.ts), each run's time as a share of
 * it, and the requests the hub shaped and rejected (429) during each run; the script's run is
 * capped at --script-minutes and the one-at-a-time run is skipped.
 * With --dashboard 1 the dashboard watches the rollout in Chromium (dashboardObserver.ts): its
 * weight, freshness and API answer times (the browser's CPU then counts against the rollout's time).
 * Usage: npm run bench:rollout [-- --devices 1000 --concurrency 50 --sequential 1000 --baseline 0 --keep 1
 *        --tier S1 --units 1 --script-minutes 5 --dashboard 1]
 * (--baseline 0: fleetwave only; --keep 1 keeps the data dirs and each part's log;
 *  FLEETWAVE_BENCH_PROFILE=<dir> writes a CPU profile of each part over the rollout)
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import { isFinalRolloutState, type RolloutStatus } from '../../contracts/rolloutApi';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { FirmwareServer } from '../../local/firmware/FirmwareServer';
import { makeFirmwareImage } from '../../local/firmware/makeFirmwareImage';
import type { DurableWorkReport, DurableWorkWithActions } from '../../local/host/durable/engine/DurableWorkCounters';
import { APP_CONSUMER_GROUP, appSettings } from '../../local/stack/startLocalStack';
import { HubProcess } from '../../local/stack/HubProcess';
import { machine, parseArgs } from '../support/hubProcess';
import { hostEndpoint } from '../../local/stack/partEndpoints';
import { PartProcess } from '../../local/stack/PartProcess';
import { processUsage } from '../support/processUsage';
import { profileChildProcesses } from '../support/cpuProfile';
import { summarize } from '../support/stats';
import { DashboardObserver } from './dashboardObserver';
import { runTutorialBaseline } from './tutorialBaseline';
import type { DeviceVerdict } from './tutorialBaseline';
import { OPERATIONS_PER_DEVICE_UPDATE, THROTTLED_OPERATIONS, operationLimit, parseHubScale } from '../../contracts/iotHubQuotas';
import type { ThrottledOperation } from '../../contracts/iotHubQuotas';
import type { ThrottlingStats } from '../../local/hub/throttling/HubThrottles';

const args = parseArgs({
  devices: 1000,
  concurrency: 50,
  sequential: 1000,
  baseline: 1,
  'image-kib': 16,
  keep: 0,
  tier: '',
  units: 1,
  'script-minutes': 5,
  dashboard: 0,
});
/** The emulated hub's tier, or null for an unthrottled hub. */
const SCALE = args.tier === '' ? null : parseHubScale(args.tier, args.units);
const DEVICES = args.devices;
const CONCURRENCY = args.concurrency;
const SEQUENTIAL = Math.min(args.sequential, DEVICES);
const APP_DIR = resolve(__dirname, '../../..');
/** FLEETWAVE_BENCH_PROFILE=<dir>: a CPU profile of each part over the rollout (bench/support/cpuProfile.ts). */
const PROFILING = profileChildProcesses();
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

/** What the hub's throttles did during a run, per operation. */
type ThrottleCounts = Record<ThrottledOperation, { shaped: number; rejected: number }>;

interface OursResult {
  rolloutId: string;
  ms: number;
  final: RolloutStatus;
  throttles: ThrottleCounts | null;
  latency: { fromHub: LatencySummary; fromDevice: LatencySummary };
  parts: Record<string, PartFigures>;
  diskMiB: { hub: number; taskHub: number };
  /** The host's durable work over the rollout. */
  work: DurableWorkReport;
}

interface BaselineRun {
  ms: number;
  /** Devices actually run (the sequential run may take a sample and extrapolate). */
  devices: number;
  parts: Record<string, PartFigures>;
  count: (verdict: DeviceVerdict) => number;
  throttles: ThrottleCounts | null;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-bench-rollout-'));
  // The simulated devices' own storage is not what is measured: on a RAM disk where there is one.
  const fleetRoot = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : work, 'fleetwave-bench-fleet-'));
  const hub = await new HubProcess().start([
    '--consumer-group',
    APP_CONSUMER_GROUP,
    ...(SCALE ? ['--tier', SCALE.tier, '--units', String(SCALE.units)] : []),
  ]);
  const throttleStats = (): Promise<ThrottlingStats | null> => hub.throttlingStats();
  const image = makeFirmwareImage({ version: '2.0.0', size: args['image-kib'] * 1024, outDir: join(work, 'firmware') });
  const server = await new FirmwareServer({ dir: join(work, 'firmware'), tlsDir: join(hub.dataDir, 'tls'), port: 0 }).start();
  const firmware = { version: image.version, uri: server.url(image.file), sha256: image.sha256, size: image.size };
  const running: PartProcess[] = [];
  /** A fresh fleet on firmware 1.0.0 for each run, so every run starts from the same state. */
  const startFleet = async (run: string): Promise<PartProcess> => {
    const fleet = new PartProcess(
      'fleet',
      ['fleet', '--count', String(DEVICES), '--tags', JSON.stringify(TAG), '--data-dir', hub.dataDir, '--state-dir', join(fleetRoot, run)],
      { logFile: join(work, `fleet-${run}.log`) },
    );
    running.push(fleet);
    await fleet.start((output) => (/simulated devices connected/.test(output) ? true : undefined), 600_000);

    return fleet;
  };
  const stopAll = async () => {
    for (const part of running.splice(0)) await part.stop();
  };

  try {
    console.log(`machine: ${machine()}`);
    console.log(
      `${DEVICES} devices, concurrency ${CONCURRENCY}, image ${args['image-kib']} KiB, instant install; parts in their own processes`,
    );
    console.log(
      SCALE
        ? `IoT Hub throttles of ${SCALE.tier} × ${SCALE.units} unit(s); the app paces itself to them (FLEETWAVE_HUB_TIER)\n`
        : 'IoT Hub not throttled\n',
    );

    // ---- ours ------------------------------------------------------------------------------------
    const fleet = await startFleet('ours');
    const hostDir = join(work, 'host');
    mkdirSync(hostDir);
    const host = new PartProcess('host', ['host', '--app', APP_DIR, '--port', '0', '--data-dir', hostDir], {
      env: appSettings(hub.info),
      logFile: join(work, 'host.log'),
    });
    running.push(host);
    const hostUrl = (await host.start(hostEndpoint(hostDir))).baseUrl;
    const api = new RolloutApiClient(`${hostUrl}/api`);
    if (PROFILING) for (const pid of [hub.pid, host.pid, fleet.pid]) process.kill(pid, 'SIGUSR2');
    await durableWork(hostUrl, 'POST', '/reset');
    let observer = null as DashboardObserver | null;
    const ours = await measured({ hub: hub.pid, host: host.pid, fleet: fleet.pid }, throttleStats, async () => {
      const { id } = await api.start({
        firmware,
        target: { query: "tags.fleet = 'bench'" },
        waves: [
          { name: 'canary', percent: 1 },
          { name: 'fleet', percent: 100 },
        ],
        maxConcurrency: CONCURRENCY,
      });
      if (args.dashboard) observer = await DashboardObserver.open(`${hostUrl}/api`, id);
      const final = await waitUntilFinished(api, id);
      observer?.stopSampling();
      if (final.totals.succeeded !== DEVICES)
        throw new Error(`ours: ${final.totals.succeeded} of ${DEVICES} succeeded (${JSON.stringify(final.totals)})`);
      return { id, final };
    });
    if (observer) {
      await observer.visitDevices(api, ours.value.id);
      observer.report();
      await observer.close();
    }
    const result: OursResult = {
      rolloutId: ours.value.id,
      final: ours.value.final,
      throttles: ours.throttles,
      ms: ours.ms,
      parts: ours.parts,
      work: await settledWork(hostUrl),
      latency: await reportToResumeLatencies(api, ours.value.id),
      diskMiB: { hub: mib(hub.dataDir), taskHub: mib(hostDir) },
    };
    await stopAll();

    // ---- the tutorial's script -------------------------------------------------------------------
    const baseline = async (run: string, deviceIds: string[], concurrency: number): Promise<BaselineRun> => {
      const baselineFleet = await startFleet(run);
      const request: FirmwareUpdateRequest = {
        rolloutId: `baseline-${run}`,
        fwVersion: firmware.version,
        fwPackageUri: firmware.uri,
        sha256: firmware.sha256,
        size: firmware.size,
      };
      const capMs = SCALE ? args['script-minutes'] * 60_000 : undefined;
      const { ms, parts, value, throttles } = await measured({ hub: hub.pid, fleet: baselineFleet.pid }, throttleStats, () =>
        runTutorialBaseline({ serviceConnectionString: hub.info.serviceConnectionString, deviceIds, concurrency, request, capMs }),
      );
      await stopAll();
      // Capped on a throttled hub, it is reported with how far it got; otherwise every device must succeed.
      if (capMs === undefined && value.count('succeeded') !== deviceIds.length)
        throw new Error(`baseline ${run}: ${value.count('succeeded')} of ${deviceIds.length} succeeded`);
      return { ms, devices: deviceIds.length, parts, count: value.count, throttles };
    };
    const concurrent = args.baseline ? await baseline('concurrent', DEVICE_IDS, CONCURRENCY) : undefined;
    const sequential = args.baseline && !SCALE ? await baseline('sequential', DEVICE_IDS.slice(0, SEQUENTIAL), 1) : undefined;
    if (SCALE) reportQuota(result, concurrent);
    else report(result, concurrent, sequential);
  } finally {
    await stopAll();
    await server.close();
    await hub.stop();
    if (args.keep) console.log(`data and logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
    rmSync(fleetRoot, { recursive: true, force: true });
  }
}

/** Runs `work` and measures its wall time, what each part's process used meanwhile, and what the hub's throttles did. */
async function measured<T>(
  pids: Record<string, number>,
  stats: () => Promise<ThrottlingStats | null>,
  work: () => Promise<T>,
): Promise<{ value: T; ms: number; parts: Record<string, PartFigures>; throttles: ThrottleCounts | null }> {
  const before = usageOf(pids);
  const statsBefore = await stats();
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  const after = usageOf(pids);
  const statsAfter = await stats();
  const parts = Object.fromEntries(
    Object.keys(pids).map((name) => [
      name,
      { peakRssMiB: after[name].peakRssMiB, cpuSeconds: after[name].cpuSeconds - before[name].cpuSeconds },
    ]),
  );
  const throttles =
    statsBefore && statsAfter
      ? (Object.fromEntries(
          THROTTLED_OPERATIONS.map((op) => {
            const [b, a] = [statsBefore.operations[op], statsAfter.operations[op]];
            return [op, { shaped: a.shaped - b.shaped, rejected: a.rejected - b.rejected }];
          }),
        ) as ThrottleCounts)
      : null;
  return { value, ms, parts, throttles };
}

/**
 * On a throttled hub: the quota floor (the slowest of the operations each device update needs, at
 * the tier's rate), each run's time against it, how many devices each got through, and the
 * requests the hub shaped and rejected with 429 while it ran.
 */
function reportQuota(ours: OursResult, script: BaselineRun | undefined): void {
  const scale = SCALE!;
  const floors = (Object.entries(OPERATIONS_PER_DEVICE_UPDATE) as [ThrottledOperation, number][]).map(([op, count]) => {
    const limit = operationLimit(scale, op);
    return { op, count, perSecond: limit.perSecond, seconds: (DEVICES * count) / limit.perSecond };
  });
  const floor = floors.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `quota floor for ${DEVICES} devices on ${scale.tier} × ${scale.units}: ${floor.seconds.toFixed(1)} s (${floor.op}: ${floor.count} per device at ${+floor.perSecond.toFixed(2)}/s)`,
  );
  console.log(
    `  per operation: ${floors.map((f) => `${f.op} ${f.count}/device at ${+f.perSecond.toFixed(2)}/s → ${f.seconds.toFixed(1)} s`).join('; ')}`,
  );
  const counts = (t: ThrottleCounts | null, key: 'shaped' | 'rejected') =>
    t === null
      ? ''
      : THROTTLED_OPERATIONS.filter((op) => t[op][key] > 0)
          .map((op) => `${op} ${t[op][key]}`)
          .join(', ') || '0';
  console.log(
    '| run | total | share of the quota floor | devices succeeded | failed or timed out | 429s (rejected by the hub) | shaped (delayed by the hub) | CPU during the run |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const cpu = (parts: Record<string, PartFigures>) =>
    Object.entries(parts)
      .map(([name, part]) => `${name} ${part.cpuSeconds.toFixed(1)} s`)
      .join(', ');
  const { totals } = ours.final;
  console.log(
    `| fleetwave (this app) | ${seconds(ours.ms)} | ${((100 * ours.ms) / 1000 / floor.seconds).toFixed(0)} % | ${totals.succeeded} | ${totals.failed + totals.timedOut} | ${counts(ours.throttles, 'rejected')} | ${counts(ours.throttles, 'shaped')} | ${cpu(ours.parts)} |`,
  );
  if (script) {
    const done = script.count('succeeded');
    const failed = script.count('failed') + script.count('timedOut') + script.count('invokeFailed');
    // Devices still polled at the cap, and those never started.
    const unfinished = script.devices - done - failed;
    const capped = unfinished > 0 ? ` (capped at ${args['script-minutes']} min: ${unfinished} not finished)` : '';
    const verdicts = (['failed', 'timedOut', 'invokeFailed'] as const)
      .filter((v) => script.count(v) > 0)
      .map((v) => `${v} ${script.count(v)}`);
    console.log(
      `| tutorial script, ${CONCURRENCY} at a time | ${seconds(script.ms)}${capped} | ${((100 * script.ms) / 1000 / floor.seconds).toFixed(0)} % | ${done} | ${failed}${verdicts.length > 0 ? ` (${verdicts.join(', ')})` : ''} | ${counts(script.throttles, 'rejected')} | ${counts(script.throttles, 'shaped')} | ${cpu(script.parts)} |`,
    );
  }
  console.log(`\nrollout ${ours.rolloutId}: fleetwave took ${((ours.ms / 1000 / floor.seconds) * 100).toFixed(0)} % of the quota floor`);
  reportWork(ours);
}

function report(ours: OursResult, concurrent: BaselineRun | undefined, sequential: BaselineRun | undefined): void {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rate = (ms: number) => `${(DEVICES / (ms / 1000)).toFixed(1)}`;
  const cpu = (parts: Record<string, PartFigures>) =>
    Object.entries(parts)
      .map(([name, part]) => `${name} ${part.cpuSeconds.toFixed(1)} s`)
      .join(', ');
  const rss = (parts: Record<string, PartFigures>) =>
    Object.entries(parts)
      .map(([name, part]) => `${name} ${part.peakRssMiB}`)
      .join(', ');
  const { latency } = ours;
  const rows: string[][] = [['fleetwave (this app)', seconds(ours.ms), rate(ours.ms), cpu(ours.parts), rss(ours.parts)]];
  if (concurrent)
    rows.push([
      `tutorial script, ${CONCURRENCY} at a time`,
      seconds(concurrent.ms),
      rate(concurrent.ms),
      cpu(concurrent.parts),
      rss(concurrent.parts),
    ]);
  const sequentialMs = sequential && (sequential.ms / sequential.devices) * DEVICES;
  if (sequential && sequentialMs) {
    const sampled = sequential.devices < DEVICES ? ` (${sequential.devices} devices in ${seconds(sequential.ms)}, extrapolated)` : '';
    rows.push([
      `tutorial script, one at a time`,
      `${seconds(sequentialMs)}${sampled}`,
      rate(sequentialMs),
      cpu(sequential.parts),
      rss(sequential.parts),
    ]);
  }
  console.log('| run | total | devices/s | CPU during the run | peak RSS (MiB) |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nrollout ${ours.rolloutId}`);
  const line = (what: string, l: LatencySummary) =>
    console.log(
      `${what}: p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms over ${l.n} reports (slowest: ${l.slowest.map((r) => `${r.deviceId} ${r.status} ${r.ms} ms`).join(', ')})`,
    );
  line('status report (enqueued by IoT Hub) → orchestration resumed', latency.fromHub);
  line("status report (device's own timestamp) → orchestration resumed", latency.fromDevice);
  console.log(`disk after the rollout: hub store ${ours.diskMiB.hub.toFixed(1)} MiB, task hub ${ours.diskMiB.taskHub.toFixed(1)} MiB`);
  if (concurrent && sequentialMs)
    console.log(
      `fleetwave is ${(sequentialMs / ours.ms).toFixed(1)}x faster than one at a time, ${(concurrent.ms / ours.ms).toFixed(2)}x faster than ${CONCURRENCY} at a time`,
    );
  reportWork(ours);
}

/** The columns of the per-kind table: a counter and its heading. */
const WORK_COLUMNS: [keyof DurableWorkWithActions, string][] = [
  ['billableActions', 'billable actions'],
  ['episodes', 'episodes'],
  ['executionsStarted', 'executions started'],
  ['continuedAsNew', 'continued as new'],
  ['activitiesScheduled', 'activities'],
  ['activitiesFailed', 'activities failed'],
  ['timersCreated', 'timers created'],
  ['timersFired', 'timers fired'],
  ['subOrchestrationsStarted', 'sub-orchestrations'],
  ['eventsRaised', 'events raised'],
  ['eventsSent', 'events sent'],
  ['entityCallResults', 'entity call results'],
  ['entityOperations', 'entity operations'],
];

/** What the rollout cost per device: the host's durable work, and the host's CPU next to the hub's and the fleet's. */
function reportWork({ work, parts }: OursResult): void {
  const perDevice = (n: number) => (n / DEVICES).toFixed(2);
  const kinds = Object.entries(work.byKind);
  const episodes = (entities: boolean) =>
    kinds.filter(([kind]) => kind.startsWith('@') === entities).reduce((sum, [, counts]) => sum + counts.episodes, 0);
  console.log(`\ndurable work per device (${DEVICES} devices; billable actions by the Durable Task Scheduler's rule):`);
  console.log(
    `billable actions ${perDevice(work.billableActions)}, ` +
      `orchestration episodes ${perDevice(episodes(false))}, entity episodes ${perDevice(episodes(true))}`,
  );
  console.log(`| kind | ${WORK_COLUMNS.map(([, heading]) => heading).join(' | ')} |`);
  console.log(`|---|${WORK_COLUMNS.map(() => '---').join('|')}|`);
  for (const [kind, counts] of [...kinds, ['total', work.totals] as const]) {
    console.log(`| ${kind} | ${WORK_COLUMNS.map(([field]) => perDevice(counts[field])).join(' | ')} |`);
  }
  const { host, hub, fleet } = parts;
  const others = hub.cpuSeconds + fleet.cpuSeconds;
  console.log(
    `host CPU during the rollout: ${host.cpuSeconds.toFixed(1)} s (${((host.cpuSeconds * 1000) / DEVICES).toFixed(1)} ms per device), ` +
      `${((100 * host.cpuSeconds) / others).toFixed(0)} % of hub + fleet CPU (${others.toFixed(1)} s)`,
  );
}

/** GET (or POST …/reset) the host's durable work counters. */
async function durableWork(hostUrl: string, method: 'GET' | 'POST', path = ''): Promise<DurableWorkReport> {
  const res = await fetch(`${hostUrl}/admin/durable/work${path}`, { method });
  if (!res.ok) throw new Error(`${method} /admin/durable/work${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as DurableWorkReport;
}

/** The counters once the rollout's last work (entity updates after its final state) is done: two reads a second apart agree. */
async function settledWork(hostUrl: string): Promise<DurableWorkReport> {
  let last = await durableWork(hostUrl, 'GET');
  for (let tries = 0; tries < 30; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const next = await durableWork(hostUrl, 'GET');
    if (next.billableActions === last.billableActions && next.totals.episodes === last.totals.episodes) return next;
    last = next;
  }
  throw new Error('the durable work counters did not settle within 30 s of the rollout finishing');
}

async function waitUntilFinished(api: RolloutApiClient, id: string): Promise<RolloutStatus> {
  for (;;) {
    const view = await api.get(id);
    if (isFinalRolloutState(view.state)) return view;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ReportLatency {
  deviceId: string;
  status: string;
  ms: number;
}

type LatencySummary = ReturnType<typeof summarize> & { slowest: ReportLatency[] };

function latencySummary(samples: ReportLatency[]): LatencySummary {
  const slowest = [...samples].sort((a, b) => b.ms - a.ms).slice(0, 3);
  return { ...summarize(samples.map((sample) => sample.ms)), slowest };
}

/**
 * From each device's timeline (GET …/devices/{id}): for every status the orchestration applied
 * from a twin-change event, the time it resumed with it minus when IoT Hub enqueued the report
 * (`fromHub`), and minus the device's own timestamp for the status (`fromDevice`, which also
 * counts the time the report waited inside the simulated device process).
 */
async function reportToResumeLatencies(
  api: RolloutApiClient,
  rolloutId: string,
): Promise<{ fromHub: LatencySummary; fromDevice: LatencySummary }> {
  const fromHub: ReportLatency[] = [];
  const fromDevice: ReportLatency[] = [];
  let next = 0;
  const worker = async () => {
    while (next < DEVICE_IDS.length) {
      const deviceId = DEVICE_IDS[next++];
      const device = (await api.device(rolloutId, deviceId)) as {
        timeline: { time: string; status?: string; deviceTime?: string; hubTime?: string }[];
      };
      for (const entry of device.timeline) {
        if (entry.hubTime === undefined) continue;
        const status = entry.status ?? '';
        fromHub.push({ deviceId, status, ms: Date.parse(entry.time) - Date.parse(entry.hubTime) });
        if (entry.deviceTime) fromDevice.push({ deviceId, status, ms: Date.parse(entry.time) - Date.parse(entry.deviceTime) });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { fromHub: latencySummary(fromHub), fromDevice: latencySummary(fromDevice) };
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
