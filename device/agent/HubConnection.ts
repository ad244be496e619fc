import { Client, type DeviceMethodRequest, type DeviceMethodResponse, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';

export interface ReconnectBackoff {
  /** The first wait after a lost connection or a failed attempt. */
  initialMs: number;
  /** The cap: the wait doubles per failed attempt up to this, for as long as the agent runs. */
  maxMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { initialMs: 500, maxMs: 30_000 };

export interface HubConnectionOptions {
  connectionString: string;
  /** PEM of a CA to trust for the hub. */
  ca?: string;
  backoff: ReconnectBackoff;
  /** How long opening the connection, or the twin GET after it, may take before the attempt is abandoned. */
  requestTimeoutMs: number;
  /** Direct method handlers, registered on every new client before its twin is read. */
  methods: Record<string, (request: DeviceMethodRequest, response: DeviceMethodResponse) => void>;
  /** A fresh client is connected and its twin read: re-send what was in flight, reconcile. */
  onConnected(twin: Twin): void;
  /** The connection in use is gone (lost, abandoned or closed on purpose). */
  onDisconnected(): void;
  log(message: string): void;
}

/**
 * The agent's one connection to IoT Hub, kept for as long as the agent runs. IoT Hub drops
 * connections (maintenance, failover, a network blip) and a device that does not come back by
 * itself needs a truck roll, so any loss — the SDK's `disconnect`, an attempt that fails or hangs,
 * or the agent declaring the connection stalled — leads to a new client after an exponential
 * backoff with jitter, forever. The SDK's own retries are switched off: it reconnects the
 * transport behind the agent's back without re-sending a pending twin request, and gives up for
 * good after a few minutes; one reconnect loop, owned here, does both jobs.
 */
export class HubConnection {
  private client: Client | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempting: Promise<void> | undefined;
  /** Whether the agent wants to be online: false while stopped or during a simulated reboot. */
  private wanted = true;
  private stopped = false;
  private disconnectWaiters: (() => void)[] = [];

  constructor(private readonly options: HubConnectionOptions) {}

  /**
   * Resolves once connected. A refusal of the device's credentials on this first attempt is
   * thrown (a wrong connection string should say so at start-up); anything else is retried.
   */
  async start(): Promise<void> {
    for (;;) {
      try {
        return await this.attempt();
      } catch (error) {
        if (isRefusal(error) || this.stopped) throw error;
        this.failed(error);
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(this.options.backoff, this.failures)));
      }
    }
  }

  /** Drops the current connection (if any) and connects anew after the backoff. */
  reconnect(reason: string): void {
    if (!this.client) return;
    this.options.log(`reconnecting: ${reason}`);
    void this.drop(this.client);
    this.retryLater();
  }

  /** Resolves when there is no connection (at once if there is none now). */
  whenDisconnected(): Promise<void> {
    if (!this.client) return Promise.resolve();
    return new Promise((resolve) => this.disconnectWaiters.push(resolve));
  }

  /**
   * A device rebooting: closes the connection, stays offline for `ms`, then starts connecting
   * again. Resolves when the device is "back up", connected or not: what it reports meanwhile
   * waits for the connection.
   */
  async goOffline(ms: number): Promise<void> {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.attempting?.catch(() => undefined);
    if (this.client) await this.drop(this.client);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.stopped) return;
    this.wanted = true;
    this.failures = 0;
    this.retryNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wanted = false;
    clearTimeout(this.retryTimer);
    await this.attempting?.catch(() => undefined);
    if (this.client) await this.drop(this.client);
  }

  private retryLater(): void {
    if (!this.wanted || this.attempting || this.retryTimer) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.retryNow();
      },
      backoffDelay(this.options.backoff, this.failures),
    );
  }

  private retryNow(): void {
    if (!this.wanted || this.attempting || this.client) return;
    this.attempting = this.attempt()
      .then(
        () => {
          this.failures = 0;
        },
        (error: unknown) => {
          this.failed(error);
        },
      )
      .finally(() => {
        this.attempting = undefined;
        if (!this.client) this.retryLater();
      });
  }

  private failed(error: unknown): void {
    this.failures++;
    this.options.log(`could not connect to the hub (${(error as Error).message}); trying again`);
  }

  private async attempt(): Promise<void> {
    const { connectionString, ca, requestTimeoutMs } = this.options;
    const client = Client.fromConnectionString(connectionString, Mqtt);
    client.setRetryPolicy(NO_RETRY);
    client.on('error', (error: Error) => this.options.log(`connection error: ${error.message}`));
    client.on('disconnect', () => {
      if (client !== this.client) return;
      this.options.log('disconnected from the hub');
      void this.drop(client);
      this.retryLater();
    });
    try {
      if (ca) await client.setOptions({ ca });
      await withDeadline(client.open(), requestTimeoutMs, 'opening the connection');
      // Subscribed before the twin GET, so the hub has the subscription once the twin arrives.
      for (const [name, handler] of Object.entries(this.options.methods)) client.onDeviceMethod(name, handler);
      const twin = await withDeadline(client.getTwin(), requestTimeoutMs, 'reading the twin');
      if (!this.wanted) throw new Error('the agent went offline meanwhile');
      this.client = client;
      this.options.onConnected(twin);
    } catch (error) {
      void closeQuietly(client);
      throw error;
    }
  }

  private drop(client: Client): Promise<void> {
    if (client !== this.client) return Promise.resolve();
    this.client = undefined;
    this.options.onDisconnected();
    for (const resolve of this.disconnectWaiters.splice(0)) resolve();
    return closeQuietly(client);
  }
}

/** Satisfies the SDK's RetryPolicy: nothing is retried inside the SDK (see HubConnection). */
const NO_RETRY = { shouldRetry: () => false, nextRetryTimeout: () => 0 };

/** Exponential, capped, with "equal jitter": half the wait fixed, half random, so a fleet does not reconnect in lockstep. */
export function backoffDelay(backoff: ReconnectBackoff, failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The hub refused the device at CONNACK (2 identifier rejected, 4 bad user name or password, 5 not
 * authorized): the SDK's UnauthorizedError, carrying mqtt.js's "Connection refused: …". The SDK also
 * reports every failure of a client's first connection as "Not authorized", a refused or reset socket
 * too (hub down or overloaded as the device boots): those are no refusal, and are tried again.
 */
function isRefusal(error: unknown): boolean {
  const { name, message } = (error ?? {}) as Partial<Error>;
  return name === 'UnauthorizedError' && message !== undefined && message.includes('Connection refused: ');
}

async function closeQuietly(client: Client): Promise<void> {
  client.removeAllListeners('disconnect');
  await client.close().catch(() => undefined);
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
