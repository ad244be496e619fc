import type { IncomingMessage, ServerResponse } from 'node:http';
import { PathPattern } from '../../../http/PathPattern';
import { Router } from '../../../http/Router';
import { hostErrors } from '../../hostErrors';
import { writeResponse, type HostResponse } from '../../hostResponse';
import { isTerminal, type InstanceQuery, type RuntimeStatus } from '../persistence/records';
import type { InstanceOperationResult, TaskHubClient } from '../TaskHubClient';
import { DURABLE_API_PATH, managementUrls } from './durableClientData';
import { historyView } from './historyView';
import { statusPayload } from './statusPayload';

const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'Failed',
  'Terminated',
  'Suspended',
  'ContinuedAsNew',
];
const DEFAULT_PAGE_SIZE = 100;

interface ApiRequest {
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  params: Record<string, string>;
}

type Handler = (request: ApiRequest) => HostResponse | Promise<HostResponse>;
/** A path's handler for each method it answers. */
type MethodHandlers = Partial<Record<string, Handler>>;

/**
 * The Durable Functions HTTP API (/runtime/webhooks/durabletask/…) as the DurableClient and the
 * documented API use it: start, status (with history), queries with paging, raise, terminate,
 * suspend, resume, rewind, purge, and entities.
 */
export class DurableHttpApi {
  private readonly router: Router<MethodHandlers>;

  constructor(
    private readonly client: TaskHubClient,
    private readonly taskHubName: string,
  ) {
    const paths: Record<string, MethodHandlers> = {
      'orchestrators/{functionName}/{instanceId?}': { POST: (r) => this.startNew(r) },
      'instances/': { GET: (r) => this.list(r), DELETE: (r) => this.purgeWhere(r) },
      'instances/{instanceId}': { GET: (r) => this.status(r), DELETE: (r) => this.purge(r) },
      'instances/{instanceId}/raiseEvent/{eventName}': { POST: (r) => this.raiseEvent(r) },
      'instances/{instanceId}/terminate': { POST: (r) => this.control(r, 'terminate') },
      'instances/{instanceId}/suspend': { POST: (r) => this.control(r, 'suspend') },
      'instances/{instanceId}/resume': { POST: (r) => this.control(r, 'resume') },
      'instances/{instanceId}/rewind': { POST: (r) => this.rewind(r) },
      'instances/{instanceId}/restart': { POST: (r) => this.restart(r) },
      'entities/{name}/{key}': { POST: (r) => this.signalEntity(r), GET: (r) => this.readEntity(r) },
    };
    this.router = new Router(
      Object.entries(paths).map(([pattern, handlers]) => ({
        path: new PathPattern(pattern),
        methods: Object.keys(handlers),
        target: handlers,
      })),
    );
  }

