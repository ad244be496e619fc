/**
 * Drives an orchestrator through durable-functions' own replay, the way the Durable extension
 * does: the orchestrator function (wrapped by durable-functions' createOrchestrator, exactly what
 * df.app.orchestration registers) gets the whole history and returns every action since the
 * execution started; the harness numbers the new ones (the SDK's sequence: every atomic action but
 * WaitForExternalEvent and ContinueAsNew takes the next id), writes them into the history
 * (TaskScheduled, SubOrchestrationInstanceCreated, TimerCreated, EventSent), and the test then
 * decides what happens next (an activity completes, a timer fires, an event arrives) and runs the
 * next episode.
 *
 * It also checks determinism: each replay must produce the same actions, in the same order, as
 * the episodes before it, or the run throws.
 *
 * History event types and action shapes: as the dev host's engine writes them
 * (local/host/durable/engine/historyEvents.ts, orchestratorActions.ts; durable-functions v3).
 */
import { InvocationContext } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';

// durable-functions has no typings for its testing utilities; the module is plain JS.
const testingUtils = require('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator: (handler: OrchestrationHandler) => (trigger: unknown, context: InvocationContext) => Promise<OrchestratorState>;
};

export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
} as const;

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
} as const;

interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

interface RawAction {
  actionType: number;
  functionName?: string;
  instanceId?: string;
  input?: unknown;
  fireAt?: string | Date;
  externalEventName?: string;
  operation?: string;
}

interface OrchestratorState {
  isDone: boolean;
  actions: RawAction[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
}

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
  private readonly run: (trigger: unknown, context: InvocationContext) => Promise<OrchestratorState>;
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
    this.run = testingUtils.createOrchestrator(handler);
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
    const started = this.event(EventType.OrchestratorStarted, {});
    const newEvents =
      this.history.length === 0
        ? [started, this.event(EventType.ExecutionStarted, { Name: 'orchestrator', Input: JSON.stringify(this.input) })]
        : [started, ...this.pendingEvents];
    this.pendingEvents = [];
    for (const event of this.history) event.IsPlayed = true;
    this.history.push(...newEvents);

    const trigger = {
      history: JSON.parse(JSON.stringify(this.history)) as unknown,
      input: this.input,
      instanceId: this.options.instanceId,
      isReplaying: false,
      parentInstanceId: this.options.parentInstanceId ?? null,
      upperSchemaVersion: 0,
      maximumShortTimerDuration: '6.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
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

    const actions = state.actions.flat();
    this.checkReplay(actions);
    const fresh: Scheduled[] = [];
    for (const action of actions.slice(this.processed)) {
      const scheduled = this.schedule(action);
      fresh.push(scheduled);
    }
    this.processed = actions.length;
    this.history.push(this.event(EventType.OrchestratorCompleted, {}));
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
    this.expect(action, 'activity');
    this.queue(EventType.TaskCompleted, { TaskScheduledId: action.id, Result: JSON.stringify(result ?? null) });
  }

  failActivity(action: Scheduled, message: string): void {
    this.expect(action, 'activity');
    this.queue(EventType.TaskFailed, { TaskScheduledId: action.id, Reason: message, Details: 'test failure' });
  }

  completeSubOrchestration(action: Scheduled, result: unknown): void {
    this.expect(action, 'subOrchestration');
    this.queue(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: action.id, Result: JSON.stringify(result ?? null) });
  }

  failSubOrchestration(action: Scheduled, message: string): void {
    this.expect(action, 'subOrchestration');
    this.queue(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: action.id, Reason: message, Details: 'test failure' });
  }

  /** Fires a timer; the clock moves to its fireAt (if that is later). */
  fireTimer(action: Scheduled): void {
    this.expect(action, 'timer');
    const fireAt = new Date(action.fireAt!);
    if (fireAt > this.now) this.now = fireAt;
    this.queue(EventType.TimerFired, { TimerId: action.id, FireAt: action.fireAt });
  }

  raiseEvent(name: string, payload: unknown): void {
    this.queue(EventType.EventRaised, { Name: name, Input: JSON.stringify(payload) });
  }

  /** The entity's answer to a callEntity. */
  respondEntity(action: Scheduled, result: unknown): void {
    this.expect(action, 'callEntity');
    this.queue(EventType.EventRaised, { Name: action.requestId, Input: JSON.stringify({ result: JSON.stringify(result ?? null) }) });
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

  private schedule(action: RawAction): Scheduled {
    const kind = kindOf(action);
    const numbered = kind !== 'waitForEvent' && kind !== 'continueAsNew';
    const id = numbered ? this.sequence++ : -1;
    const fireAt = action.fireAt === undefined ? undefined : new Date(action.fireAt).toISOString();
    const scheduled: Scheduled = {
      kind,
      id,
      name: action.functionName ?? action.operation ?? action.externalEventName ?? '',
      ...(action.instanceId === undefined ? {} : { instanceId: action.instanceId }),
      input:
        typeof action.input === 'string' && (kind === 'activity' || kind === 'continueAsNew') ? JSON.parse(action.input) : action.input,
      ...(fireAt === undefined ? {} : { fireAt }),
      execution: this.execution,
      episode: this.episode,
      done: kind === 'signalEntity' || kind === 'waitForEvent' || kind === 'continueAsNew',
    };
    switch (kind) {
      case 'activity':
        this.history.push(
          this.event(EventType.TaskScheduled, { EventId: id, Name: scheduled.name, Input: JSON.stringify(action.input ?? null) }),
        );
        break;
      case 'subOrchestration':
        this.history.push(
          this.event(EventType.SubOrchestrationInstanceCreated, {
            EventId: id,
            Name: scheduled.name,
            InstanceId: action.instanceId,
            Input: JSON.stringify(action.input ?? null),
          }),
        );
        break;
      case 'timer':
        this.history.push(this.event(EventType.TimerCreated, { EventId: id, FireAt: fireAt }));
        break;
      case 'callEntity':
      case 'signalEntity': {
        const requestId = `request-${this.execution}-${id}`;
        if (kind === 'callEntity') scheduled.requestId = requestId;
        const message = {
          id: requestId,
          op: action.operation,
          signal: kind === 'signalEntity',
          input: JSON.stringify(action.input ?? null),
        };
        this.history.push(
          this.event(EventType.EventSent, { EventId: id, InstanceId: action.instanceId, Name: 'op', Input: JSON.stringify(message) }),
        );
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

  private checkReplay(actions: RawAction[]): void {
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

  private queue(type: number, fields: Record<string, unknown>): void {
    this.pendingEvents.push(this.event(type, fields));
  }

  private event(type: number, fields: Record<string, unknown>): HistoryEvent {
    return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: this.now.toISOString(), ...fields };
  }
}

function kindOf(action: RawAction): ActionKind {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return 'activity';
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return 'subOrchestration';
    case ActionType.CreateTimer:
      return 'timer';
    case ActionType.CallEntity:
      return 'callEntity';
    case ActionType.SignalEntity:
      return 'signalEntity';
    case ActionType.WaitForExternalEvent:
      return 'waitForEvent';
    case ActionType.ContinueAsNew:
      return 'continueAsNew';
    default:
      throw new Error(`the harness does not support action type ${action.actionType}`);
  }
}
