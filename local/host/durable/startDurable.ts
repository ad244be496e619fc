import { join } from 'node:path';
import type { HostFunction } from '../catalog/HostFunction';
import type { HostConfig } from '../config/hostJson';
import type { HostLogger } from '../HostLogger';
import type { FunctionInvoker } from '../worker/FunctionInvoker';
import { DurableEngine } from './engine/DurableEngine';
import { DurableFunctionSet } from './engine/DurableFunctionSet';
import type { DurableWorkCounters } from './engine/DurableWorkCounters';
import { durableClientData } from './httpApi/durableClientData';
import { DurableHttpApi } from './httpApi/DurableHttpApi';
import { TaskHubStore } from './persistence/TaskHubStore';
import { TaskHubClient } from './TaskHubClient';

export interface DurableRuntime {
  api: DurableHttpApi;
  client: TaskHubClient;
  /** The engine's work counters (GET /admin/durable/work). */
  work: DurableWorkCounters;
  /** Begins running orchestrations, activities and entities (after the app has started). */
  start(): void;
  stop(): Promise<void>;
}

/** DurableTask's rule for task hub names (they name storage resources). */
const HUB_NAME = /^[A-Za-z][A-Za-z0-9]{2,44}$/;

/** Whether the app uses Durable Functions at all (durable triggers or a durable client). */
export function usesDurable(functions: HostFunction[]): boolean {
  return functions.some(
    (fn) =>
      fn.triggerKind === 'orchestration' ||
      fn.triggerKind === 'activity' ||
      fn.triggerKind === 'entity' ||
      Object.values(fn.bindings).some((b) => ['durableclient', 'orchestrationclient'].includes(b.type.toLowerCase())),
  );
}

/**
 * The Durable Functions extension of this host: the task hub in DATA_DIR/durable/<hub>.sqlite, the
 * engine that runs it, the Durable HTTP API and the durableClient input binding.
 */
export function createDurableRuntime(options: {
  dataDir: string;
  baseUrl: string;
  config: HostConfig['durableTask'];
  functions: HostFunction[];
  invoker: FunctionInvoker;
  logger: HostLogger;
}): DurableRuntime {
  const { hubName } = options.config;
  if (!HUB_NAME.test(hubName)) {
    throw new Error(`host.json: the durable task hub name '${hubName}' is invalid: 3-45 letters and digits, starting with a letter.`);
  }
  const store = new TaskHubStore(join(options.dataDir, 'durable', `${hubName}.sqlite`));
  const functions = new DurableFunctionSet(options.functions);
  const engine = new DurableEngine(store, functions, options.invoker, options.config, options.logger);
  const client = new TaskHubClient(store, engine, functions);
  const clientData = JSON.stringify(durableClientData(options.baseUrl, hubName));
  const provideClient = () => ({ string: clientData });
  options.invoker.provideInput('durableClient', provideClient);
  options.invoker.provideInput('orchestrationClient', provideClient);
  return {
    api: new DurableHttpApi(client, hubName),
    client,
    work: engine.work,
    start: () => engine.start(),
    async stop() {
      await engine.stop();
      store.close();
      options.logger.always(engine.work.summary());
    },
  };
}
