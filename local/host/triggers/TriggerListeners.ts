import { join } from 'node:path';
import type { HostFunction } from '../catalog/HostFunction';
import type { HostConfig } from '../config/hostJson';
import type { HostLogger } from '../HostLogger';
import type { FunctionInvoker } from '../worker/FunctionInvoker';
import { EventHubListener } from './eventHub/EventHubListener';
import { TimerListener } from './timer/TimerListener';
import { TriggerStateStore } from './TriggerStateStore';

/** How long to wait before trying again to connect an Event Hub trigger. */
const RECONNECT_MS = 5000;

/**
 * The host's listening triggers (Event Hub and timer), with their state (checkpoints, schedule
 * status) in DATA_DIR/triggers.sqlite.
 */
export class TriggerListeners {
  private readonly state: TriggerStateStore;
  private readonly eventHubs: EventHubListener[];
  private readonly timers: TimerListener[];
  private stopped = false;
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(
    dataDir: string,
    config: HostConfig,
    functions: HostFunction[],
    invoker: FunctionInvoker,
    private readonly logger: HostLogger,
  ) {
    this.state = new TriggerStateStore(join(dataDir, 'triggers.sqlite'));
    this.eventHubs = functions.filter((fn) => fn.triggerKind === 'eventHub').map((fn) => new EventHubListener(fn, config.eventHubs, this.state, invoker, logger));
    this.timers = functions.filter((fn) => fn.triggerKind === 'timer').map((fn) => new TimerListener(fn, this.state, invoker, logger));
  }

  static needed(functions: HostFunction[]): boolean {
    return functions.some((fn) => fn.triggerKind === 'eventHub' || fn.triggerKind === 'timer');
  }

  start(): void {
    for (const timer of this.timers) timer.start();
    for (const listener of this.eventHubs) this.connect(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const retry of this.retries) clearTimeout(retry);
    await Promise.allSettled([...this.eventHubs.map((l) => l.stop()), ...this.timers.map((t) => t.stop())]);
    this.state.close();
  }

  /** Like the Functions host, a trigger whose event hub can't be reached now keeps trying. */
  private connect(listener: EventHubListener): void {
    listener.start().catch((error: Error) => {
      if (this.stopped) return;
      this.logger.error(`An Event Hub trigger could not start (retrying in ${RECONNECT_MS / 1000} s): ${error.message}`);
      const retry = setTimeout(() => {
        this.retries.delete(retry);
        void listener.stop().then(() => this.connect(listener));
      }, RECONNECT_MS);
      this.retries.add(retry);
    });
  }
}
