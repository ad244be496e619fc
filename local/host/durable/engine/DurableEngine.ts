import type { HostLogger } from '../../HostLogger';
import { messageOf, type FunctionInvoker } from '../../worker/FunctionInvoker';
import { isTerminal, type ActivityRecord, type NewMessage } from '../persistence/records';
import type { TaskHubStore } from '../persistence/TaskHubStore';
import type { EntityBatchResult } from '../protocol/entities';
import { failureDetailsOf, hostFailure } from '../protocol/failureDetails';
import { taskCompletedEvent, taskFailedEvent, type HistoryEvent } from '../protocol/historyEvents';
import { parseOrchestrationFailure } from '../protocol/orchestrationTrigger';
import type { OrchestratorState } from '../protocol/orchestratorActions';
import type { DurableFunctionSet } from './DurableFunctionSet';
import { DurableWorkCounters, entityKind } from './DurableWorkCounters';
import { EntityEpisode } from './EntityEpisode';
import { HistoryCache } from './HistoryCache';
import type { InboxMessage } from './inboxMessages';
import { OrchestrationEpisode, type EpisodeOutcome } from './OrchestrationEpisode';
import { resultJson } from './resultJson';

export interface EngineLimits {
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  maxConcurrentEntityFunctions: number;
}

/** setTimeout's longest delay; later wake-ups are re-armed. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** How long to wait before retrying an instance whose episode hit a storage error. */
const FAULT_RETRY_MS = 1000;
/** Longest an episode is held back to let more results of in-flight activities join it. */
const MAX_HOLD_MS = 50;

/**
 * Runs the task hub: orchestration and entity episodes for instances with visible messages (one at
 * a time per instance), activities from the work table, durable timers as delayed messages. All
 * state lives in the store, so after a crash start() picks up exactly where the last commit left.
 * Results of episodes and activities are group-committed (one transaction per event-loop turn),
 * and nothing acts on a result before its commit.
 */
