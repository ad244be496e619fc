/**
 * Functions dev host benchmark, durable engine: the host runs bench/host/app in its own
 * process (`fleetwave host`, SQLite task hub in a temp dir); this process drives it over the Durable
 * HTTP API, as a DurableClient would.
 *   - fan-out/fan-in: one orchestration calls `fanout` trivial activities in parallel and waits for
 *     all; activities/s from the start request to the completed status
 *   - episodes/s: `instances` orchestrations at once, each running `steps` activities one after the
 *     other (steps + 1 episodes each); episodes/s over all of them
 *   - raiseEvent → orchestrator resumes: an orchestration waits for an event `events` times; each
 *     sample runs from just before the raiseEvent request to the orchestrator's resumption, as the
 *     orchestrator stamps it (same machine clock)
 * Usage: npm run bench:host [-- --fanout 1000 --rounds 5 --instances 200 --steps 5 --events 300]
 * To profile the host: FLEETWAVE_BENCH_HOST_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { machine, parseArgs, rssMiB } from '../support/hubProcess';
import { ms, summarize } from '../support/stats';
import { hostEndpoint } from '../../local/stack/partEndpoints';
import { PartProcess } from '../../local/stack/PartProcess';

const args = parseArgs({ fanout: 1000, rounds: 5, instances: 200, steps: 5, events: 300 });
const APP = resolve(__dirname, '../../../bench/host/app');

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: { round: number; resumedAt: number | null } | null;
}

class HostUnderTest {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-bench-host-'));
  private part?: PartProcess;
  baseUrl = '';

  async start(): Promise<this> {
    const nodeArgs = process.env.FLEETWAVE_BENCH_HOST_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const args = ['host', '--app', APP, '--data-dir', this.dataDir, '--port', '0'];
    this.part = new PartProcess('the host', args, { nodeArgs, script: join(__dirname, 'hostMain.js') });
    this.baseUrl = (await this.part.start(hostEndpoint(this.dataDir), 30_000)).baseUrl;
    return this;
  }

  get pid(): number {
    return this.part!.pid;
  }

  api(path: string): string {
    return `${this.baseUrl}/runtime/webhooks/durabletask${path}`;
  }

  async startOrchestration(name: string, input: unknown): Promise<string> {
    const res = await fetch(this.api(`/orchestrators/${name}`), { method: 'POST', body: JSON.stringify(input) });
    if (res.status !== 202) throw new Error(`start ${name}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async status(id: string): Promise<Status> {
    return (await (await fetch(this.api(`/instances/${id}`))).json()) as Status;
  }

  async waitUntil(id: string, done: (status: Status) => boolean, pollMs: number): Promise<Status> {
    for (;;) {
      const status = await this.status(id);
      if (done(status)) return status;
      if (status.runtimeStatus === 'Failed') throw new Error(`instance ${id} failed: ${JSON.stringify(status.output)}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async stop(): Promise<void> {
    await this.part?.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const completed = (s: Status) => s.runtimeStatus === 'Completed';

async function fanOutFanIn(host: HostUnderTest): Promise<void> {
  const rates: number[] = [];
  for (let round = 0; round <= args.rounds; round++) {
    const started = performance.now();
    const id = await host.startOrchestration('fanOutFanIn', args.fanout);
    const status = await host.waitUntil(id, completed, 5);
    const elapsed = performance.now() - started;
    if (status.output !== args.fanout) throw new Error(`fan-out returned ${JSON.stringify(status.output)}`);
    // Round 0 warms the host up (JIT, caches) and is not counted.
    if (round > 0) rates.push((args.fanout / elapsed) * 1000);
    console.log(
      `  fan-out/fan-in of ${args.fanout}${round === 0 ? ' (warm-up)' : ''}: ${ms(elapsed)} → ${((args.fanout / elapsed) * 1000).toFixed(0)} activities/s`,
    );
  }
  const sorted = [...rates].sort((a, b) => a - b);
  console.log(
    `fan-out/fan-in of ${args.fanout} trivial activities: median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} activities/s, best ${sorted[sorted.length - 1].toFixed(0)} (target ≥ 1000)`,
  );
}

async function episodes(host: HostUnderTest): Promise<void> {
  const started = performance.now();
  const ids = await Promise.all(Array.from({ length: args.instances }, () => host.startOrchestration('sequence', args.steps)));
  await Promise.all(ids.map((id) => host.waitUntil(id, completed, 20)));
  const elapsed = performance.now() - started;
  const total = args.instances * (args.steps + 1);
  console.log(
    `orchestration episodes: ${args.instances} instances × ${args.steps + 1} episodes in ${ms(elapsed)} → ${((total / elapsed) * 1000).toFixed(0)} episodes/s (with ${args.instances * args.steps} activities)`,
  );
}

async function raiseToResume(host: HostUnderTest): Promise<void> {
  const id = await host.startOrchestration('pingPong', args.events);
  await host.waitUntil(id, (s) => s.runtimeStatus === 'Running', 5);
  const samples: number[] = [];
  for (let round = 1; round <= args.events; round++) {
    const raisedAt = performance.timeOrigin + performance.now();
    const res = await fetch(host.api(`/instances/${id}/raiseEvent/ping`), { method: 'POST', body: JSON.stringify(round) });
    if (res.status !== 202) throw new Error(`raiseEvent: HTTP ${res.status}`);
    const status = await host.waitUntil(id, (s) => (s.customStatus?.round ?? 0) >= round, 1);
    samples.push(status.customStatus!.resumedAt! - raisedAt);
  }
  const s = summarize(samples);
  console.log(
    `raiseEvent → orchestrator resumed (${s.n} events, one at a time): p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)} (target p50 < 20 ms)`,
  );
}

async function main(): Promise<void> {
  console.log(`Machine: ${machine()}`);
  const host = await new HostUnderTest().start();
  try {
    await fanOutFanIn(host);
    await episodes(host);
    await raiseToResume(host);
    console.log(`host RSS: ${rssMiB(host.pid)} MiB`);
  } finally {
    await host.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
