import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { FLEETWAVE_CLI } from './fleetwaveCli';

const POLL_MS = 25;
/** Output kept in memory: enough for the lines a probe looks for and an error report, bounded for long runs. */
const OUTPUT_KEPT = 20_000;

/** Parts running now: killed when this process exits, so none is left holding its ports. */
const running = new Set<ChildProcess>();
let endPartsOnExit = false;

function track(child: ChildProcess): void {
  if (!endPartsOnExit) {
    endPartsOnExit = true;
    // A part still running here was not stopped in order (the start was interrupted, or this process failed):
    // the parts it talks to may be gone with this process, so a graceful stop could wait on them for ever.
    // Every part is safe to kill (docs/reliability.md), and only synchronous work is possible on 'exit'.
    process.once('exit', () => {
      for (const part of running) part.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * One part of the system (`fleetwave host`, `fleetwave fleet`, …) in its own process, as in
 * production: the local stack, the benchmarks and the fault runs start every part through this.
 * `ready` is polled until it returns a value: a line of output, or the endpoint the part writes to a
 * file (partEndpoints.ts).
 */
export class PartProcess {
  private child?: ChildProcess;
  /** Set once the process has exited and its output is all read. */
  private ended = false;
  private tail = '';

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly options: {
      env?: Record<string, string>;
      /** Where the whole output goes, for a look after the run. */
      logFile?: string;
      /** Flags for node itself, before the CLI (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
      nodeArgs?: string[];
      /** The script to run instead of the fleetwave CLI. */
      script?: string;
    } = {},
  ) {}

  /** The last OUTPUT_KEPT characters of stdout and stderr, over every start. */
  get output(): string {
    return this.tail;
  }

  async start<T>(ready: (output: string) => T | undefined, timeoutMs = 120_000): Promise<T> {
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), this.options.script ?? FLEETWAVE_CLI, ...this.args], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    track(child);
    this.ended = false;
    const log: WriteStream | undefined = this.options.logFile ? createWriteStream(this.options.logFile, { flags: 'a' }) : undefined;
    const collect = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-OUTPUT_KEPT);
      log?.write(chunk);
    };
    child.once('exit', () => log?.end());
    // A process started before (then killed) may close after this one started: it is not this one ending.
    child.once('close', () => {
      if (this.child === child) this.ended = true;
    });
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    return this.waitFor(ready, timeoutMs, 'ready');
  }

  /** Waits until the output shows `text` (a string, or a pattern); resolves with the output. */
  waitForOutput(text: string | RegExp, timeoutMs = 5000): Promise<string> {
    const shows = (output: string) => (typeof text === 'string' ? output.includes(text) : text.test(output));
    return this.waitFor((output) => (shows(output) ? output : undefined), timeoutMs, `showing ${text}`);
  }

  /** Polls `probe` with the output until it returns a value; fails once the process has ended without, or after timeoutMs. */
  private async waitFor<T>(probe: (output: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    for (let waited = 0; ; waited += POLL_MS) {
      const value = probe(this.tail);
      if (value !== undefined) return value;
      if (this.ended) {
        const how = this.child?.signalCode ? `on ${this.child.signalCode}` : `with code ${this.child?.exitCode}`;
        throw new Error(`${this.name} exited ${how} before it was ${what}:\n${this.tail}`);
      }
      if (waited > timeoutMs) throw new Error(`${this.name} was not ${what} within ${timeoutMs / 1000} s:\n${this.tail}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  get pid(): number {
    if (this.child?.pid === undefined) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  /** Sends `signal`; for SIGKILL, resolves once the process is gone (a crash, no goodbye). */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    if (signal === 'SIGKILL') await exited;
  }

  /** Asks the process to end (SIGTERM, or SIGINT as Ctrl-C does), with SIGKILL after 15 s; resolves with its exit code. */
  async stop(signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timeout);
    return code;
  }
}
