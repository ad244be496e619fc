import type { IncomingMessage, ServerResponse } from 'node:http';
import { isTerminal, type InstanceQuery, type RuntimeStatus } from '../persistence/records';
import { ClientError, type InstanceOperationResult, type TaskHubClient } from '../TaskHubClient';
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
  params: string[];
}

interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;

/**
 * The Durable Functions HTTP API (/runtime/webhooks/durabletask/…) as the DurableClient and the
 * documented API use it: start, status (with history), queries with paging, raise, terminate,
 * suspend, resume, rewind, purge, and entities.
 */
export class DurableHttpApi {
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[];

  constructor(
    private readonly client: TaskHubClient,
    private readonly taskHubName: string,
  ) {
    this.routes = [
      { method: 'POST', pattern: /^orchestrators\/([^/]+)(?:\/([^/]+))?$/, handler: (r) => this.startNew(r) },
      { method: 'GET', pattern: /^instances\/?$/, handler: (r) => this.list(r) },
      { method: 'DELETE', pattern: /^instances\/?$/, handler: (r) => this.purgeWhere(r) },
      { method: 'GET', pattern: /^instances\/([^/]+)$/, handler: (r) => this.status(r) },
      { method: 'DELETE', pattern: /^instances\/([^/]+)$/, handler: (r) => this.purge(r) },
      { method: 'POST', pattern: /^instances\/([^/]+)\/raiseEvent\/([^/]+)$/, handler: (r) => this.raiseEvent(r) },
      { method: 'POST', pattern: /^instances\/([^/]+)\/(terminate|suspend|resume)$/, handler: (r) => this.control(r) },
      { method: 'POST', pattern: /^instances\/([^/]+)\/rewind$/, handler: (r) => this.rewind(r) },
      { method: 'POST', pattern: /^instances\/([^/]+)\/restart$/, handler: (r) => this.restart(r) },
      { method: 'POST', pattern: /^entities\/([^/]+)\/([^/]+)$/, handler: (r) => this.signalEntity(r) },
      { method: 'GET', pattern: /^entities\/([^/]+)\/([^/]+)$/, handler: (r) => this.readEntity(r) },
    ];
  }

