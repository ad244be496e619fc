/**
 * Drives an orchestrator through durable-functions' own replay, the way the Durable extension
 * does: the orchestrator function (as df.app.orchestration registers it) gets the trigger payload
 * the dev host's engine builds, with the whole history, and returns every action since the
 * execution started; the harness numbers the new ones by the protocol's rule, writes them into the
 * history (TaskScheduled, SubOrchestrationInstanceCreated, TimerCreated, EventSent), and the test
 * then decides what happens next (an activity completes, a timer fires, an event arrives) and runs
 * the next episode.
 *
 * It also checks determinism: each replay must produce the same actions, in the same order, as
 * the episodes before it, or the run throws.
 */
import { InvocationContext } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { entityRequestOf, entityRequestSentEvent, entityResponseEvent } from '../../../local/host/durable/protocol/entities';
import * as events from '../../../local/host/durable/protocol/historyEvents';
import type { HistoryEvent, TaskKind } from '../../../local/host/durable/protocol/historyEvents';
import { orchestrationTriggerPayload } from '../../../local/host/durable/protocol/orchestrationTrigger';
import type { OrchestratorAction, OrchestratorState } from '../../../local/host/durable/protocol/orchestratorActions';
import * as orchestratorActions from '../../../local/host/durable/protocol/orchestratorActions';
import { orchestratorFunction, type OrchestratorFunction } from './durableFunctions';

export type ActionKind = 'activity' | 'subOrchestration' | 'timer' | 'callEntity' | 'signalEntity' | 'waitForEvent' | 'continueAsNew';

/** An action the orchestrator took, with the id the history knows it by. */
export interface Scheduled {
  kind: ActionKind;
  /** Sequence id; -1 for waits and continue-as-new. */
  id: number;
  /** Activity or orchestration name, event name, or entity operation. */
  name: string;
  /** Sub-orchestration instance id, or the entity id `@name@key`. */
  instanceId?: string;
  input: unknown;
  fireAt?: string;
  /** Which execution (0 = first, +1 per continue-as-new) and episode scheduled it. */
  execution: number;
  episode: number;
  done: boolean;
  /** CallEntity only: the request id the response event is named after. */
  requestId?: string;
}

export interface HarnessOptions {
  instanceId: string;
  input: unknown;
  parentInstanceId?: string;
  /** Orchestration time at the start; default 2025-01-01T00:00:00Z. */
  start?: Date;
  /** Compare action inputs across replays (JSON); off for very large inputs. Default true. */
  checkInputs?: boolean;
}

export class OrchestrationHarness {
  private readonly run: OrchestratorFunction;
  private history: HistoryEvent[] = [];
  private pendingEvents: HistoryEvent[] = [];
  private input: unknown;
  private sequence = 0;
  private processed = 0;
  private executionActions: Scheduled[] = [];
  private readonly checkInputs: boolean;

  /** Every action of every execution, in order. */
  readonly scheduled: Scheduled[] = [];
  /** Log lines the orchestrator wrote (context.log/warn/error). */
  readonly logs: string[] = [];
  now: Date;
  execution = 0;
  episode = 0;
  /** The largest history (events) any execution reached. */
  maxHistory = 0;
  /** Total replays so far. */
  replays = 0;
  last: OrchestratorState | undefined;
  failure: string | undefined;
  /** Set when the last episode continued as new; call nextExecution() to go on. */
  continuedWith: unknown;

  constructor(
    handler: OrchestrationHandler,
    private readonly options: HarnessOptions,
  ) {
    this.run = orchestratorFunction(handler);
    this.now = new Date(options.start ?? '2025-01-01T00:00:00Z');
    this.input = JSON.parse(JSON.stringify(options.input ?? null));
    this.checkInputs = options.checkInputs ?? true;
  }

  get isDone(): boolean {
    return this.last?.isDone === true && this.continuedWith === undefined;
  }

  get output(): unknown {
    return this.last?.output;
  }

  get customStatus(): unknown {
    return this.last?.customStatus;
  }

  get historyLength(): number {
    return this.history.length;
  }

