/**
 * What the task hub did for one kind of instance: an orchestrator function (by its name) or an
 * entity (`@` + its name). The messages an episode takes and the work it schedules are counted once
 * its write has committed (an episode retried after a storage error counts once); episodes when the
 * function is invoked.
 */
export interface DurableWork {
  /** Orchestrator or entity function invocations (each replays the whole history, or runs a batch of operations). */
  episodes: number;
  /** Executions begun: started by a client, as a sub-orchestration, or anew by continue-as-new. */
  executionsStarted: number;
  continuedAsNew: number;
  activitiesScheduled: number;
  /** Activity results the orchestration took (a result for an execution that has ended is dropped, not counted). */
  activitiesCompleted: number;
  activitiesFailed: number;
  timersCreated: number;
  timersFired: number;
  subOrchestrationsStarted: number;
  subOrchestrationsCompleted: number;
  subOrchestrationsFailed: number;
  /** External events delivered (a client's raiseEvent; durable-functions has no orchestration-to-orchestration sendEvent). */
  eventsRaised: number;
  /** Signals and calls sent to entities: an orchestration's, or an entity's own signals. */
  eventsSent: number;
  /** Responses to this orchestration's entity calls. */
  entityCallResults: number;
  /** Operations an entity function ran (signals and calls). */
  entityOperations: number;
  /** Suspend, resume and terminate requests taken by a running instance. */
  controlRequests: number;
}

export type DurableWorkWithActions = DurableWork & { billableActions: number };

export interface DurableWorkReport {
  /** When counting began (host start or the last reset), ISO 8601. */
  since: string;
  byKind: Record<string, DurableWorkWithActions>;
  totals: DurableWorkWithActions;
  billableActions: number;
}

export function emptyWork(): DurableWork {
  return {
    episodes: 0,
    executionsStarted: 0,
    continuedAsNew: 0,
    activitiesScheduled: 0,
    activitiesCompleted: 0,
    activitiesFailed: 0,
    timersCreated: 0,
    timersFired: 0,
    subOrchestrationsStarted: 0,
    subOrchestrationsCompleted: 0,
    subOrchestrationsFailed: 0,
    eventsRaised: 0,
    eventsSent: 0,
    entityCallResults: 0,
    entityOperations: 0,
    controlRequests: 0,
  };
}

const FIELDS = Object.keys(emptyWork()) as (keyof DurableWork)[];

/** The kind an entity's work is counted under: `@` + its name, as entity instance ids begin. */
export function entityKind(name: string): string {
  return `@${name}`;
}

/**
 * Actions as the Durable Task Scheduler bills them: "a message dispatched by the Durable Task
 * Scheduler to your application, triggering the execution of an orchestrator, activity, or entity
 * function" — starting an orchestration or sub-orchestration, starting an activity, completing a
 * timer, triggering an external event, executing an entity operation, pausing, resuming or
 * terminating an orchestration, and processing the result of an activity, entity call or
 * sub-orchestration; an orchestration calling three activities is 1 + 3 × 2 = 7
 * (https://learn.microsoft.com/azure/durable-task/scheduler/durable-task-scheduler-billing, "What is an action?").
 * Where the page is not explicit, assumed: an activity's start counts when it is scheduled; every
 * message counts, also when several reach an orchestration in one episode (as the per-activity rule
 * implies); continue-as-new starts an orchestration (its new execution is dispatched like a start);
 * a timer counts once, when it fires (an earlier version of the page billed timers and raised
 * events like activities, 2 each; the current one lists them once); a signal counts as the
 * operation it executes, a call adds its result; creating a timer, sending a signal or starting a
 * sub-orchestration dispatches nothing to the sender. (The page's Consumption example gives the
 * three-activity "Hello City" 3 actions, against its own rule and 7-action example; the rule is
 * followed.)
 */
export function billableActions(work: DurableWork): number {
  return (
    work.executionsStarted +
    work.activitiesScheduled +
    work.activitiesCompleted +
    work.activitiesFailed +
    work.timersFired +
    work.eventsRaised +
    work.entityOperations +
    work.entityCallResults +
    work.subOrchestrationsCompleted +
    work.subOrchestrationsFailed +
    work.controlRequests
  );
}

/** The engine's counters, in memory only (plain increments where it handles each thing; nothing is stored). */
export class DurableWorkCounters {
  private since = Date.now();
  private readonly kinds = new Map<string, DurableWork>();

  /** The counters of one kind, to increment. */
  of(kind: string): DurableWork {
    let work = this.kinds.get(kind);
    if (!work) this.kinds.set(kind, (work = emptyWork()));
    return work;
  }

  /** Adds an episode's counts (a kind appears once something was counted for it). */
  add(kind: string, work: DurableWork): void {
    let into = this.kinds.get(kind);
    for (const field of FIELDS) {
      if (work[field] === 0) continue;
      into ??= this.of(kind);
      into[field] += work[field];
    }
  }

  reset(): void {
    this.kinds.clear();
    this.since = Date.now();
  }

  report(): DurableWorkReport {
    const totals = emptyWork();
    const byKind: Record<string, DurableWorkWithActions> = {};
    for (const [kind, work] of [...this.kinds].sort(([a], [b]) => a.localeCompare(b))) {
      byKind[kind] = withActions(work);
      for (const field of FIELDS) totals[field] += work[field];
    }
    const total = withActions(totals);
    return { since: new Date(this.since).toISOString(), byKind, totals: total, billableActions: total.billableActions };
  }

  /** One line for the log. */
  summary(): string {
    const { since, byKind, totals } = this.report();
    const kinds = Object.entries(byKind).map(([kind, work]) => `${kind} ${work.billableActions}`);
    return (
      `Durable work since ${since}: ${totals.billableActions} billable actions${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}; ` +
      `${totals.episodes} episodes, ${totals.activitiesScheduled} activities, ${totals.timersCreated} timers, ` +
      `${totals.eventsRaised} events raised, ${totals.eventsSent} sent, ${totals.entityOperations} entity operations.`
    );
  }
}

function withActions(work: DurableWork): DurableWorkWithActions {
  return { ...work, billableActions: billableActions(work) };
}
