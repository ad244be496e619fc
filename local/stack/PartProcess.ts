import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { FLEETWAVE_CLI } from './fleetwaveCli';

/**
 * One part of the system (`fleetwave host`, `fleetwave fleet`, …) in its own process, as in
 * production: the local stack, the benchmarks and the fault runs start every part through this.
 * `ready` is polled until it returns a value (a line of output, a file the part writes).
 */
export class PartProcess {
  private child?: ChildProcess;
  private output = '';

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

  async start<T>(ready: (output: string) => T | undefined, timeoutMs = 120_000): Promise<T> {
    this.child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), this.options.script ?? FLEETWAVE_CLI, ...this.args], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: WriteStream | undefined = this.options.logFile ? createWriteStream(this.options.logFile, { flags: 'a' }) : undefined;
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
      log?.write(chunk);
    };
    this.child.once('exit', () => log?.end());
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    for (let waited = 0; ; waited += 50) {
      const value = ready(this.output);
      if (value !== undefined) return value;
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with code ${this.child.exitCode}:\n${this.output}`);
      if (waited > timeoutMs) throw new Error(`${this.name} was not ready within ${timeoutMs / 1000} s:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
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

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timeout);
  }
}
