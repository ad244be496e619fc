/**
 * The dashboard watching the bench's rollout (--dashboard 1): Chromium opens the rollout's view
 * when it starts and keeps it open until it has finished, then the devices table and one device.
 * Measured from the browser:
 *   - the page's weight: DOM nodes and JS heap (Chrome DevTools Protocol Performance.getMetrics),
 *     every second — flat whatever the fleet size, since only a page of rows is ever rendered;
 *   - freshness: the gaps between the page's status polls and each poll's time to the last byte;
 *     a change reaches the screen at most one gap plus one answer after the API has it;
 *   - the API's answer times for the calls the page makes, under the rollout's load.
 */
import type { Browser, CDPSession, Page, Request } from 'playwright-core';
import type { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { launchChromium } from '../../local/probes/browser';
import { summarize } from '../support/stats';

interface Weight {
  nodes: number;
  heapMiB: number;
}

interface ApiCall {
  kind: string;
  sentAt: number;
  ms: number;
}

const SAMPLE_MS = 1000;
/** How long each view after the rollout is left to load and poll before it is weighed. */
const SETTLE_MS = 3000;

export class DashboardObserver {
  private readonly running: Weight[] = [];
  private readonly after: { view: string; weight: Weight }[] = [];
  private readonly calls: ApiCall[] = [];
  private readonly errors: string[] = [];
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly cdp: CDPSession,
    private readonly dashboardUrl: string,
  ) {}

  /** Opens the rollout's view and weighs it every second until `stopSampling`. */
  static async open(apiUrl: string, rolloutId: string): Promise<DashboardObserver> {
    const browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const observer = new DashboardObserver(browser, page, cdp, `${apiUrl}/dashboard`);
    page.on('console', (message) => void (message.type() === 'error' && observer.errors.push(message.text())));
    page.on('requestfinished', (request) => observer.record(request));
    await page.goto(`${observer.dashboardUrl}#/rollouts/${encodeURIComponent(rolloutId)}`);
    observer.timer = setInterval(() => void observer.weigh().then((weight) => observer.running.push(weight)), SAMPLE_MS);
    return observer;
  }

  stopSampling(): void {
    clearInterval(this.timer);
  }

  /** The devices table (any state) and the first device, each weighed once it has loaded and polled. */
  async visitDevices(api: RolloutApiClient, rolloutId: string): Promise<void> {
    this.stopSampling();
    const id = encodeURIComponent(rolloutId);
    await this.visit('rollout, finished', `#/rollouts/${id}`);
    const first = (await api.devices(rolloutId)).items[0];
    if (first !== undefined) await this.visit('one device', `#/rollouts/${id}/devices/${encodeURIComponent(first.deviceId)}`);
  }

  async close(): Promise<void> {
    this.stopSampling();
    await this.browser.close();
  }

  report(): void {
    const fixed = (n: number) => n.toFixed(0);
    const nodes = summarize(this.running.map((weight) => weight.nodes));
    const heap = summarize(this.running.map((weight) => weight.heapMiB));
    console.log('\nThe dashboard on this rollout (Chromium, 1280×800):');
    console.log('| view | DOM nodes | JS heap (MiB) |');
    console.log('|---|---|---|');
    console.log(
      `| rollout, while it runs (${this.running.length} samples) | ${fixed(nodes.p50)} median, ${fixed(nodes.max)} max | ` +
        `${heap.p50.toFixed(1)} median, ${heap.max.toFixed(1)} max |`,
    );
    for (const { view, weight } of this.after) console.log(`| ${view} | ${fixed(weight.nodes)} | ${weight.heapMiB.toFixed(1)} |`);

    console.log('\n| API call from the page | count | p50 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|');
    for (const kind of ['status', 'devices', 'device']) {
      const times = this.calls.filter((call) => call.kind === kind).map((call) => call.ms);
      if (times.length === 0) continue;
      const s = summarize(times);
      console.log(`| ${kind} | ${times.length} | ${fixed(s.p50)} | ${fixed(s.p99)} | ${fixed(s.max)} |`);
    }
    const status = this.calls.filter((call) => call.kind === 'status');
    const gaps = status.slice(1).map((call, i) => call.sentAt - status[i].sentAt);
    if (gaps.length > 0) {
      const g = summarize(gaps);
      console.log(`| gap between two status polls | ${gaps.length} | ${fixed(g.p50)} | ${fixed(g.p99)} | ${fixed(g.max)} |`);
    }
    console.log(`console errors: ${this.errors.length === 0 ? 'none' : this.errors.join(' | ')}`);
  }

  private async visit(view: string, hash: string): Promise<void> {
    await this.page.goto(`${this.dashboardUrl}${hash}`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    this.after.push({ view, weight: await this.weigh() });
  }

  private async weigh(): Promise<Weight> {
    const { metrics } = await this.cdp.send('Performance.getMetrics');
    const value = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
    return { nodes: value('Nodes'), heapMiB: value('JSHeapUsedSize') / 2 ** 20 };
  }

  private record(request: Request): void {
    const kind = kindOf(new URL(request.url()).pathname);
    if (kind === null) return;
    const timing = request.timing();
    this.calls.push({ kind, sentAt: timing.startTime, ms: timing.responseEnd });
  }
}

function kindOf(path: string): string | null {
  if (/\/api\/rollouts\/[^/]+\/devices\/[^/]+$/.test(path)) return 'device';
  if (/\/api\/rollouts\/[^/]+\/devices$/.test(path)) return 'devices';
  if (/\/api\/rollouts\/[^/]+$/.test(path)) return 'status';
  return null;
}
