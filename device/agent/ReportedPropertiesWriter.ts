import type { Twin } from 'azure-iot-device';
import type { FirmwareReportedProperties } from '../../contracts/firmwareUpdate';

interface QueuedPatch {
  patch: FirmwareReportedProperties;
  /** Progress-only patches may be replaced by a newer one before they are sent. */
  replaceable: boolean;
}

/**
 * Sends reported-property patches one at a time, in order, so the hub sees every step of the
 * state machine. Only progress updates are coalesced, and a patch equal to the one written just
 * before is dropped: the twin already says it (only the device writes its reported properties),
 * and each patch costs the hub a twin-change event. A failed send is retried, and a patch left
 * unanswered when the connection changed is sent again on the new one (the device SDK never times
 * out a pending twin request).
 */
export class ReportedPropertiesWriter {
  private readonly queue: QueuedPatch[] = [];
  private inFlight = false;
  private twin: Twin | undefined;
  /** Bumped per connection: acknowledgements from an old connection are ignored. */
  private generation = 0;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  /** The last patch written, as JSON. */
  private last: string | undefined;

  constructor(private readonly onError: (error: Error) => void) {}

  /** The twin of the current connection; undefined while disconnected. */
  attach(twin: Twin | undefined): void {
    this.generation++;
    this.twin = twin;
    this.inFlight = false;
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

  /** Resolves once everything written so far has been acknowledged by the hub. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.twin = undefined;
  }

  private pump(): void {
    const twin = this.twin;
    const head = this.queue[0];
    if (this.inFlight || !head || !twin) return;
    const generation = this.generation;
    this.inFlight = true;
    twin.properties.reported.update(head.patch, (error?: Error) => {
      if (generation !== this.generation) return;
      this.inFlight = false;
      if (error) {
        this.onError(error);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), 1000);
        return;
      }
      this.queue.shift();
      if (this.queue.length > 0) return this.pump();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }
}
