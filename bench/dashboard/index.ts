/**
 * The dashboard on a large rollout, as a user gets it: `fleetwave up --devices N --no-demo` in a
 * process of its own, a rollout of N devices started through the API, and the dashboard open in
 * Chromium on the rollout's view while it runs, then on its failed-devices table and one failed
 * device. Measured from the browser:
 *   - the page's weight: DOM nodes and JS heap (Chrome DevTools Protocol Performance.getMetrics),
 *     sampled every second — they must stay flat whatever N is (only a page of rows is rendered);
 *   - freshness: the gaps between the page's status polls and each poll's time to the last byte;
 *     a change reaches the screen at most one gap plus one poll after the API has it;
 *   - the API's answer times for the calls the page makes, under the rollout's load.
 * Usage: npm run bench:dashboard [-- --devices 10000 --concurrency 100 --fail 0.01 --keep 1]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { isFinalRolloutState, type FirmwareSpec } from '../../contracts/rolloutApi';
import type { FirmwareManifest } from '../../local/firmware/makeFirmwareImage';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { launchChromium } from '../../local/probes/browser';
import { freePorts } from '../../local/probes/freePorts';
import { PartProcess } from '../../local/stack/PartProcess';
import { machine, parseArgs } from '../support/hubProcess';
import { summarize } from '../support/stats';

const args = parseArgs({ devices: 10_000, concurrency: 100, fail: 0.01, keep: 0 });

/** What the page asked the API for, by kind, with the time each answer took (ms) and when it was sent. */
class ApiCalls {
  readonly calls: { kind: string; sentAt: number; ms: number }[] = [];

  watch(page: Page): void {
    page.on('requestfinished', (request: Request) => {
      const kind = kindOf(new URL(request.url()).pathname);
      if (kind === null) return;
      const timing = request.timing();
      this.calls.push({ kind, sentAt: timing.startTime, ms: timing.responseEnd });
    });
  }

  of(kind: string): { sentAt: number; ms: number }[] {
    return this.calls.filter((call) => call.kind === kind);
  }
}

function kindOf(path: string): string | null {
  if (/\/api\/rollouts\/[^/]+\/devices\/[^/]+$/.test(path)) return 'device';
  if (/\/api\/rollouts\/[^/]+\/devices$/.test(path)) return 'devices';
  if (/\/api\/rollouts\/[^/]+$/.test(path)) return 'status';
  if (/\/api\/rollouts$/.test(path)) return 'list';
  return null;
}

interface Weight {
  nodes: number;
  heapMiB: number;
}

async function sampler(page: Page): Promise<() => Promise<Weight>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const value = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
    return { nodes: value('Nodes'), heapMiB: value('JSHeapUsedSize') / 2 ** 20 };
  };
}

