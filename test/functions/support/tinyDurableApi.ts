/**
 * A tiny, real HTTP server speaking the few Durable Functions HTTP API calls the app's
 * DurableClient makes (start, status, raise event, read and signal entities), on the paths and
 * with the status codes the Durable extension uses (the same HTTP API the dev host serves, see
 * local/host/durable/httpApi/DurableHttpApi.ts). The handlers under test use the real durable-functions DurableClient,
 * obtained with df.getClient(context) from a real InvocationContext, and talk HTTP to it.
 *
 * Orchestrations are not run here: a test puts instances in the state it needs. Entities are:
 * a signal runs the app's real entity function (and the signals it sends in turn), so a command
 * posted to the API really changes the control entity the next request reads.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EntityContext } from 'durable-functions';
import { entityFunction, runEntityBatch, type EntityFunction } from './durableFunctions';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'ContinuedAsNew' | 'Suspended';

export interface Instance {
  name: string;
  instanceId: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  /** External events raised on it, in order. */
  events: { name: string; data: unknown }[];
}

export const TASK_HUB = 'fleetwave';
const API = '/runtime/webhooks/durabletask/';
const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated']);

export class TinyDurableApi {
  readonly instances = new Map<string, Instance>();
  /** Entity states (JSON text) by `name@key` (name lower case, as Durable keys them). */
  readonly entities = new Map<string, string>();
  /** Every request, as `METHOD path` (decoded). */
  readonly requests: string[] = [];
  /** Answer raise-event calls with this status instead (to simulate an unavailable API). */
  raiseEventStatus: number | null = null;
  /** Called when a start request arrives, before it is handled (to simulate a concurrent start). */
  beforeStart: ((instanceId: string) => void) | undefined;
  private readonly entityFunctions = new Map<string, EntityFunction>();
  private server: Server | undefined;
  private port = 0;