  /** Runs one episode: the first one, or one with the events queued since the last. Returns the new actions. */
  async step(): Promise<Scheduled[]> {
    if (this.failure !== undefined) throw new Error(`the orchestration failed: ${this.failure}`);
    if (this.continuedWith !== undefined) throw new Error('the orchestration continued as new: call nextExecution()');
    const started = this.event(events.EventType.OrchestratorStarted);
    const newEvents =
      this.history.length === 0
        ? [started, this.event(events.EventType.ExecutionStarted, { Name: 'orchestrator', Input: JSON.stringify(this.input) })]
        : [started, ...this.pendingEvents];
    this.pendingEvents = [];
    for (const event of this.history) event.IsPlayed = true;
    this.history.push(...newEvents);

    const payload = orchestrationTriggerPayload({
      history: this.history.map((event) => JSON.stringify(event)),
      input: JSON.stringify(this.input),
      instanceId: this.options.instanceId,
      parentInstanceId: this.options.parentInstanceId ?? null,
    });
    // As @azure/functions hands a string trigger to the handler: parsed.
    const trigger = JSON.parse(payload) as unknown;
    const context = new InvocationContext({
      invocationId: `episode-${this.replays}`,
      functionName: 'orchestrator',
      logHandler: (_level, ...args) => this.logs.push(args.map(String).join(' ')),
    });
    this.replays += 1;
    let state: OrchestratorState;
    try {
      state = await this.run(trigger, context);
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
      throw error;
    }
    this.last = state;

    const actions = orchestratorActions.topLevelActions(state).flatMap(orchestratorActions.atomicActions);
    this.checkReplay(actions);
    const fresh: Scheduled[] = [];
    for (const action of actions.slice(this.processed)) {
      const scheduled = this.schedule(action);
      fresh.push(scheduled);
    }
    this.processed = actions.length;
    this.history.push(this.event(events.EventType.OrchestratorCompleted));
    this.maxHistory = Math.max(this.maxHistory, this.history.length);
    this.episode += 1;
    const continued = fresh.find((action) => action.kind === 'continueAsNew');
    if (state.isDone && continued !== undefined) this.continuedWith = continued.input;
    return fresh;
  }

  /** Starts the next execution with the continue-as-new input (a fresh history, as Durable does). */
  nextExecution(): void {
    if (this.continuedWith === undefined) throw new Error('the orchestration did not continue as new');
    this.input = JSON.parse(JSON.stringify(this.continuedWith)) as unknown;
    this.continuedWith = undefined;
    this.history = [];
    this.pendingEvents = [];
    this.sequence = 0;
    this.processed = 0;
    this.executionActions = [];
    this.execution += 1;
  }

  // ---- what happens next -------------------------------------------------------------------------

  completeActivity(action: Scheduled, result: unknown): void {
    this.complete(action, 'activity', result);
  }

  failActivity(action: Scheduled, message: string): void {
    this.fail(action, 'activity', message);
  }

  completeSubOrchestration(action: Scheduled, result: unknown): void {
    this.complete(action, 'subOrchestration', result);
  }

  failSubOrchestration(action: Scheduled, message: string): void {
    this.fail(action, 'subOrchestration', message);
  }

  /** Fires a timer; the clock moves to its fireAt (if that is later). */
  fireTimer(action: Scheduled): void {
    this.expect(action, 'timer');
    const fireAt = new Date(action.fireAt!);
    if (fireAt > this.now) this.now = fireAt;
    this.pendingEvents.push(events.timerFiredEvent(action.id, fireAt.getTime()));
  }

  raiseEvent(name: string, payload: unknown): void {
    this.pendingEvents.push(events.eventRaisedEvent(name, JSON.stringify(payload), this.now.getTime()));
  }

  /** The entity's answer to a callEntity. */
  respondEntity(action: Scheduled, result: unknown): void {
    this.expect(action, 'callEntity');
    this.pendingEvents.push(entityResponseEvent(action.requestId!, { result: JSON.stringify(result ?? null) }, this.now.getTime()));
  }

  advance(milliseconds: number): void {
    this.now = new Date(this.now.getTime() + milliseconds);
  }

  // ---- queries -----------------------------------------------------------------------------------

  /** Actions of the current execution that have not been answered yet. */
  open(kind?: ActionKind, name?: string): Scheduled[] {
    return this.executionActions.filter(
      (action) =>
        !action.done &&
        action.kind !== 'signalEntity' &&
        action.kind !== 'waitForEvent' &&
        (kind === undefined || action.kind === kind) &&
        (name === undefined || action.name === name),
    );
  }

  /** The single open action of that kind (and name); fails the test when there is none or several. */
  only(kind: ActionKind, name?: string): Scheduled {
    const found = this.open(kind, name);
    if (found.length !== 1) {
      throw new Error(
        `expected one open ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${JSON.stringify(this.open().map((a) => `${a.kind}:${a.name}`))}`,
      );
    }
    return found[0];
  }

  /** Events of the current execution's history of this type (EventType) and, if given, name (activity, event). */
  historyCount(type: number, name?: string): number {
    return this.history.filter((event) => event.EventType === type && (name === undefined || event.Name === name)).length;
  }

  signals(operation?: string, entityName?: string): Scheduled[] {
    return this.scheduled.filter(
      (action) =>
        action.kind === 'signalEntity' &&
        (operation === undefined || action.name === operation) &&
        (entityName === undefined || action.instanceId?.startsWith(`@${entityName.toLowerCase()}@`) === true),
    );
  }

  // ---- internals ---------------------------------------------------------------------------------

