import type {
  DevicePage,
  DeviceView,
  RetryAccepted,
  RetryRequest,
  RolloutPage,
  RolloutState,
  RolloutView,
} from '../../../contracts/rolloutApi';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${status}: ${describe(body)}`);
    this.name = 'ApiError';
  }
}

/**
 * A small typed client of the rollout HTTP API (fetch; function key in x-functions-key). Rollouts
 * come typed by the API's contract with the app (contracts/rolloutApi.ts).
 */
export class RolloutApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key?: string,
  ) {}

  start(spec: unknown): Promise<{ id: string } & Record<string, unknown>> {
    return this.request('POST', 'rollouts', spec);
  }

  get(id: string): Promise<RolloutView> {
    return this.request('GET', `rollouts/${encodeURIComponent(id)}`);
  }

  list(options: { state?: RolloutState; continuationToken?: string } = {}): Promise<RolloutPage> {
    return this.request('GET', `rollouts${queryOf(options)}`);
  }

  devices(id: string, options: { state?: string; errorCode?: string; continuationToken?: string } = {}): Promise<DevicePage> {
    return this.request('GET', `rollouts/${encodeURIComponent(id)}/devices${queryOf(options)}`);
  }

  device(id: string, deviceId: string): Promise<DeviceView> {
    return this.request('GET', `rollouts/${encodeURIComponent(id)}/devices/${encodeURIComponent(deviceId)}`);
  }

  act(id: string, action: 'pause' | 'resume' | 'approve' | 'cancel'): Promise<unknown> {
    return this.request('POST', `rollouts/${encodeURIComponent(id)}/${action}`);
  }

  /** A new attempt of a finished rollout on its devices in `states` (default failed and timedOut), optionally with these error codes. */
  retry(id: string, request: RetryRequest = {}): Promise<RetryAccepted> {
    return this.request('POST', `rollouts/${encodeURIComponent(id)}/retry`, request);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/${path}`;
    const headers: Record<string, string> = this.key ? { 'x-functions-key': this.key } : {};
    // The API takes JSON on every request that changes state, commands without a body included.
    if (method !== 'GET') headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new Error(
        `Cannot reach the rollout API at ${url}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // a non-JSON body is reported as text
    }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed as T;
  }
}

/** `?name=value&…` of the options given (undefined and empty ones left out), or nothing. */
function queryOf(options: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options)) if (value) query.set(name, value);
  return query.size > 0 ? `?${query}` : '';
}

function describe(body: unknown): string {
  if (body && typeof body === 'object') {
    const { error, message, problems } = body as { error?: unknown; message?: unknown; problems?: { field: string; message: string }[] };
    if (Array.isArray(problems))
      return `${String(message ?? error ?? 'invalid request')}\n${problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}`;
    if (message || error) return String(message ?? error);
  }
  return typeof body === 'string' ? body : JSON.stringify(body);
}