export class DurableEngine {
  /** What the engine did since it started or was last reset (GET /admin/durable/work). */
  readonly work = new DurableWorkCounters();
  private readonly ready = new Set<string>();
  private readonly running = new Set<string>();
  private orchestrationsRunning = 0;
  private entitiesRunning = 0;
  private readonly activityQueue: ActivityRecord[] = [];
  private activitiesRunning = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly cache = new HistoryCache();
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  private pumpScheduled = false;
  /** Activities queued or running per instance. */
  private readonly outstanding = new Map<string, number>();
  /**
   * An instance with activities in flight waits this long after an episode before the next, so a
   * fan-in replays its (long) history a few times rather than once per result: replaying takes at
   * most about a third of the time. Its last result releases it at once.
   */
  private readonly holdUntil = new Map<string, number>();
  private holdTimer?: NodeJS.Timeout;
  private holdTimerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly store: TaskHubStore,
    private readonly functions: DurableFunctionSet,
    private readonly invoker: FunctionInvoker,
    private readonly limits: EngineLimits,
    private readonly logger: HostLogger,
  ) {}

  start(): void {
    const now = Date.now();
    this.enqueueActivities(this.store.activities());
    for (const instanceId of this.store.readyInstanceIds(now)) this.ready.add(instanceId);
    this.armWake(this.store.nextVisibleAt(now));
    this.pump();
  }

  /** Stops taking work and lets running invocations finish (up to `graceMs`); closing the store commits what they left. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    clearTimeout(this.holdTimer);
    const settled = Promise.allSettled([...this.inFlight]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  /**
   * A client's message to an instance: committed with the engine's own writes of this turn (one
   * transaction for a burst of raised events), then the instance is woken. Resolves once durable.
   */
  async deliver(message: NewMessage): Promise<void> {
    await this.store.commit({ addMessages: [message] });
    this.notify(message.instanceId);
  }

  /** The instance has a message visible now (it was committed). */
  notify(instanceId: string): void {
    this.ready.add(instanceId);
    this.pump();
  }

  /** Forgets cached history of an instance a client replaced or purged. */
  forget(instanceId: string): void {
    this.cache.delete(instanceId);
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const instanceId of this.ready) {
      if (this.running.has(instanceId)) continue;
      const hold = this.holdUntil.get(instanceId);
      if (hold !== undefined && hold > now) {
        this.armHold(hold);
        continue;
      }
      const entity = instanceId.startsWith('@');
      if (
        entity
          ? this.entitiesRunning >= this.limits.maxConcurrentEntityFunctions
          : this.orchestrationsRunning >= this.limits.maxConcurrentOrchestratorFunctions
      )
        continue;
      this.ready.delete(instanceId);
      this.running.add(instanceId);
      if (entity) this.entitiesRunning++;
      else this.orchestrationsRunning++;
      this.track(
        this.runInstance(instanceId, entity).finally(() => {
          this.running.delete(instanceId);
          if (entity) this.entitiesRunning--;
          else this.orchestrationsRunning--;
          this.schedulePump();
        }),
      );
    }
    while (this.activitiesRunning < this.limits.maxConcurrentActivityFunctions && this.activityQueue.length > 0) {
      const activity = this.activityQueue.shift()!;
      this.activitiesRunning++;
      this.track(
        this.runActivity(activity).finally(() => {
          this.activitiesRunning--;
          this.schedulePump();
        }),
      );
    }
  }

  /** The next pump runs after pending I/O, so a stream of episodes can't starve HTTP requests. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async runInstance(instanceId: string, entity: boolean): Promise<void> {
    try {
      const { lastSeenId, unfinished } = entity ? await this.runEntityEpisode(instanceId) : await this.runOrchestrationEpisode(instanceId);
      // Messages left on purpose (a suspended orchestration's events) wait for a newer message.
      if (!this.stopped && (unfinished || this.store.hasVisibleMessagesAfter(instanceId, Date.now(), lastSeenId)))
        this.ready.add(instanceId);
    } catch (error) {
      if (this.stopped) return;
      // Nothing was committed: the messages are still there; try again shortly.
      this.logger.error(`Durable episode for '${instanceId}' failed and will be retried: ${(error as Error).stack ?? error}`);
      this.cache.delete(instanceId);
      setTimeout(() => this.notify(instanceId), FAULT_RETRY_MS).unref();
    }
  }

  private async runOrchestrationEpisode(instanceId: string): Promise<EpisodeRun> {
    const now = Date.now();
    const messages = this.store.visibleMessages(instanceId, now);
    const run: EpisodeRun = { lastSeenId: messages.length > 0 ? messages[messages.length - 1].id : 0, unfinished: false };
    if (messages.length === 0) return run;
    const instance = this.store.getInstance(instanceId);
    if (!instance) {
      await this.store.commit({ deleteMessages: messages.map((m) => m.id) });
      return run;
    }
    const history = isTerminal(instance.runtimeStatus) ? [] : this.historyOf(instanceId, instance.executionId, instance.historyLength);
    const episode = new OrchestrationEpisode({
      now,
      instance,
      history,
      messages,
      retries: this.store.retries(instanceId, instance.executionId),
      lookupInstance: (id) => this.store.getInstance(id),
      orchestratorName: (name) => this.functions.orchestrator(name)?.name,
    });
    const started = Date.now();
    const outcome = episode.needsOrchestrator ? await this.invokeOrchestrator(instance.name, instanceId, episode.payload()) : undefined;
    if (this.stopped) return run;
    const effects = episode.complete(outcome);
    await this.store.commit(effects.write);
    this.work.add(instance.name, effects.work);
    const updated = effects.write.upsertInstances?.find((record) => record.instanceId === instanceId);
    if (effects.history.reset && updated) this.cache.set(instanceId, updated.executionId, []);
    else if (updated) this.cache.append(instanceId, updated.executionId, effects.history.events);
    this.enqueueActivities(effects.activities);
    if ((this.outstanding.get(instanceId) ?? 0) > 0) {
      const finished = Date.now();
      this.holdUntil.set(instanceId, finished + Math.min(MAX_HOLD_MS, 2 * (finished - started)));
    }
    for (const id of effects.notify) this.ready.add(id);
    for (const at of effects.wakeAt) this.armWake(at);
    return run;
  }

  private historyOf(instanceId: string, executionId: string, length: number): string[] {
    const cached = this.cache.get(instanceId, executionId, length);
    if (cached) return cached;
    const history = this.store.history(instanceId);
    this.cache.set(instanceId, executionId, history);
    return history;
  }

  private async invokeOrchestrator(name: string, instanceId: string, payload: string): Promise<EpisodeOutcome> {
    const fn = this.functions.orchestrator(name);
    if (!fn)
      return {
        kind: 'failed',
        message: `The orchestrator function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      };
    this.work.of(name).episodes++;
    try {
      const response = await this.invoker.invoke(fn, {
        inputData: [{ name: fn.trigger.name, data: { string: payload } }],
        reason: `(Orchestration instance ${instanceId})`,
        quietFailure: true,
      });
      const state = JSON.parse(resultJson(response.returnValue)) as OrchestratorState | null;
      if (!state || !Array.isArray(state.actions))
        return {
          kind: 'failed',
          message: `The orchestrator function '${fn.name}' did not return an orchestration state (is it registered with df.app.orchestration?).`,
        };
      return { kind: 'state', state };
    } catch (thrown) {
      const failure = parseOrchestrationFailure(thrown);
      this.logger.error(`Orchestrator function '${fn.name}' failed (instance ${instanceId}): ${failure.message}`);
      return { kind: 'failed', ...failure };
    }
  }

  private async runActivity(activity: ActivityRecord): Promise<void> {
    const fn = this.functions.activity(activity.name);
    let event: HistoryEvent;
    if (!fn) {
      const missing = hostFailure(`The function '${activity.name}' doesn't exist, is disabled, or is not an activity function.`);
      event = taskFailedEvent('activity', activity.taskId, missing, Date.now());
    } else {
      try {
        const response = await this.invoker.invoke(fn, {
          inputData: [{ name: fn.trigger.name, data: activity.input === null ? null : { json: activity.input } }],
          triggerMetadata: { instanceId: { string: activity.instanceId } },
          reason: `(Orchestration instance ${activity.instanceId}, task ${activity.taskId})`,
        });
        event = taskCompletedEvent('activity', activity.taskId, resultJson(response.returnValue), Date.now());
      } catch (thrown) {
        event = taskFailedEvent('activity', activity.taskId, failureDetailsOf(thrown), Date.now());
      }
    }
    const body: InboxMessage = { kind: 'event', event };
    try {
      // The result and the end of the work item commit together: at least once, never lost.
      await this.store.commit({
        deleteActivities: [activity],
        addMessages: [
          { instanceId: activity.instanceId, executionId: activity.executionId, visibleAt: Date.now(), body: JSON.stringify(body) },
        ],
      });
    } catch (error) {
      // The work item is still in the store: the activity runs again (now, or after a restart).
      if (this.stopped) return;
      this.logger.error(
        `Could not record the result of activity '${activity.name}' (instance ${activity.instanceId}): ${(error as Error).message}`,
      );
      setTimeout(() => {
        this.activityQueue.push(activity);
        this.pump();
      }, FAULT_RETRY_MS).unref();
      return;
    }
    this.activityDone(activity.instanceId);
    this.notify(activity.instanceId);
  }

  private enqueueActivities(activities: ActivityRecord[]): void {
    for (const activity of activities) {
      this.activityQueue.push(activity);
      this.outstanding.set(activity.instanceId, (this.outstanding.get(activity.instanceId) ?? 0) + 1);
    }
  }

  private activityDone(instanceId: string): void {
    const left = (this.outstanding.get(instanceId) ?? 1) - 1;
    if (left > 0) {
      this.outstanding.set(instanceId, left);
      return;
    }
    this.outstanding.delete(instanceId);
    this.holdUntil.delete(instanceId);
  }

  private armHold(at: number): void {
    if (at >= this.holdTimerAt) return;
    clearTimeout(this.holdTimer);
    this.holdTimerAt = at;
    this.holdTimer = setTimeout(
      () => {
        this.holdTimerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private async runEntityEpisode(entityId: string): Promise<EpisodeRun> {
    const now = Date.now();
    const messages = this.store.visibleMessages(entityId, now);
    const run: EpisodeRun = { lastSeenId: messages.length > 0 ? messages[messages.length - 1].id : 0, unfinished: false };
    if (messages.length === 0) return run;
    const episode = new EntityEpisode(entityId, this.store.getEntity(entityId), messages, now);
    let result: EntityBatchResult | undefined;
    let failure: string | undefined;
    const fn = this.functions.entity(episode.name);
    if (episode.isEmpty) {
      // Nothing but stray messages: they are only consumed.
    } else if (!fn) {
      failure = `The entity function '${episode.name}' doesn't exist, is disabled, or is not an entity function.`;
      this.logger.error(`Operations on entity '${entityId}' failed: ${failure}`);
    } else {
      this.work.of(entityKind(fn.name)).episodes++;
      try {
        const response = await this.invoker.invoke(fn, {
          inputData: [{ name: fn.trigger.name, data: { string: episode.payload() } }],
          reason: `(Entity ${entityId})`,
        });
        result = JSON.parse(resultJson(response.returnValue)) as EntityBatchResult;
      } catch (thrown) {
        failure = messageOf(thrown);
      }
    }
    if (this.stopped) return run;
    const { write, notify } = episode.complete(result, failure);
    await this.store.commit(write);
    if (fn && !episode.isEmpty) {
      const work = this.work.of(entityKind(fn.name));
      work.entityOperations += episode.operations;
      work.eventsSent += result?.signals.length ?? 0;
    }
    for (const id of notify) this.ready.add(id);
    run.unfinished = episode.hasMore;
    return run;
  }

  private armWake(at: number | undefined): void {
    if (at === undefined || this.stopped || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    const delay = Math.min(Math.max(0, at - Date.now()), MAX_TIMER_DELAY_MS);
    this.wakeTimer = setTimeout(() => this.wake(), delay);
  }

  private wake(): void {
    this.wakeAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const now = Date.now();
    for (const instanceId of this.store.readyInstanceIds(now)) this.ready.add(instanceId);
    this.armWake(this.store.nextVisibleAt(now));
    this.pump();
  }
}

/** What an episode looked at: the newest message id it read, and whether it left work for another episode. */
interface EpisodeRun {
  lastSeenId: number;
  unfinished: boolean;
}
