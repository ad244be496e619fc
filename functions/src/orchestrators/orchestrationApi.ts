/**
 * Typed, replay-safe building blocks for the orchestrators.
 *
 * Two rules of durable-functions for JavaScript shape everything here:
 *
 * 1. A task may be put in a Task.any / Task.all once. A compound task carries its children's
 *    actions, and the out-of-process protocol has no task ids, so a task that was already
 *    scheduled and is put in a *new* compound is scheduled again (Azure/azure-functions-durable-js
 *    #574). Yielding an already scheduled task on its own is safe (it is marked as scheduled).
 *    So every Task.any here is built from fresh tasks only.
 *
 * 2. An external event goes to the newest *open* wait for its name, whether or not the
 *    orchestrator is still interested in that wait (a wait that lost a Task.any stays open). The
 *    EventInbox keeps every wait it created and hands out whatever any of them received, so an
 *    event that lands in a wait the code has moved past is still seen, not lost.
 */
import type { DurableOrchestrationContext, EntityId, OrchestrationContext, Task } from 'durable-functions';
import type { ActivityInput, ActivityName, ActivityResult } from '../activities/catalog';
import type { EntityName, OperationInput, OperationName } from '../entities/contracts';
import type { LogFields, LogLevel } from '../logging';
import { logEvent } from '../logging';

/** A piece of orchestrator code that yields durable tasks and returns T. */
export type Step<T> = Generator<Task, T, unknown>;

export function* callActivity<N extends ActivityName>(
  context: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
): Step<ActivityResult<N>> {
  return (yield context.df.callActivity(name, input)) as ActivityResult<N>;
}

/**
 * An activity scheduled without waiting for it: put the task in the next (fresh) Task.any, then
 * read it with `settledActivity` once it has completed; never put it in another compound.
 */
export function activityTask<N extends ActivityName>(context: OrchestrationContext, name: N, input: ActivityInput<N>): Task {
  return context.df.callActivity(name, input);
}

/** A task from activityTask: its result or error once completed, undefined while it runs. */
export function settledActivity<N extends ActivityName>(
  task: Task,
): { ok: true; value: ActivityResult<N> } | { ok: false; error: string } | undefined {
  if (task.isCompleted) return { ok: true, value: task.result as ActivityResult<N> };
  if (task.isFaulted) return { ok: false, error: task.result instanceof Error ? task.result.message : String(task.result) };
  return undefined;
}

/** The activity's result, or the error it failed with (never throws). */
export function* tryActivity<N extends ActivityName>(
  context: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
): Step<{ ok: true; value: ActivityResult<N> } | { ok: false; error: string }> {
  try {
    return { ok: true, value: yield* callActivity(context, name, input) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * An activity tried up to `attempts` times, waiting `firstDelaySeconds`, then twice that, … on a
 * durable timer between tries. Written out instead of callActivityWithRetry so that every step is
 * an ordinary action in the history.
 */
export function* activityWithRetry<N extends ActivityName>(
  context: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
  attempts: number,
  firstDelaySeconds: number,
): Step<{ ok: true; value: ActivityResult<N> } | { ok: false; error: string }> {
  let delay = firstDelaySeconds;
  for (let attempt = 1; ; attempt += 1) {
    const result = yield* tryActivity(context, name, input);
    if (result.ok || attempt >= attempts) return result;
    yield context.df.createTimer(after(context, delay));
    delay *= 2;
  }
}

export function* callEntity<E extends EntityName, O extends OperationName<E>, R>(
  context: OrchestrationContext,
  entity: EntityId & { name: E },
  operation: O,
  input?: OperationInput<E, O>,
): Step<R> {
  return (yield context.df.callEntity(entity, operation, input)) as R;
}

/** One operation on several entities at once (one fresh Task.all), each with its own input; their results in the calls' order. */
export function* callEntities<E extends EntityName, O extends OperationName<E>, R>(
  context: OrchestrationContext,
  operation: O,
  calls: readonly { entity: EntityId & { name: E }; input: OperationInput<E, O> }[],
): Step<R[]> {
  if (calls.length === 0) return [];
  return (yield context.df.Task.all(calls.map(({ entity, input }) => context.df.callEntity(entity, operation, input)))) as R[];
}

export function signalEntity<E extends EntityName, O extends OperationName<E>>(
  context: OrchestrationContext,
  entity: EntityId & { name: E },
  operation: O,
  input: OperationInput<E, O>,
): void {
  context.df.signalEntity(entity, operation, input);
}

export function* callSubOrchestrator<R>(context: OrchestrationContext, name: string, input: unknown, instanceId: string): Step<R> {
  return (yield context.df.callSubOrchestrator(name, input, instanceId)) as R;
}

/** Orchestration time, the only clock an orchestrator may read. */
export function now(context: OrchestrationContext): string {
  return context.df.currentUtcDateTime.toISOString();
}

export function after(context: OrchestrationContext, seconds: number): Date {
  return new Date(context.df.currentUtcDateTime.getTime() + Math.round(seconds * 1000));
}

/**
 * How far out a durable timer is ever set. Longer timers behave differently per backend and
 * durable-functions version (split into sub-timers, refused, or never started), so a longer wait
 * loops on timers of at most this.
 */
export const MAX_TIMER_SECONDS = 3 * 24 * 60 * 60;

/** A fresh timer for `at`, or MAX_TIMER_SECONDS from now if that is sooner: the caller wakes, looks and waits again. */
export function timerToward(context: OrchestrationContext, at: Date): Task {
  return context.df.createTimer(new Date(Math.min(at.getTime(), after(context, MAX_TIMER_SECONDS).getTime())));
}

/** Logs once, not on every replay. */
export function log(context: OrchestrationContext, level: LogLevel, event: string, fields: LogFields): void {
  if (!context.df.isReplaying) logEvent(context, level, event, fields);
}

/**
 * See rule 2 at the top of this module. Besides, an event that arrives while no wait is open
 * (the orchestrator is busy with an activity, say) is buffered by durable-functions and handed to
 * the next wait, one event per wait; `openWaits(open)` keeps that many waits open instead, so a burst
 * that arrived meanwhile is all taken at the next resume.
 */
export class EventInbox<T> {
  private created: Task[] = [];

  constructor(
    private readonly df: DurableOrchestrationContext,
    readonly eventName: string,
  ) {}

  /** A fresh wait for the next event; yield it (alone or in a fresh Task.any) right away. */
  next(): Task {
    const wait = this.df.waitForExternalEvent(this.eventName);
    this.created.push(wait);
    return wait;
  }

  /**
   * Fresh waits, at least one, so that `open` of this inbox's waits are open; yield them all in a
   * fresh Task.any right away. An event goes to the newest open wait, which is one of these.
   */
  openWaits(open: number): Task[] {
    const missing = open - this.created.filter((wait) => !wait.isCompleted).length;
    return Array.from({ length: Math.max(1, missing) }, () => this.next());
  }

  /** The payloads any wait of this inbox has received since the last take, each once. */
  take(): T[] {
    const received = this.created.filter((wait) => wait.isCompleted);
    if (received.length === 0) return [];
    this.created = this.created.filter((wait) => !wait.isCompleted);
    return received.map((wait) => wait.result as T);
  }
}