  /** Answers requests under the API path; false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<boolean> {
    if (path !== DURABLE_API_PATH && !path.startsWith(`${DURABLE_API_PATH}/`)) return false;
    writeResponse(res, await this.answer(req, path.slice(DURABLE_API_PATH.length + 1), body));
    return true;
  }

  private answer(req: IncomingMessage, path: string, body: Buffer): HostResponse | Promise<HostResponse> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = req.method ?? 'GET';
    const match = this.router.match(method, path);
    if (match.kind === 'notFound') throw hostErrors.notFound('Not found.');
    if (match.kind === 'methodNotAllowed') throw hostErrors.methodNotAllowed(match.allowed);
    const taskHub = url.searchParams.get('taskHub');
    if (taskHub !== null && taskHub.toLowerCase() !== this.taskHubName.toLowerCase())
      throw hostErrors.otherTaskHub(this.taskHubName, taskHub);
    if (match.kind === 'undecodableParameter') throw hostErrors.undecodableSegment(match.text);
    return match.route.target[method]!({ req, url, body, params: match.params });
  }

  private async startNew({ req, url, body, params: { functionName, instanceId } }: ApiRequest): Promise<HostResponse> {
    const text = jsonBody(body, 'The request body must be the orchestration input as JSON.');
    // DurableClient.startNew sends "" (JSON of an empty string) when there is no input.
    const input = text === '""' ? null : text;
    const id = this.client.startNew(functionName, { ...(instanceId ? { instanceId } : {}), input, ...versionOf(url) });
    const timeout = url.searchParams.get('timeout');
    if (timeout !== null) {
      const done = await this.waitForCompletion(id, Number(timeout) * 1000, Number(url.searchParams.get('pollingInterval') ?? 1) * 1000);
      if (done) return done;
    }
    return this.checkStatusResponse(req, id);
  }

  private checkStatusResponse(req: IncomingMessage, instanceId: string): HostResponse {
    const payload = managementUrls(`${origin(req)}${DURABLE_API_PATH}`, this.hubQuery(), instanceId);
    return { status: 202, body: payload, headers: { location: payload.statusQueryGetUri, 'retry-after': '10' } };
  }

  /** waitOnNewInstance: the output once finished within the timeout, else undefined. */
  private async waitForCompletion(instanceId: string, timeoutMs: number, intervalMs: number): Promise<HostResponse | undefined> {
    const deadline = Date.now() + (Number.isFinite(timeoutMs) ? timeoutMs : 10_000);
    const step = Math.max(20, Math.min(Number.isFinite(intervalMs) ? intervalMs : 1000, 250));
    for (;;) {
      const instance = this.client.getInstance(instanceId);
      if (instance && isTerminal(instance.runtimeStatus)) {
        return instance.runtimeStatus === 'Completed'
          ? { status: 200, body: JSON.parse(instance.output ?? 'null') as unknown }
          : { status: 200, body: statusPayload(instance, { showInput: true }) };
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, step));
    }
  }

  private status({ req, url, params: { instanceId } }: ApiRequest): HostResponse {
    const instance = this.client.getInstance(instanceId);
    if (!instance) throw hostErrors.instanceNotFound(instanceId);
    const showHistory = flag(url, 'showHistory', false);
    const payload = statusPayload(instance, {
      showInput: flag(url, 'showInput', true),
      ...(showHistory
        ? { history: historyView(this.client.history(instanceId), flag(url, 'showHistoryOutput', false), flag(url, 'showInput', true)) }
        : {}),
    });
    switch (instance.runtimeStatus) {
      case 'Failed':
        return { status: flag(url, 'returnInternalServerErrorOnFailure', false) ? 500 : 200, body: payload };
      case 'Completed':
      case 'Terminated':
        return { status: 200, body: payload };
      default:
        return { status: 202, body: payload, headers: { location: `${origin(req)}${url.pathname}${url.search}`, 'retry-after': '10' } };
    }
  }

  private list({ req, url }: ApiRequest): HostResponse {
    const top = Number(url.searchParams.get('top') ?? DEFAULT_PAGE_SIZE);
    if (!Number.isInteger(top) || top < 1) throw hostErrors.badRequest("'top' must be a positive whole number.");
    const continuation = header(req, 'x-ms-continuation-token');
    const page = this.client.query(queryOf(url), top, continuation);
    const showInput = flag(url, 'showInput', false);
    return {
      status: 200,
      body: page.instances.map((instance) => statusPayload(instance, { showInput })),
      ...(page.continuation ? { headers: { 'x-ms-continuation-token': page.continuation } } : {}),
    };
  }

  private purge({ params: { instanceId } }: ApiRequest): HostResponse {
    return purged(this.client.purge(instanceId) ? 1 : 0);
  }

  private purgeWhere({ url }: ApiRequest): HostResponse {
    return purged(this.client.purgeWhere(queryOf(url)));
  }

  private async raiseEvent({ body, params: { instanceId, eventName } }: ApiRequest): Promise<HostResponse> {
    const input = jsonBody(body, 'The request body must be the event data as JSON.');
    return operationResponse(await this.client.raiseEvent(instanceId, eventName, input), instanceId);
  }

  private async control({ url, params: { instanceId } }: ApiRequest, operation: 'terminate' | 'suspend' | 'resume'): Promise<HostResponse> {
    return operationResponse(await this.client[operation](instanceId, url.searchParams.get('reason') ?? ''), instanceId);
  }

  private rewind({ params: { instanceId } }: ApiRequest): HostResponse {
    const instance = this.client.getInstance(instanceId);
    if (!instance) throw hostErrors.rewindInstanceNotFound(instanceId);
    throw instance.runtimeStatus === 'Failed' ? hostErrors.rewindUnsupported() : hostErrors.rewindNotFailed();
  }

  /** Starts the orchestration again with its original input, under a new id unless asked otherwise. */
  private restart({ req, url, params: { instanceId } }: ApiRequest): HostResponse {
    const instance = this.client.getInstance(instanceId);
    if (!instance) throw hostErrors.instanceNotFound(instanceId);
    const sameId = url.searchParams.get('restartWithNewInstanceId')?.toLowerCase() === 'false';
    const id = this.client.startNew(instance.name, {
      input: instance.input,
      ...(sameId ? { instanceId } : {}),
      ...(instance.version ? { version: instance.version } : {}),
    });
    return this.checkStatusResponse(req, id);
  }

  private async signalEntity({ url, body, params: { name, key } }: ApiRequest): Promise<HostResponse> {
    const operation = url.searchParams.get('op') ?? '';
    await this.client.signalEntity(name, key, operation, jsonBody(body, 'The request body must be the operation input as JSON.'));
    return { status: 202 };
  }

  private readEntity({ params: { name, key } }: ApiRequest): HostResponse {
    const entity = this.client.readEntity(name, key);
    if (!entity) throw hostErrors.entityNotFound(name, key);
    return { status: 200, body: JSON.parse(entity.state) as unknown };
  }

  private hubQuery(): string {
    return `taskHub=${encodeURIComponent(this.taskHubName)}&connection=Storage`;
  }
}

