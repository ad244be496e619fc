import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hostEndpoint } from '../../../local/stack/partEndpoints';
import type { HostEndpoint } from '../../../local/host/startFunctionHost';
import { PartProcess } from '../../../local/stack/PartProcess';

const ROOT = resolve(__dirname, '../../..');
export const APPS = join(ROOT, 'test/host/apps');
const REGISTER_TS = join(__dirname, 'registerTypeScript.js');
const HOST_CLI = join(__dirname, 'hostCli.ts');

/** `fleetwave host` in a child process (the real module loader, kill -9 possible), on a temp data dir. */
export class HostProcess {
  readonly dataDir: string;
  endpoint!: HostEndpoint;
  private part?: PartProcess;
  private port = 0;

  constructor(
    private readonly app: string,
    private readonly env: Record<string, string> = {},
    dataDir?: string,
  ) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'fleetwave-host-'));
  }

  /** What the host printed since it was last started. */
  get output(): string {
    return this.part?.output ?? '';
  }

  async start(): Promise<this> {
    const args = ['host', '--app', join(APPS, this.app), '--data-dir', this.dataDir, '--port', String(this.port)];
    this.part = new PartProcess('the host', args, { env: this.env, nodeArgs: ['-r', REGISTER_TS], script: HOST_CLI });
    this.endpoint = await this.part.start(hostEndpoint(this.dataDir), 30_000);
    // A restart keeps the port, so URLs handed out before (status query URIs) stay valid.
    this.port = this.endpoint.port;
    return this;
  }

  /** Logs are written once per event-loop turn, apart from responses: wait for a line to show. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string> {
    return this.part!.waitForOutput(pattern, timeoutMs);
  }

  url(path: string): string {
    return `${this.endpoint.baseUrl}${path}`;
  }

  /** kill -9: no shutdown code runs. */
  async crash(): Promise<void> {
    await this.part?.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.part?.stop();
  }

  async dispose(): Promise<void> {
    await this.crash();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
