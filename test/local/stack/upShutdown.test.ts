import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from '../../../local/probes/freePorts';
import { eventually } from '../../support/hubFixture';

/** The built CLI (npm test builds first), as `npm start` runs it. */
const CLI = resolve(__dirname, '../../../dist/local/cli/main.js');

/** The processes whose parent is `pid` (from /proc: every Linux has it, unlike ps). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // It ended while the list was read.
    }
  }
  return children;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The port can be listened on again: nothing holds it. */
function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

describe('fleetwave up ends every part it started when it is told to stop', () => {
  jest.setTimeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-up-stop-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** `fleetwave up --no-demo` on free ports; its output so far, its exit, and the dev host's port. */
  async function up(devices = 5): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null>; hostPort: number }> {
    const [https, mqtt, amqp, firmware, host] = await freePorts(5);
    const ports = { '--https-port': https, '--mqtt-port': mqtt, '--amqp-port': amqp, '--firmware-port': firmware, '--host-port': host };
    const args = ['up', '--no-demo', '--devices', String(devices), '--data-dir', dataDir, ...Object.entries(ports).flat().map(String)];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return { child, output: () => output, exited, hostPort: host };
  }

  /** The dev host: the one process `up` starts (the hub, firmware server and fleet run inside it). */
  async function devHostOf(child: ChildProcess): Promise<number> {
    return eventually(
      () => {
        const children = childrenOf(child.pid!);
        expect(children).toHaveLength(1);
        return children[0];
      },
      30_000,
      10,
    );
  }

  /**
   * Once `up` shows `shown`, SIGTERM: it exits 0 and its dev host ends, freeing its port. `starting`: the
   * signal comes before the stack is up (checked, not assumed); the stack's own output of the stop otherwise.
   */
  async function stopAt(shown: string, options: { devices?: number; starting: boolean }): Promise<void> {
    const run = await up(options.devices);
    await eventually(() => expect(run.output()).toContain(shown), 60_000, 5);
    const host = await devHostOf(run.child);
    expect(run.output().includes('Dashboard:')).toBe(!options.starting);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('Stopping the local stack');
    await eventually(() => expect(isRunning(host)).toBe(false), 20_000, 100);
    await eventually(async () => expect(await isFree(run.hostPort)).toBe(true), 20_000, 100);
  }

  test('SIGTERM as the dev host starts: up exits 0 and its dev host ends too, freeing its port', async () => {
    // 300 devices, as below: should the dev host answer before the signal, the stack is still starting.
    await stopAt('starting the Functions dev host', { devices: 300, starting: true });
  });

  test('SIGTERM while the fleet connects (the dev host up, the hub in this process): the dev host ends too', async () => {
    await stopAt('connecting 300 simulated devices', { devices: 300, starting: true });
  });

  test('SIGTERM once everything is up: the stack stops and nothing is left running', async () => {
    await stopAt('Dashboard:', { starting: false });
  });
});