  /** Registers the app's entity function for an entity name. */
  entity(name: string, handler: (context: EntityContext<never>) => void): this {
    this.entityFunctions.set(name.toLowerCase(), entityFunction(handler));
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The durableClient binding data the Functions host would hand the function. */
  clientData(): Record<string, unknown> {
    const base = `http://127.0.0.1:${this.port}${API}`;
    const query = `taskHub=${TASK_HUB}&connection=Storage&code=SYSTEMKEY`;
    return {
      taskHubName: TASK_HUB,
      creationUrls: {
        createNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]?${query}`,
        createAndWaitOnNewInstancePostUri: `${base}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${base}instances/INSTANCEID?${query}`,
        sendEventPostUri: `${base}instances/INSTANCEID/raiseEvent/{eventName}?${query}`,
        terminatePostUri: `${base}instances/INSTANCEID/terminate?reason={text}&${query}`,
        rewindPostUri: `${base}instances/INSTANCEID/rewind?reason={text}&${query}`,
        purgeHistoryDeleteUri: `${base}instances/INSTANCEID?${query}`,
        restartPostUri: `${base}instances/INSTANCEID/restart?${query}`,
        suspendPostUri: `${base}instances/INSTANCEID/suspend?reason={text}&${query}`,
        resumePostUri: `${base}instances/INSTANCEID/resume?reason={text}&${query}`,
      },
      baseUrl: base.slice(0, -1),
      requiredQueryStringParameters: query,
      rpcBaseUrl: base,
    };
  }

  /** A real InvocationContext whose options declare a durableClient input, with this API's binding data. */
  context(
    functionName = 'httpFunction',
    extra: { triggerMetadata?: Record<string, unknown> } = {},
  ): InvocationContext & { lines: string[] } {
    const binding = df.input.durableClient();
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName,
      invocationId: `test-${Math.random().toString(16).slice(2)}`,
      logHandler: (level, ...args) => lines.push(`${level} ${args.map(String).join(' ')}`),
      options: { extraInputs: [binding], extraOutputs: [] },
      ...(extra.triggerMetadata === undefined ? {} : { triggerMetadata: extra.triggerMetadata }),
    });
    context.extraInputs.set(binding, this.clientData());
    return Object.assign(context, { lines });
  }

  /** Puts an orchestration instance in place. */
  addInstance(instance: Partial<Instance> & { instanceId: string; name: string }): Instance {
    const now = new Date().toISOString();
    const full: Instance = {
      input: null,
      output: null,
      customStatus: null,
      runtimeStatus: 'Running',
      createdTime: now,
      lastUpdatedTime: now,
      events: [],
      ...instance,
    };
    this.instances.set(full.instanceId, full);
    return full;
  }

  entityState<T>(name: string, key: string): T | undefined {
    const state = this.entities.get(`${name.toLowerCase()}@${key}`);
    return state === undefined ? undefined : ((JSON.parse(state) as T | null) ?? undefined);
  }

  /** Runs one operation on an entity, as a signal would. */
  async signal(name: string, key: string, operation: string, input: unknown): Promise<void> {
    const fn = this.entityFunctions.get(name.toLowerCase());
    if (fn === undefined) throw new Error(`no entity function registered for ${name}`);
    const id = `${name.toLowerCase()}@${key}`;
    const result = await runEntityBatch(fn, { name: name.toLowerCase(), key, state: this.entities.get(id) }, [{ name: operation, input }]);
    if (result.entityExists) this.entities.set(id, result.entityState ?? 'null');
    else this.entities.delete(id);
    for (const signal of result.signals) {
      await this.signal(
        signal.target.name,
        signal.target.key,
        signal.name,
        signal.input ? (JSON.parse(signal.input) as unknown) : undefined,
      );
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const reply = (status: number, body?: unknown): void => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      res
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) })
        .end(payload);
    };
    if (!url.pathname.startsWith(API)) return reply(404, { message: 'not the Durable API' });
    const segments = url.pathname
      .slice(API.length)
      .split('/')
      .map((segment) => decodeURIComponent(segment));
    this.requests.push(`${method} ${segments.join('/')}`);
    try {
      if (method === 'POST' && segments[0] === 'orchestrators') return reply(...this.startNew(segments[1], segments[2], text));
      if (method === 'GET' && segments[0] === 'instances' && segments.length === 2) {
        const instance = this.instances.get(segments[1]);
        if (!instance) return reply(404, { message: `No instance with ID '${segments[1]}' found.` });
        const status = { ...instance, events: undefined };
        return reply(TERMINAL.has(instance.runtimeStatus) ? 200 : 202, status);
      }
      if (method === 'POST' && segments[0] === 'instances' && segments[2] === 'raiseEvent') {
        if (this.raiseEventStatus !== null) return reply(this.raiseEventStatus, { message: 'unavailable' });
        const instance = this.instances.get(segments[1]);
        if (!instance) return reply(404, { message: `No instance with ID '${segments[1]}' found.` });
        if (TERMINAL.has(instance.runtimeStatus)) return reply(410, { message: 'finished' });
        instance.events.push({ name: segments[3], data: text === '' ? null : (JSON.parse(text) as unknown) });
        return reply(202);
      }
      if (segments[0] === 'entities' && segments.length === 3) {
        if (method === 'GET') {
          const state = this.entities.get(`${segments[1].toLowerCase()}@${segments[2]}`);
          return state === undefined ? reply(404, { message: 'no entity' }) : reply(200, JSON.parse(state) as unknown);
        }
        if (method === 'POST') {
          await this.signal(
            segments[1],
            segments[2],
            url.searchParams.get('op') ?? '',
            text === '' ? undefined : (JSON.parse(text) as unknown),
          );
          return reply(202);
        }
      }
      return reply(404, { message: `no route ${method} ${url.pathname}` });
    } catch (error) {
      return reply(500, { message: error instanceof Error ? error.message : String(error) });
    }
  }

  private startNew(name: string, instanceId: string | undefined, body: string): [number, unknown] {
    const id = instanceId ?? `generated-${this.instances.size}`;
    this.beforeStart?.(id);
    const existing = this.instances.get(id);
    if (existing && !TERMINAL.has(existing.runtimeStatus)) return [409, { message: `An instance with ID '${id}' already exists.` }];
    this.addInstance({ name, instanceId: id, input: body === '' ? null : (JSON.parse(body) as unknown), runtimeStatus: 'Pending' });
    return [202, { id, statusQueryGetUri: `${API}instances/${id}` }];
  }
}