  private schedule(action: OrchestratorAction): Scheduled {
    const kind = kindOf(action);
    const id = orchestratorActions.takesEventId(action) ? this.sequence++ : -1;
    // The action object itself, not its JSON: a timer's fireAt is still a Date.
    const fireAt = action.fireAt === undefined ? undefined : new Date(action.fireAt as string | Date).getTime();
    const processedInput = kind === 'activity' || kind === 'continueAsNew';
    const scheduled: Scheduled = {
      kind,
      id,
      name: action.functionName ?? action.operation ?? action.externalEventName ?? '',
      ...(action.instanceId === undefined ? {} : { instanceId: action.instanceId }),
      input:
        processedInput && action.input !== undefined
          ? events.fromJsonText(orchestratorActions.processedInputText(action.input))
          : action.input,
      ...(fireAt === undefined ? {} : { fireAt: new Date(fireAt).toISOString() }),
      execution: this.execution,
      episode: this.episode,
      done: kind === 'signalEntity' || kind === 'waitForEvent' || kind === 'continueAsNew',
    };
    const at = this.now.getTime();
    switch (kind) {
      case 'activity':
        this.history.push(events.taskScheduledEvent(id, scheduled.name, orchestratorActions.processedInputText(action.input), at));
        break;
      case 'subOrchestration':
        this.history.push(
          events.subOrchestrationCreatedEvent(id, scheduled.name, action.instanceId, JSON.stringify(action.input ?? null), at),
        );
        break;
      case 'timer':
        this.history.push(events.timerCreatedEvent(id, fireAt!, at));
        break;
      case 'callEntity':
      case 'signalEntity': {
        const request = entityRequestOf(action, `request-${this.execution}-${id}`, this.caller, at);
        if (kind === 'callEntity') scheduled.requestId = request.id;
        this.history.push(entityRequestSentEvent(id, action.instanceId ?? '', request, at));
        break;
      }
      case 'waitForEvent':
      case 'continueAsNew':
        break;
    }
    this.scheduled.push(scheduled);
    this.executionActions.push(scheduled);
    return scheduled;
  }

  private checkReplay(actions: OrchestratorAction[]): void {
    const known = this.executionActions;
    for (let i = 0; i < Math.min(known.length, actions.length); i += 1) {
      const before = known[i];
      const now = actions[i];
      const same =
        kindOf(now) === before.kind &&
        (now.functionName ?? now.operation ?? now.externalEventName ?? '') === before.name &&
        (now.instanceId === undefined || now.instanceId === before.instanceId) &&
        (!this.checkInputs ||
          before.kind === 'activity' ||
          JSON.stringify(now.input ?? null).length > 20_000 ||
          JSON.stringify(now.input ?? null) === JSON.stringify(before.input ?? null));
      if (!same) {
        throw new Error(
          `non-deterministic replay at action ${i}: was ${before.kind} ${before.name}, now ${kindOf(now)} ${now.functionName ?? now.operation ?? ''}`,
        );
      }
    }
    if (actions.length < this.processed) throw new Error(`non-deterministic replay: ${actions.length} actions, ${this.processed} before`);
  }

  private expect(action: Scheduled, kind: ActionKind): void {
    if (action.kind !== kind) throw new Error(`${action.kind} ${action.name} is not a ${kind}`);
    if (action.execution !== this.execution) throw new Error(`${action.kind} ${action.name} belongs to an earlier execution`);
    if (action.done) throw new Error(`${action.kind} ${action.name} (${action.id}) was answered already`);
    action.done = true;
  }

  private complete(action: Scheduled, kind: TaskKind, result: unknown): void {
    this.expect(action, kind);
    this.pendingEvents.push(events.taskCompletedEvent(kind, action.id, JSON.stringify(result ?? null), this.now.getTime()));
  }

  /** A failure as Reason and Details only, which durable-functions hands the orchestrator as Error(`${Reason} \n ${Details}`). */
  private fail(action: Scheduled, kind: TaskKind, message: string): void {
    this.expect(action, kind);
    const details = { ErrorType: 'Error', ErrorMessage: message, StackTrace: 'test failure' };
    this.pendingEvents.push(events.taskFailedEvent(kind, action.id, details, this.now.getTime(), { reasonOnly: true }));
  }

  /** The orchestration an entity call answers: this instance, in the current execution. */
  private get caller(): { instanceId: string; executionId: string } {
    return { instanceId: this.options.instanceId, executionId: `execution-${this.execution}` };
  }

  private event(type: events.EventType, fields: Partial<HistoryEvent> = {}): HistoryEvent {
    return events.historyEvent(type, fields, this.now.getTime());
  }
}

/** What the harness calls each kind of action it supports. */
const KIND_OF: Partial<Record<orchestratorActions.ActionType, ActionKind>> = {
  [orchestratorActions.ActionType.CallActivity]: 'activity',
  [orchestratorActions.ActionType.CallActivityWithRetry]: 'activity',
  [orchestratorActions.ActionType.CallSubOrchestrator]: 'subOrchestration',
  [orchestratorActions.ActionType.CallSubOrchestratorWithRetry]: 'subOrchestration',
  [orchestratorActions.ActionType.CreateTimer]: 'timer',
  [orchestratorActions.ActionType.CallEntity]: 'callEntity',
  [orchestratorActions.ActionType.SignalEntity]: 'signalEntity',
  [orchestratorActions.ActionType.WaitForExternalEvent]: 'waitForEvent',
  [orchestratorActions.ActionType.ContinueAsNew]: 'continueAsNew',
};

function kindOf(action: OrchestratorAction): ActionKind {
  const kind = KIND_OF[action.actionType];
  if (kind === undefined) throw new Error(`the harness does not support action type ${action.actionType}`);
  return kind;
}