function operationResponse(result: InstanceOperationResult, instanceId: string): HostResponse {
  switch (result) {
    case 'accepted':
      return { status: 202 };
    case 'gone':
      throw hostErrors.instanceFinished(instanceId);
    case 'notFound':
      throw hostErrors.instanceNotFound(instanceId);
  }
}

/** What a purge answers: 404 when it deleted nothing, with the count all the same. */
function purged(instancesDeleted: number): HostResponse {
  return { status: instancesDeleted > 0 ? 200 : 404, body: { instancesDeleted } };
}

function queryOf(url: URL): InstanceQuery {
  const query: InstanceQuery = {};
  const from = url.searchParams.get('createdTimeFrom');
  const to = url.searchParams.get('createdTimeTo');
  if (from) query.createdFrom = timeParam(from, 'createdTimeFrom');
  if (to) query.createdTo = timeParam(to, 'createdTimeTo');
  const statuses = url.searchParams
    .getAll('runtimeStatus')
    .flatMap((value) => value.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (statuses.length > 0) {
    query.statuses = statuses.map((status) => {
      const match = RUNTIME_STATUSES.find((known) => known.toLowerCase() === status.toLowerCase());
      if (!match) throw hostErrors.badRequest(`'${status}' is not a runtime status (${RUNTIME_STATUSES.join(', ')}).`);
      return match;
    });
  }
  const prefix = url.searchParams.get('instanceIdPrefix');
  if (prefix) query.instanceIdPrefix = prefix;
  return query;
}

function timeParam(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw hostErrors.badRequest(`'${name}' must be a date and time (ISO 8601).`);
  return ms;
}

function flag(url: URL, name: string, fallback: boolean): boolean {
  const value = url.searchParams.get(name);
  return value === null ? fallback : value.toLowerCase() === 'true';
}

function versionOf(url: URL): { version?: string } {
  const version = url.searchParams.get('version');
  return version ? { version } : {};
}

/** The body as JSON text (validated); an empty body is no input. */
function jsonBody(body: Buffer, problem: string): string | null {
  const text = body.toString('utf8');
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
  } catch {
    throw hostErrors.badRequest(problem);
  }
  return text;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function origin(req: IncomingMessage): string {
  return `http://${req.headers.host ?? 'localhost'}`;
}
