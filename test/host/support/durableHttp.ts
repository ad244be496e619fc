import { eventually } from '../../support/hubFixture';
import type { HostProcess } from './HostProcess';

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export const TERMINAL = ['Completed', 'Failed', 'Terminated'];

/** Talks to a host's Durable HTTP API directly (as the documented API is used) and to the test app's client functions. */
export class DurableHttp {
  constructor(private readonly host: HostProcess) {}

  api(path: string): string {
    return this.host.url(`/runtime/webhooks/durabletask${path}`);
  }

  /** Starts through the app's HTTP starter (DurableClient.startNew + createCheckStatusResponse). */
  async start(
    name: string,
    input?: unknown,
    instanceId?: string,
  ): Promise<{ id: string; statusQueryGetUri: string; sendEventPostUri: string; location: string | null }> {
    const res = await fetch(this.host.url(`/api/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`), {
      method: 'POST',
      ...(input !== undefined ? { body: JSON.stringify(input) } : {}),
    });
    if (res.status !== 202) throw new Error(`start ${name}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
    return { ...body, location: res.headers.get('location') };
  }

  /** Starts through the Durable HTTP API itself (POST …/orchestrators/{name}[/{id}]). */
  async startDirect(name: string, input?: unknown, instanceId?: string): Promise<string> {
    const res = await fetch(this.api(`/orchestrators/${name}${instanceId ? `/${encodeURIComponent(instanceId)}` : ''}`), {
      method: 'POST',
      ...(input !== undefined ? { body: JSON.stringify(input) } : {}),
    });
    if (res.status !== 202) throw new Error(`start ${name}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  async status(instanceId: string, query = ''): Promise<{ httpStatus: number; body: InstanceStatus }> {
    const res = await fetch(this.api(`/instances/${encodeURIComponent(instanceId)}${query}`));
    return { httpStatus: res.status, body: (await res.json()) as InstanceStatus };
  }

  /** Polls until the instance is finished (or matches `until`). */
  async waitFor(
    instanceId: string,
    until: (status: InstanceStatus) => boolean = (s) => TERMINAL.includes(s.runtimeStatus),
    timeoutMs = 20000,
  ): Promise<InstanceStatus> {
    return eventually(
      async () => {
        const { body } = await this.status(instanceId);
        if (!until(body)) throw new Error(`instance ${instanceId} is ${body.runtimeStatus} (${JSON.stringify(body.customStatus)})`);
        return body;
      },
      timeoutMs,
      25,
    );
  }

  async run(name: string, input?: unknown, instanceId?: string): Promise<InstanceStatus> {
    const { id } = await this.start(name, input, instanceId);
    return this.waitFor(id);
  }

  /** Calls one DurableClient operation through the app's clientOperation function. */
  async client(
    operation: string,
    id = '',
    query: Record<string, string> = {},
    init: RequestInit = {},
  ): Promise<{ status: number; body: unknown }> {
    const search = new URLSearchParams(query).toString();
    const res = await fetch(
      this.host.url(`/api/client/${operation}${id ? `/${encodeURIComponent(id)}` : ''}${search ? `?${search}` : ''}`),
      { method: 'POST', ...init },
    );
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
}
