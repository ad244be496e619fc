import type {
  ControlOperation,
  DevicePage,
  DeviceRolloutState,
  DeviceView,
  RolloutPage,
  RolloutState,
  RetryAccepted,
  RetryRequest,
  RolloutView,
} from '../../../contracts/rolloutApi';
import type { FieldProblem } from '../model/formProblems';

/** An answer other than 2xx, with what the API said about it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's error code (`validationFailed`, `conflict`, `notFound`, …), or `network`. */
    readonly code: string,
    message: string,
    readonly problems: readonly FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The key is missing or wrong. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface StartedRollout {
  id: string;
  created: boolean;
}

export interface DeviceQuery {
  state: DeviceRolloutState | null;
  errorCode: string | null;
  top: number;
  continuationToken: string | null;
}

type Query = Record<string, string | number | null>;

/** The one way the dashboard talks to the rollout API: JSON over fetch, the function key on every call. */
export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly functionKey: string | null,
  ) {}

  listRollouts(query: { top: number; continuationToken: string | null; state: RolloutState | null }): Promise<RolloutPage> {
    return this.request('GET', '/rollouts', query);
  }

  getRollout(rolloutId: string): Promise<RolloutView> {
    return this.request('GET', `/rollouts/${encodeURIComponent(rolloutId)}`);
  }

  listDevices(rolloutId: string, query: DeviceQuery): Promise<DevicePage> {
    return this.request('GET', `/rollouts/${encodeURIComponent(rolloutId)}/devices`, { ...query });
  }

  getDevice(rolloutId: string, deviceId: string): Promise<DeviceView> {
    return this.request('GET', `/rollouts/${encodeURIComponent(rolloutId)}/devices/${encodeURIComponent(deviceId)}`);
  }

  startRollout(spec: Record<string, unknown>): Promise<StartedRollout> {
    return this.request('POST', '/rollouts', {}, spec);
  }

  command(rolloutId: string, operation: ControlOperation): Promise<unknown> {
    return this.request('POST', `/rollouts/${encodeURIComponent(rolloutId)}/${operation}`, {}, {});
  }

  /** A new attempt on some devices of a finished rollout. */
  retry(rolloutId: string, body: RetryRequest): Promise<RetryAccepted> {
    return this.request('POST', `/rollouts/${encodeURIComponent(rolloutId)}/retry`, {}, body);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, query: Query = {}, body?: unknown): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== null && value !== '') search.set(name, String(value));
    const url = `${this.base}${path}${search.size === 0 ? '' : `?${search}`}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.functionKey !== null) headers['x-functions-key'] = this.functionKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(0, 'network', `The API did not answer (${error instanceof Error ? error.message : String(error)}).`);
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.ok) return parsed as T;
    throw errorOf(response.status, parsed);
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return text;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof record.error === 'string' ? record.error : `http${status}`;
  const message = typeof record.message === 'string' ? record.message : `The API answered ${status}.`;
  const problems = Array.isArray(record.problems) ? (record.problems as FieldProblem[]) : [];
  return new ApiError(status, code, message, problems);
}