  /** Answers requests under the API path; false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<boolean> {
    if (path !== DURABLE_API_PATH && !path.startsWith(`${DURABLE_API_PATH}/`)) return false;
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const rest = path.slice(DURABLE_API_PATH.length + 1);
    const method = req.method ?? 'GET';
    let response: ApiResponse;
    const matching = this.routes.filter((route) => route.pattern.test(rest));
    const route = matching.find((candidate) => candidate.method === method);
    const taskHub = url.searchParams.get('taskHub');
    if (!route) {
      response =
        matching.length > 0
          ? { status: 405, headers: { allow: matching.map((m) => m.method).join(', ') } }
          : { status: 404, body: { message: 'Not found.' } };
    } else if (taskHub !== null && taskHub.toLowerCase() !== this.taskHubName.toLowerCase()) {
      response = { status: 404, body: { message: `This host serves the task hub '${this.taskHubName}', not '${taskHub}'.` } };
    } else {
      try {
        const params = route.pattern
          .exec(rest)!
          .slice(1)
          .map((p) => (p === undefined ? '' : decodeSegment(p)));
        response = await route.handler({ req, url, body, params });
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        response = { status: error.status, body: { message: error.message } };
      }
    }
    send(res, response);
    return true;
  }

  private async startNew({ req, url, body, params: [functionName, instanceId] }: ApiRequest): Promise<ApiResponse> {
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

  private checkStatusResponse(req: IncomingMessage, instanceId: string): ApiResponse {
    const payload = managementUrls(`${origin(req)}${DURABLE_API_PATH}`, this.hubQuery(), instanceId);
    return { status: 202, body: payload, headers: { location: payload.statusQueryGetUri, 'retry-after': '10' } };
  }

  /** waitOnNewInstance: the output once finished within the timeout, else undefined. */
  private async waitForCompletion(instanceId: string, timeoutMs: number, intervalMs: number): Promise<ApiResponse | undefined> {
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

  private status({ req, url, params: [instanceId] }: ApiRequest): ApiResponse {
    const instance = this.client.getInstance(instanceId);
    if (!instance) return { status: 404, body: { message: `No instance with ID '${instanceId}' found.` } };
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

  private list({ req, url }: ApiRequest): ApiResponse {
    const top = Number(url.searchParams.get('top') ?? DEFAULT_PAGE_SIZE);
    if (!Number.isInteger(top) || top < 1) throw new ClientError(400, "'top' must be a positive whole number.");
    const continuation = header(req, 'x-ms-continuation-token');
    const page = this.client.query(queryOf(url), top, continuation);
    const showInput = flag(url, 'showInput', false);
    return {
      status: 200,
      body: page.instances.map((instance) => statusPayload(instance, { showInput })),
      ...(page.continuation ? { headers: { 'x-ms-continuation-token': page.continuation } } : {}),
    };
  }

  private purge({ params: [instanceId] }: ApiRequest): ApiResponse {
    return this.client.purge(instanceId) ? { status: 200, body: { instancesDeleted: 1 } } : { status: 404, body: { instancesDeleted: 0 } };
  }

  private purgeWhere({ url }: ApiRequest): ApiResponse {
    const deleted = this.client.purgeWhere(queryOf(url));
    return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404, body: { instancesDeleted: 0 } };
  }

  private async raiseEvent({ body, params: [instanceId, eventName] }: ApiRequest): Promise<ApiResponse> {
    const input = jsonBody(body, 'The request body must be the event data as JSON.');
    return operationResponse(await this.client.raiseEvent(instanceId, eventName, input), instanceId);
  }

  private async control({ url, params: [instanceId, operation] }: ApiRequest): Promise<ApiResponse> {
    const reason = url.searchParams.get('reason') ?? '';
    const result =
      operation === 'terminate'
        ? this.client.terminate(instanceId, reason)
        : operation === 'suspend'
          ? this.client.suspend(instanceId, reason)
          : this.client.resume(instanceId, reason);
    return operationResponse(await result, instanceId);
  }

  private rewind({ params: [instanceId] }: ApiRequest): ApiResponse {
    const instance = this.client.getInstance(instanceId);
    if (!instance) return { status: 404, body: `No instance with ID '${instanceId}' found.` };
    if (instance.runtimeStatus !== 'Failed')
      return { status: 412, body: 'The rewind operation is only supported on failed orchestration instances.' };
    return { status: 501, body: 'The rewind operation is not supported by this host (it is deprecated in Durable Functions).' };
  }

  /** Starts the orchestration again with its original input, under a new id unless asked otherwise. */
  private restart({ req, url, params: [instanceId] }: ApiRequest): ApiResponse {
    const instance = this.client.getInstance(instanceId);
    if (!instance) return { status: 404, body: { message: `No instance with ID '${instanceId}' found.` } };
    const sameId = url.searchParams.get('restartWithNewInstanceId')?.toLowerCase() === 'false';
    const id = this.client.startNew(instance.name, {
      input: instance.input,
      ...(sameId ? { instanceId } : {}),
      ...(instance.version ? { version: instance.version } : {}),
    });
    return this.checkStatusResponse(req, id);
  }

  private async signalEntity({ url, body, params: [name, key] }: ApiRequest): Promise<ApiResponse> {
    const operation = url.searchParams.get('op') ?? '';
    await this.client.signalEntity(name, key, operation, jsonBody(body, 'The request body must be the operation input as JSON.'));
    return { status: 202 };
  }

  private readEntity({ params: [name, key] }: ApiRequest): ApiResponse {
    const entity = this.client.readEntity(name, key);
    return entity
      ? { status: 200, body: JSON.parse(entity.state) as unknown }
      : { status: 404, body: { message: `Entity '@${name}@${key}' does not exist.` } };
  }

  private hubQuery(): string {
    return `taskHub=${encodeURIComponent(this.taskHubName)}&connection=Storage`;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ClientError(400, `'${segment}' is not valid percent-encoding.`);
  }
}

function operationResponse(result: InstanceOperationResult, instanceId: string): ApiResponse {
  switch (result) {
    case 'accepted':
      return { status: 202 };
    case 'gone':
      return { status: 410, body: { message: `The instance '${instanceId}' has already finished.` } };
    case 'notFound':
      return { status: 404, body: { message: `No instance with ID '${instanceId}' found.` } };
  }
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
      if (!match) throw new ClientError(400, `'${status}' is not a runtime status (${RUNTIME_STATUSES.join(', ')}).`);
      return match;
    });
  }
  const prefix = url.searchParams.get('instanceIdPrefix');
  if (prefix) query.instanceIdPrefix = prefix;
  return query;
}

function timeParam(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ClientError(400, `'${name}' must be a date and time (ISO 8601).`);
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
    throw new ClientError(400, problem);
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

function send(res: ServerResponse, response: ApiResponse): void {
  const text = response.body === undefined ? '' : typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  const headers: Record<string, string> = { ...(response.headers ?? {}), 'content-length': String(Buffer.byteLength(text)) };
  if (response.body !== undefined)
    headers['content-type'] = typeof response.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(response.status, headers).end(text);
}
