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
/** The longest start() waits for the Event Hub triggers' first try; an unreachable hub must not hold the host. */
const FIRST_CONNECT_WAIT_MS = 10_000;

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
    this.eventHubs = functions
      .filter((fn) => fn.triggerKind === 'eventHub')
      .map((fn) => new EventHubListener(fn, config.eventHubs, this.state, invoker, logger));
    this.timers = functions.filter((fn) => fn.triggerKind === 'timer').map((fn) => new TimerListener(fn, this.state, invoker, logger));
  }

  static needed(functions: HostFunction[]): boolean {
    return functions.some((fn) => fn.triggerKind === 'eventHub' || fn.triggerKind === 'timer');
  }

  /** Resolves once each Event Hub trigger has connected or failed its first try (it keeps trying), or after FIRST_CONNECT_WAIT_MS. */
  async start(): Promise<void> {
    for (const timer of this.timers) timer.start();
    let timeout: NodeJS.Timeout | undefined;
    const waited = new Promise((resolve) => (timeout = setTimeout(resolve, FIRST_CONNECT_WAIT_MS)));
    await Promise.race([Promise.all(this.eventHubs.map((listener) => this.connect(listener))), waited]);
    clearTimeout(timeout);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const retry of this.retries) clearTimeout(retry);
    await Promise.allSettled([...this.eventHubs.map((l) => l.stop()), ...this.timers.map((t) => t.stop())]);
    this.state.close();
  }

  /** Like the Functions host, a trigger whose event hub can't be reached now keeps trying. */
  private connect(listener: EventHubListener): Promise<void> {
    return listener.start().catch((error: Error) => {
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
