import type { RolloutStatus } from '../../../contracts/rolloutApi';

export interface DeviceView {
  deviceId: string;
  state: string;
  error?: { code: string; message?: string } | null;
  [more: string]: unknown;
}

export interface Page<T> {
  items: T[];
  continuationToken?: string | null;
}

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

  get(id: string): Promise<RolloutStatus> {
    return this.request('GET', `rollouts/${encodeURIComponent(id)}`);
  }

  list(continuationToken?: string): Promise<Page<RolloutStatus>> {
    return this.request('GET', `rollouts${continuationToken ? `?continuationToken=${encodeURIComponent(continuationToken)}` : ''}`);
  }

  devices(id: string, options: { state?: string; continuationToken?: string } = {}): Promise<Page<DeviceView>> {
    const query = new URLSearchParams();
    if (options.state) query.set('state', options.state);
    if (options.continuationToken) query.set('continuationToken', options.continuationToken);
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.request('GET', `rollouts/${encodeURIComponent(id)}/devices${suffix}`);
  }

  device(id: string, deviceId: string): Promise<Record<string, unknown>> {
    return this.request('GET', `rollouts/${encodeURIComponent(id)}/devices/${encodeURIComponent(deviceId)}`);
  }

  act(id: string, action: 'pause' | 'resume' | 'approve' | 'cancel'): Promise<unknown> {
    return this.request('POST', `rollouts/${encodeURIComponent(id)}/${action}`);
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

function describe(body: unknown): string {
  if (body && typeof body === 'object') {
    const { error, message, problems } = body as { error?: unknown; message?: unknown; problems?: { field: string; message: string }[] };
    if (Array.isArray(problems))
      return `${String(message ?? error ?? 'invalid request')}\n${problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}`;
    if (message || error) return String(message ?? error);
  }
  return typeof body === 'string' ? body : JSON.stringify(body);
}
