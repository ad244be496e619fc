import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FunctionSummary } from '../../../local/host/catalog/FunctionSummary';

const ROOT = resolve(__dirname, '../../..');
export const APPS = join(ROOT, 'test/host/apps');
const REGISTER_TS = join(__dirname, 'registerTypeScript.js');
const HOST_CLI = join(__dirname, 'hostCli.ts');

export interface HostEndpoint {
  port: number;
  baseUrl: string;
  pid: number;
  functions: FunctionSummary[];
}

/** `fleetwave host` in a child process (the real module loader, kill -9 possible), on a temp data dir. */
export class HostProcess {
  readonly dataDir: string;
  endpoint!: HostEndpoint;
  output = '';
  private child?: ChildProcess;
  private port = 0;

  constructor(
    private readonly app: string,
    private readonly env: Record<string, string> = {},
    dataDir?: string,
  ) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'fleetwave-host-'));
  }

  async start(): Promise<this> {
    const endpointFile = join(this.dataDir, 'endpoint.json');
    rmSync(endpointFile, { force: true });
    const args = [
      '-r',
      REGISTER_TS,
      HOST_CLI,
      'host',
      '--app',
      join(APPS, this.app),
      '--data-dir',
      this.dataDir,
      '--port',
      String(this.port),
    ];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    for (let waited = 0; !existsSync(endpointFile); waited += 25) {
      if (child.exitCode !== null) throw new Error(`the host exited with code ${child.exitCode}:\n${this.output}`);
      if (waited > 30000) throw new Error(`the host did not start within 30 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    this.endpoint = JSON.parse(readFileSync(endpointFile, 'utf8')) as HostEndpoint;
    // A restart keeps the port, so URLs handed out before (status query URIs) stay valid.
    this.port = this.endpoint.port;
    return this;
  }

  /** Logs are written once per event-loop turn, apart from responses: wait for a line to show. */
  async waitForOutput(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    for (let waited = 0; !pattern.test(this.output); waited += 25) {
      if (waited > timeoutMs) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.output;
  }

  url(path: string): string {
    return `${this.endpoint.baseUrl}${path}`;
  }

  /** kill -9: no shutdown code runs. */
  async crash(): Promise<void> {
    await this.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }

  async dispose(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
}
