import type { Twin } from 'azure-iot-device';
import type { FirmwareReportedProperties } from '../../contracts/firmwareUpdate';
import { backoffDelay, type ReconnectBackoff } from './HubConnection';

interface QueuedPatch {
  patch: FirmwareReportedProperties;
  /** Progress-only patches may be replaced by a newer one before they are sent. */
  replaceable: boolean;
}

/** A throttled hub (429) refuses patches for as long as a fleet keeps it over its twin-update rate. */
export const DEFAULT_REPORT_RETRY_BACKOFF: ReconnectBackoff = { initialMs: 1000, maxMs: 30_000 };

export interface ReportedPropertiesWriterOptions {
  /** A send failed; it is retried. */
  onError(error: Error): void;
  /**
   * The patch on the wire has had no answer for `answerTimeoutMs`: the device SDK never times out
   * a pending twin request, so the connection is presumed broken (a half-open socket, or a hub
   * that lost the session's subscription) and the owner should replace it.
   */
  onStalled(): void;
  answerTimeoutMs: number;
  /** Waits before sending a failed patch again: doubling per failure in a row, with jitter; a success starts over. */
  retryBackoff: ReconnectBackoff;
}

/**
 * Sends reported-property patches one at a time, in order, so the hub sees every step of the
 * state machine. Only progress updates are coalesced, and a patch equal to the one written just
 * before is dropped: the twin already says it (only the device writes its reported properties),
 * and each patch costs the hub a twin-change event. A failed send is retried after a backoff
 * with jitter (a throttled hub refuses patches until the fleet's rate drops, and a fleet must
 * not retry in lockstep), the patches behind it waiting their turn; a patch left unanswered
 * when the connection changed, or for longer than the answer deadline, is sent again on the
 * next connection (sending it twice is harmless: the same patch twice is the same twin).
 */
export class ReportedPropertiesWriter {
  private readonly queue: QueuedPatch[] = [];
  private inFlight = false;
  private twin: Twin | undefined;
  /** Bumped per connection: acknowledgements from an old connection are ignored. */
  private generation = 0;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  /** Sends failed since the last success. */
  private failures = 0;
  private answerTimer: NodeJS.Timeout | undefined;
  /** The last patch written, as JSON. */
  private last: string | undefined;

  constructor(private readonly options: ReportedPropertiesWriterOptions) {}

  /** The twin of the current connection; undefined while disconnected. */
  attach(twin: Twin | undefined): void {
    this.generation++;
    this.twin = twin;
    this.inFlight = false;
    clearTimeout(this.retryTimer);
    clearTimeout(this.answerTimer);
    if (twin) this.pump();
  }

  write(patch: FirmwareReportedProperties, options: { replaceable?: boolean } = {}): void {
    const json = JSON.stringify(patch);
    if (json === this.last) return;
    this.last = json;
    const replaceable = options.replaceable ?? false;
    const last = this.queue[this.queue.length - 1];
    // The head of the queue may be on the wire; only a later progress patch can be replaced.
    if (replaceable && last?.replaceable && (this.queue.length > 1 || !this.inFlight)) last.patch = patch;
    else this.queue.push({ patch, replaceable });
    this.pump();
  }

  /**
   * After a (re)connect: makes the twin say `state` unless what is queued will. The twin's
   * reported properties (as just read from the hub) may lag behind when a patch was lost with a
   * hub that crashed before storing it, or differ after the device ran offline.
   */
  reconcile(state: FirmwareReportedProperties, reported: unknown): void {
    if (this.queue.length > 0 || isSubsetOf(state, reported)) return;
    this.last = undefined;
    this.write(state);
  }

  /** Resolves once everything written so far has been acknowledged by the hub. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.answerTimer);
    this.twin = undefined;
  }

  private pump(): void {
    const twin = this.twin;
    const head = this.queue[0];
    if (this.inFlight || !head || !twin) return;
    const generation = this.generation;
    this.inFlight = true;
    this.answerTimer = setTimeout(() => {
      if (generation === this.generation) this.options.onStalled();
    }, this.options.answerTimeoutMs);
    twin.properties.reported.update(head.patch, (error?: Error) => {
      if (generation !== this.generation) return;
      clearTimeout(this.answerTimer);
      this.inFlight = false;
      if (error) {
        this.options.onError(error);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), backoffDelay(this.options.retryBackoff, this.failures++));
        return;
      }
      this.failures = 0;
      this.queue.shift();
      if (this.queue.length > 0) return this.pump();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }
}

/** Whether applying `patch` to `document` would change nothing (null deletes, as in a twin patch). */
function isSubsetOf(patch: unknown, document: unknown): boolean {
  if (patch === null) return document === undefined || document === null;
  if (typeof patch !== 'object' || Array.isArray(patch)) return JSON.stringify(patch) === JSON.stringify(document);
  if (typeof document !== 'object' || document === null) return false;
  const fields = document as Record<string, unknown>;
  return Object.entries(patch as Record<string, unknown>).every(([key, value]) => isSubsetOf(value, fields[key]));
}
