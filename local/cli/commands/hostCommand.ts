import type { Command } from 'commander';
import { resolve } from 'node:path';
import { startFunctionHost } from '../../host/startFunctionHost';
import { parsePort } from '../options';

const DEFAULT_DATA_DIR = '.fleetwave/host';

interface HostFlags {
  app: string;
  port?: number;
  dataDir: string;
  bind: string;
}

export function registerHostCommand(program: Command): void {
  program
    .command('host')
    .description('Run a v4 Node.js Azure Functions app locally, like `func start`: HTTP, Event Hub and timer triggers, Durable Functions.')
    .option('--app <dir>', 'the function app (package.json main, host.json, local.settings.json)', '.')
    .option('--port <port>', 'HTTP port (default: local.settings.json Host.LocalHttpPort, else 7071; 0 picks a free one)', parsePort)
    .option('--data-dir <dir>', 'where the durable task hub, Event Hub checkpoints and timer status are kept', DEFAULT_DATA_DIR)
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    .action(async (opts: HostFlags) => {
      const host = await startFunctionHost({
        appDir: resolve(opts.app),
        dataDir: resolve(opts.dataDir),
        bindAddress: opts.bind,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
      });
      console.log(`\nFunctions host is running at ${host.baseUrl} (data in ${resolve(opts.dataDir)}). Press Ctrl-C to stop.`);
      const stop = () => {
        console.log('\nStopping the host…');
        void host.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