/** The demo image `fleetwave up` made and serves: its manifest, and its URI from the hint the command prints. */
function demoFirmware(dataDir: string, output: string): FirmwareSpec {
  const manifest = JSON.parse(readFileSync(join(dataDir, 'firmware', 'firmware-2.0.0.json'), 'utf8')) as FirmwareManifest;
  const server = /--uri (\S+\/)firmware-2\.1\.0\.bin/.exec(output)?.[1];
  if (server === undefined) throw new Error(`fleetwave up did not print the firmware server's URI:\n${output}`);
  return { version: manifest.version, uri: `${server}${manifest.file}`, sha256: manifest.sha256, size: manifest.size };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-bench-dashboard-'));
  const [https, mqtt, amqp, firmware, host] = await freePorts(5);
  const up = new PartProcess(
    'up',
    [
      'up',
      ...['--devices', String(args.devices), '--no-demo', '--data-dir', join(work, 'data')],
      ...['--https-port', String(https), '--mqtt-port', String(mqtt), '--amqp-port', String(amqp)],
      ...['--firmware-port', String(firmware), '--host-port', String(host)],
      ...['--fail-download', String(args.fail), '--fail-apply', String(args.fail)],
    ],
    { logFile: join(work, 'up.log') },
  );
  const browser = await launchChromium();
  try {
    console.log(`machine: ${machine()}`);
    const started = performance.now();
    await up.start((output) => (output.includes('Everything is still running') ? true : undefined), 1_800_000);
    console.log(`fleetwave up with ${args.devices} devices: ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const apiUrl = `http://127.0.0.1:${host}/api`;
    const api = new RolloutApiClient(apiUrl);
    const { id } = await api.start({
      firmware: demoFirmware(join(work, 'data'), up.output),
      target: { query: "tags.fleet = 'demo'" },
      waves: [
        { name: 'canary', percent: 1 },
        { name: 'early', percent: 10 },
        { name: 'broad', percent: 100 },
      ],
      maxConcurrency: args.concurrency,
      failureThreshold: { percent: 20, minDevices: 50, action: 'pause' },
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    const calls = new ApiCalls();
    calls.watch(page);
    const weigh = await sampler(page);
    await page.goto(`${apiUrl}/dashboard#/rollouts/${encodeURIComponent(id)}`);

    const running: Weight[] = [];
    const rolloutStarted = performance.now();
    for (;;) {
      running.push(await weigh());
      const status = await api.get(id);
      if (isFinalRolloutState(status.state)) {
        console.log(
          `rollout ${id}: ${status.state} in ${((performance.now() - rolloutStarted) / 1000).toFixed(0)} s, ${JSON.stringify(status.totals)}`,
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    await page.goto(`${apiUrl}/dashboard#/rollouts/${encodeURIComponent(id)}/devices?state=failed`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const table = await weigh();
    const failed = (await api.devices(id, { state: 'failed' })).items[0];
    let device: Weight | null = null;
    if (failed !== undefined) {
      await page.goto(`${apiUrl}/dashboard#/rollouts/${encodeURIComponent(id)}/devices/${encodeURIComponent(failed.deviceId)}`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      device = await weigh();
    }
    report(running, table, device, calls, errors);
  } finally {
    await browser.close();
    await up.stop();
    if (args.keep) console.log(`data and logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

function report(running: Weight[], table: Weight, device: Weight | null, calls: ApiCalls, errors: string[]): void {
  const fixed = (n: number) => n.toFixed(0);
  const nodes = summarize(running.map((weight) => weight.nodes));
  const heap = summarize(running.map((weight) => weight.heapMiB));
  console.log('\n| view | DOM nodes | JS heap (MiB) |');
  console.log('|---|---|---|');
  console.log(
    `| rollout, while it runs (${running.length} samples) | ${fixed(nodes.p50)} median, ${fixed(nodes.max)} max | ${heap.p50.toFixed(1)} median, ${heap.max.toFixed(1)} max |`,
  );
  console.log(`| failed devices table | ${fixed(table.nodes)} | ${table.heapMiB.toFixed(1)} |`);
  if (device) console.log(`| one failed device | ${fixed(device.nodes)} | ${device.heapMiB.toFixed(1)} |`);

  const status = calls.of('status');
  const gaps = status.slice(1).map((call, i) => call.sentAt - status[i].sentAt);
  console.log('\n| API call from the page | count | p50 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|');
  for (const kind of ['status', 'devices', 'device', 'list']) {
    const times = calls.of(kind).map((call) => call.ms);
    if (times.length === 0) continue;
    const s = summarize(times);
    console.log(`| ${kind} | ${times.length} | ${fixed(s.p50)} | ${fixed(s.p99)} | ${fixed(s.max)} |`);
  }
  if (gaps.length > 0) {
    const g = summarize(gaps);
    console.log(`| gap between status polls | ${gaps.length} | ${fixed(g.p50)} | ${fixed(g.p99)} | ${fixed(g.max)} |`);
  }
  console.log(`\nconsole errors: ${errors.length === 0 ? 'none' : errors.join(' | ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
