import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installIotHubHostPort } from '../preload/iothubHostPort';
import { adminEndpoint } from './adminEndpoint';
import { formatFunctionList, summarize, type FunctionSummary } from './catalog/FunctionSummary';
import { toHostFunction, type HostFunction } from './catalog/HostFunction';
import { readHostJson, type HostConfig } from './config/hostJson';
import { applyToEnvironment, readLocalSettings } from './config/localSettings';
import { resolveSettingReferences } from './config/resolveSettings';
import { createDurableRuntime, usesDurable, type DurableRuntime } from './durable/startDurable';
import { HostHttpServer } from './HostHttpServer';
import { HostLogger, type LogSink } from './HostLogger';
import { HttpTrigger } from './triggers/http/HttpTrigger';
import { TriggerListeners } from './triggers/TriggerListeners';
import { AppRegistrations } from './worker/AppRegistrations';
import { FunctionInvoker } from './worker/FunctionInvoker';
import { installFunctionsCore } from './worker/functionsCoreModule';
import { loadApp } from './worker/loadApp';

export interface FunctionHostOptions {
  /** The function app: a directory with package.json (main), host.json, local.settings.json. */
  appDir: string;
  /** HTTP port; 0 picks a free one. Default: local.settings.json Host.LocalHttpPort, else 7071. */
  port?: number;
  /** Where the host keeps its state (durable task hub, Event Hub checkpoints, timer status). */
  dataDir: string;
  /** Environment variables for the app; like real ones, they win over local.settings.json. */
  env?: Record<string, string>;
  /** Address to listen on. Default 127.0.0.1. */
  bindAddress?: string;
  /** Where log lines go. Default stdout/stderr. */
  logSink?: LogSink;
}

export interface RunningFunctionHost {
  port: number;
  /** http://localhost:<port> */
  baseUrl: string;
  functions: FunctionSummary[];
  config: HostConfig;
  close(): Promise<void>;
}

/**
 * Runs a v4 Node.js function app the way `func start` (Functions host + Node.js worker) does:
 * loads it through @azure/functions-core, serves HTTP triggers and the Durable HTTP API on one
 * port, runs the durable task hub, Event Hub and timer triggers. One app per process at a time.
 */
export async function startFunctionHost(options: FunctionHostOptions): Promise<RunningFunctionHost> {
  const appDir = resolve(options.appDir);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logger = new HostLogger('Information', options.logSink);

  for (const [name, value] of Object.entries(options.env ?? {})) process.env[name] = value;
  const localSettings = readLocalSettings(appDir);
  for (const name of applyToEnvironment(localSettings.values)) {
    logger.warn(`Skipping '${name}' from local.settings.json: it is already defined in the environment.`);
  }
  // azure-iothub in the app can then reach a hub on a port other than 443 (the local emulator).
  const hubCa = process.env.FLEETWAVE_HUB_CA;
  installIotHubHostPort(hubCa ? { ca: readFileSync(hubCa) } : {});
  const config = readHostJson(appDir);
  config.durableTask.hubName = resolveSettingReferences(config.durableTask.hubName);
  logger.setLevel(config.logLevel);

  const core = installFunctionsCore();
  const registrations = new AppRegistrations(logger);
  core.listener = registrations;
  const cleanup: (() => Promise<void> | void)[] = [
    () => {
      if (core.listener === registrations) core.listener = undefined;
    },
  ];
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    await loadApp(appDir);
    // The library locks app.setup() here, as when the worker reports its capabilities; with HTTP
    // streaming on, it answers with the URI of its own HTTP proxy.
    const capabilities = (await core.programmingModel?.getCapabilities?.({})) ?? {};

    const functions = selectFunctions(
      [...registrations.functions.values()].map((registration) => toHostFunction(registration)),
      config,
    );
    const runnable = functions.filter((fn) => fn.problems.length === 0);
    const invoker = new FunctionInvoker(() => core.programmingModel, registrations.hooks, logger);

    const server = new HostHttpServer((error) => logger.error(`Unhandled error answering a request: ${error.stack ?? error.message}`));
    const http = new HttpTrigger(runnable, config.routePrefix, invoker, capabilities.HttpUri);
    let durable: DurableRuntime | undefined;
    server.use(adminEndpoint(() => durable?.work));
    server.use(async (req, res, path, body) => (durable ? durable.api.handle(req, res, path, body) : false));
    server.use((req, res, path, body) => http.handle(req, res, path, body));
    const port = await server.listen(options.bindAddress ?? '127.0.0.1', options.port ?? localSettings.localHttpPort ?? 7071);
    cleanup.push(() => server.close());
    const baseUrl = `http://localhost:${port}`;
    process.env.WEBSITE_HOSTNAME = `localhost:${port}`;

    if (usesDurable(runnable)) {
      durable = createDurableRuntime({ dataDir, baseUrl, config: config.durableTask, functions: runnable, invoker, logger });
      cleanup.push(() => durable!.stop());
    }
    const listeners = TriggerListeners.needed(runnable) ? new TriggerListeners(dataDir, config, runnable, invoker, logger) : undefined;
    if (listeners) cleanup.push(() => listeners.stop());

    const summaries = functions.map((fn) => summarize(fn, config.routePrefix, baseUrl));
    logger.always(formatFunctionList(summaries));
    await registrations.hooks.run('appStart', { hookData: registrations.hooks.appLevelHookData, functionAppDirectory: appDir });
    durable?.start();
    // Triggers listen before the host says it started, so nothing sent after that is missed.
    await listeners?.start();
    logger.info(`Host started: ${baseUrl} (${runnable.length} of ${functions.length} functions running).`);
    logger.flush();
    const endpointFile = writeEndpointFile(dataDir, { port, baseUrl, pid: process.pid, functions: summaries });
    cleanup.push(() => rmSync(endpointFile, { force: true }));

    let closed = false;
    return {
      port,
      baseUrl,
      functions: summaries,
      config,
      async close() {
        if (closed) return;
        closed = true;
        await registrations.hooks
          .run('appTerminate', { hookData: registrations.hooks.appLevelHookData })
          .catch((error: Error) => logger.error(`appTerminate hook failed: ${error.message}`));
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** host.json `functions` limits which functions run, as in the Functions host. */
function selectFunctions(functions: HostFunction[], config: HostConfig): HostFunction[] {
  const allow = config.functionAllowList?.map((name) => name.toLowerCase());
  return allow ? functions.filter((fn) => allow.includes(fn.name.toLowerCase())) : functions;
}

/** What a running host writes to DATA_DIR/endpoint.json: where it serves and which functions it runs. */
export interface HostEndpoint {
  port: number;
  baseUrl: string;
  pid: number;
  functions: FunctionSummary[];
}

export const HOST_ENDPOINT_FILE = 'endpoint.json';

/** DATA_DIR/endpoint.json, written atomically, removed on close: its presence means "a host runs here". */
function writeEndpointFile(dataDir: string, endpoint: HostEndpoint): string {
  const file = join(dataDir, HOST_ENDPOINT_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(endpoint, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}
