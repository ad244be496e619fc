import type { HostFunction } from '../../catalog/HostFunction';
import type { HostLogger } from '../../HostLogger';
import type { FunctionInvoker } from '../../worker/FunctionInvoker';
import { invokeWithRetry } from '../invokeWithRetry';
import type { ScheduleStatus, TriggerStateStore } from '../TriggerStateStore';
import { parseTimerSchedule, scheduleTimeZone, type TimerSchedule } from './timerSchedule';

const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** A run starting later than this after its time counts as past due. */
const PAST_DUE_MS = 1000;

/**
 * Runs one timer-triggered function on its schedule, one invocation at a time. With useMonitor
 * (default for schedules of a minute or more) the schedule status survives restarts, and an
 * occurrence missed while the host was down runs at start-up with isPastDue, as in Azure.
 */
export class TimerListener {
  private readonly schedule: TimerSchedule;
  private readonly useMonitor: boolean;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly fn: HostFunction,
    private readonly state: TriggerStateStore,
    private readonly invoker: FunctionInvoker,
    private readonly logger: HostLogger,
  ) {
    this.schedule = parseTimerSchedule(String(fn.trigger.schedule ?? ''), scheduleTimeZone());
    const useMonitor = fn.trigger.useMonitor;
    this.useMonitor = typeof useMonitor === 'boolean' ? useMonitor : this.schedule.minimumIntervalMs >= 60_000;
  }

  start(): void {
    const status = this.useMonitor ? this.state.scheduleStatus(this.fn.name) : undefined;
    const missed = status !== undefined && Date.parse(status.next) < Date.now();
    if (this.fn.trigger.runOnStartup === true || missed) {
      this.fire(status?.next ? new Date(status.next) : new Date(), missed);
      return;
    }
    this.arm(status?.next ? new Date(status.next) : this.schedule.next(new Date()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private arm(at: Date): void {
    if (this.stopped) return;
    const delay = at.getTime() - Date.now();
    // Longer than setTimeout can wait: wake up on the way and arm again.
    if (delay > MAX_TIMER_DELAY_MS) this.timer = setTimeout(() => this.arm(at), MAX_TIMER_DELAY_MS);
    else this.timer = setTimeout(() => this.fire(at, Date.now() - at.getTime() > PAST_DUE_MS), Math.max(0, delay));
  }

  private fire(scheduledFor: Date, isPastDue: boolean): void {
    const previous = this.useMonitor ? this.state.scheduleStatus(this.fn.name) : undefined;
    const firedAt = new Date();
    const input = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: previous ? { Last: previous.last, Next: previous.next, LastUpdated: previous.lastUpdated } : null,
      IsPastDue: isPastDue,
    };
    this.running = (async () => {
      await invokeWithRetry(
        this.invoker,
        this.fn,
        {
          inputData: [{ name: this.fn.trigger.name, data: { json: JSON.stringify(input) } }],
          reason: `Timer fired at ${firedAt.toISOString()} (scheduled for ${scheduledFor.toISOString()})`,
        },
        () => this.stopped,
      );
      if (this.stopped) return;
      // The next occurrence after this run, not after its start: runs never overlap.
      const next = this.schedule.next(new Date());
      if (this.useMonitor) {
        const status: ScheduleStatus = { last: firedAt.toISOString(), next: next.toISOString(), lastUpdated: new Date().toISOString() };
        this.state.saveScheduleStatus(this.fn.name, status);
      }
      this.arm(next);
    })().catch((error: Error) => this.logger.error(`Timer trigger '${this.fn.name}' failed: ${error.message}`));
  }
}
