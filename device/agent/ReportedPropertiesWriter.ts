import type { Twin } from 'azure-iot-device';
import type { FirmwareReportedProperties } from '../../contracts/firmwareUpdate';

/**
 * Sends reported-property patches one at a time, in order. Patches queued while one is in flight
 * are coalesced (each section carries its complete current value, so the latest wins), and a
 * failed send is retried once the connection is back — the twin always ends up equal to the
 * agent's state.
 */
export class ReportedPropertiesWriter {
  private pending: FirmwareReportedProperties | undefined;
  private sending = false;
  private twin: Twin | undefined;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly onError: (error: Error) => void) {}

  /** The twin of the current connection; undefined while disconnected. */
  attach(twin: Twin | undefined): void {
    this.twin = twin;
    if (twin) this.pump();
  }

  write(patch: FirmwareReportedProperties): void {
    this.pending = { ...this.pending, ...patch };
    this.pump();
  }

  /** Resolves once everything written so far has been acknowledged by the hub. */
  idle(): Promise<void> {
    if (!this.sending && !this.pending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.twin = undefined;
  }

  private pump(): void {
    const twin = this.twin;
    if (this.sending || !this.pending || !twin) return;
    const patch = this.pending;
    this.pending = undefined;
    this.sending = true;
    twin.properties.reported.update(patch, (error?: Error) => {
      this.sending = false;
      if (error) {
        // Newer values written meanwhile win; the failed ones fill only what is not newer.
        this.pending = { ...patch, ...this.pending };
        this.onError(error);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.pump(), 1000);
        return;
      }
      if (this.pending) return this.pump();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }
}
