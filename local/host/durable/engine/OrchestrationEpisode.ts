import { randomUUID } from 'node:crypto';
import {
  isTerminal,
  pendingInstance,
  type ActivityRecord,
  type InstanceRecord,
  type MessageRecord,
  type NewMessage,
  type StoreWrite,
} from '../persistence/records';
import { emptyWork, type DurableWork } from './DurableWorkCounters';
import { entityRequestOf, entityRequestSentEvent } from '../protocol/entities';
import { hostFailure } from '../protocol/failureDetails';
import {
  EventType,
  historyEvent,
  subOrchestrationCreatedEvent,
  taskCompletedEvent,
  taskFailedEvent,
  taskScheduledEvent,
  timerCreatedEvent,
  timerFiredEvent,
  type HistoryEvent,
} from '../protocol/historyEvents';
import type { FailureDetails } from '../protocol/failureDetails';
import { orchestrationTriggerPayload } from '../protocol/orchestrationTrigger';
import {
  ActionType,
  atomicActions,
  processedInputText,
  takesEventId,
  topLevelActions,
  type OrchestratorAction,
  type OrchestratorState,
} from '../protocol/orchestratorActions';
import { parseInboxMessage, type InboxMessage } from './inboxMessages';
import { attemptsRemain, retryDelayMs, type RetryState } from './retryPolicy';

/** The counter each delivered history event adds to (an EventRaised answering an entity call counts as its result). */
const DELIVERED_COUNTER: Partial<Record<EventType, keyof DurableWork>> = {
  [EventType.ExecutionStarted]: 'executionsStarted',
  [EventType.TaskCompleted]: 'activitiesCompleted',
  [EventType.TaskFailed]: 'activitiesFailed',
  [EventType.TimerFired]: 'timersFired',
  [EventType.SubOrchestrationInstanceCompleted]: 'subOrchestrationsCompleted',
  [EventType.SubOrchestrationInstanceFailed]: 'subOrchestrationsFailed',
  [EventType.EventRaised]: 'eventsRaised',
};

/** What the orchestrator function did in this episode. */
export type EpisodeOutcome =
  | { kind: 'state'; state: OrchestratorState }
  | { kind: 'failed'; message: string; state?: OrchestratorState & { failureDetails?: FailureDetails } };

export interface EpisodeInput {
  now: number;
  instance: InstanceRecord;
  /** Stored events of the current execution, as JSON text. */
  history: string[];
  messages: MessageRecord[];
  /** Retry states by pending task/timer id (JSON text). */
  retries: Map<number, string>;
  /** Another instance's record, to start sub-orchestrations safely. */
  lookupInstance(instanceId: string): InstanceRecord | undefined;
  /** The registered orchestrator's name for a (case-insensitive) name, if it runs here. */
  orchestratorName(name: string): string | undefined;
}

/** What to do once the episode's write has committed. */
export interface EpisodeEffects {
  write: StoreWrite;
  activities: ActivityRecord[];
  /** Instances that got a message visible now. */
  notify: string[];
  /** Times at which messages written now become visible. */
  wakeAt: number[];
  /** Events appended to the current execution's history (JSON), or the new history after continue-as-new. */
  history: { reset: boolean; events: string[] };
  /** What the episode took and scheduled, for the work counters once the write has committed. */
  work: DurableWork;
}

/**
 * One orchestration episode, as the Durable Task framework runs it: new messages become history
 * events after an OrchestratorStarted event, the orchestrator replays the whole history, and the
 * actions it returns that are new become scheduled tasks, timers, sub-orchestrations and messages,
 * each with the id durable-functions gives it (the next sequence number, in action order).
 */
export class OrchestrationEpisode {
  private readonly instance: InstanceRecord;
  private readonly now: number;
  /** Messages this episode takes out of the inbox. */
  private readonly consumed: number[] = [];
  /** Events to append before the OrchestratorStarted event (suspend, resume, terminate). */
  private readonly controlEvents: HistoryEvent[] = [];
  /** New events for the orchestrator, in the order it will see them. */
  private readonly newEvents: HistoryEvent[] = [];
  private terminateReason?: string;
  private readonly retryStates = new Map<number, RetryState>();
  /** Events that answer this orchestration's entity calls. */
  private readonly entityResponses = new Set<HistoryEvent>();
  private readonly work = emptyWork();

  constructor(private readonly input: EpisodeInput) {
    this.instance = { ...input.instance };
    this.now = input.now;
    for (const [pendingId, state] of input.retries) this.retryStates.set(pendingId, JSON.parse(state) as RetryState);
    this.takeMessages();
  }

  /** True when the orchestrator must run (there are new events for it). */
  get needsOrchestrator(): boolean {
    return this.terminateReason === undefined && this.newEvents.length > 0 && !isTerminal(this.instance.runtimeStatus);
  }

  /** The orchestration trigger's payload (JSON text) for this episode. */
  payload(): string {
    const started = historyEvent(EventType.OrchestratorStarted, {}, this.now);
    const fresh = [started, ...this.newEvents].map((event) => JSON.stringify(event));
    const { instance } = this;
    return orchestrationTriggerPayload({
      history: [...this.input.history, ...fresh],
      input: instance.input,
      instanceId: instance.instanceId,
      parentInstanceId: instance.parentInstanceId,
    });
  }

  /** Turns the episode (and the orchestrator's outcome, when it ran) into one write. */
  complete(outcome?: EpisodeOutcome): EpisodeEffects {
    const effects: EpisodeEffects = {
      write: {},
      activities: [],
      notify: [],
      wakeAt: [],
      history: { reset: false, events: [] },
      work: this.work,
    };
    const appended: HistoryEvent[] = [...this.controlEvents];
    const messages: NewMessage[] = [];
    const write = effects.write;
    write.deleteMessages = this.consumed;
    const instance = this.instance;
    instance.lastUpdatedAt = this.now;

    if (isTerminal(instance.runtimeStatus)) {
      // Leftovers for a finished instance (late results, events): consumed and dropped.
      write.upsertInstances = [];
      return effects;
    }
    if (this.terminateReason !== undefined) {
      appended.push(historyEvent(EventType.ExecutionTerminated, { Input: JSON.stringify(this.terminateReason) }, this.now));
      this.finish('Terminated', JSON.stringify(this.terminateReason), write, messages, {
        ErrorType: 'TerminatedError',
        ErrorMessage: `The orchestration '${instance.instanceId}' was terminated: ${this.terminateReason}`,
      });
    } else if (outcome) {
      this.countDelivered();
      appended.push(historyEvent(EventType.OrchestratorStarted, {}, this.now), ...this.newEvents);
      if (instance.runtimeStatus === 'Pending') instance.runtimeStatus = 'Running';
      const state = outcome.state;
      if (state && state.customStatus !== undefined) instance.customStatus = JSON.stringify(state.customStatus);
      if (outcome.kind === 'failed') {
        this.scheduleActions(state, appended, messages, effects, true);
        const message = `Orchestrator function '${instance.name}' failed: ${outcome.message}`;
        const details: FailureDetails = { ...(outcome.state?.failureDetails ?? { ErrorType: 'Error' }), ErrorMessage: outcome.message };
        appended.push(historyEvent(EventType.OrchestratorCompleted, {}, this.now));
        appended.push(
          historyEvent(
            EventType.ExecutionCompleted,
            { OrchestrationStatus: 'Failed', Result: JSON.stringify(message), FailureDetails: details },
            this.now,
          ),
        );
        this.finish('Failed', JSON.stringify(message), write, messages, details);
      } else {
        const continueAsNew = topLevelActions(outcome.state).find((a) => a.actionType === ActionType.ContinueAsNew);
        const done = outcome.state.isDone;
        this.applyRetrySteps(appended, messages, effects, done);
        this.scheduleActions(outcome.state, appended, messages, effects, done);
        appended.push(historyEvent(EventType.OrchestratorCompleted, {}, this.now));
        if (done && continueAsNew) {
          this.continueAsNew(continueAsNew, write, messages, effects);
          write.addMessages = messages;
          return this.withVisibility(effects, messages);
        }
        if (done) {
          const output = JSON.stringify(outcome.state.output ?? null);
          appended.push(historyEvent(EventType.ExecutionCompleted, { OrchestrationStatus: 'Completed', Result: output }, this.now));
          this.finish('Completed', output, write, messages);
        }
      }
    }
    // Stored events are "played" for every later episode.
    effects.history.events = appended.map((event) => JSON.stringify({ ...event, IsPlayed: true }));
    write.appendHistory = [{ instanceId: instance.instanceId, fromSeq: instance.historyLength, events: effects.history.events }];
    instance.historyLength += appended.length;
    write.upsertInstances = [instance, ...(write.upsertInstances ?? [])];
    write.addMessages = messages;
    return this.withVisibility(effects, messages);
  }

  private takeMessages(): void {
    const { instance } = this;
    let suspended = instance.runtimeStatus === 'Suspended';
    const events: HistoryEvent[] = [];
    /** Events that arrived while suspended: delivered if a resume follows, else left in the inbox. */
    let held: { id: number; event: HistoryEvent }[] = [];
    for (const message of this.input.messages) {
      if (message.executionId !== null && message.executionId !== instance.executionId) {
        this.consumed.push(message.id);
        continue;
      }
      const body: InboxMessage = parseInboxMessage(message.body);
      if (isTerminal(instance.runtimeStatus) || this.terminateReason !== undefined) {
        this.consumed.push(message.id);
        continue;
      }
      switch (body.kind) {
        case 'terminate':
          this.terminateReason = body.reason;
          this.consumed.push(message.id);
          this.work.controlRequests++;
          break;
        case 'suspend':
          this.consumed.push(message.id);
          this.work.controlRequests++;
          if (!suspended && instance.runtimeStatus !== 'Pending') {
            suspended = true;
            this.controlEvents.push(historyEvent(EventType.ExecutionSuspended, { Reason: body.reason }, this.now));
          }
          break;
        case 'resume':
          this.consumed.push(message.id);
          this.work.controlRequests++;
          if (suspended) {
            suspended = false;
            this.controlEvents.push(historyEvent(EventType.ExecutionResumed, { Reason: body.reason }, this.now));
            for (const { id, event } of held) {
              this.consumed.push(id);
              events.push(event);
            }
            held = [];
          }
          break;
        case 'event':
          if (body.entityResponse) this.entityResponses.add(body.event);
          if (suspended) {
            held.push({ id: message.id, event: body.event });
            break;
          }
          this.consumed.push(message.id);
          events.push(body.event);
          break;
        case 'entityOperation':
          this.consumed.push(message.id);
          break;
      }
    }
    if (instance.runtimeStatus !== 'Pending' && instance.runtimeStatus !== 'Running' && instance.runtimeStatus !== 'Suspended') return;
    instance.runtimeStatus = suspended ? 'Suspended' : instance.runtimeStatus === 'Suspended' ? 'Running' : instance.runtimeStatus;
    // ExecutionStarted first; then the events that make durable-functions number a retry step, so
    // those numbers come before any the orchestrator gives to actions it schedules after resuming.
    const started = events.filter((e) => e.EventType === EventType.ExecutionStarted);
    const retrySteps = events.filter((e) => e.EventType !== EventType.ExecutionStarted && this.allocatesRetryId(e));
    const rest = events.filter((e) => e.EventType !== EventType.ExecutionStarted && !this.allocatesRetryId(e));
    this.newEvents.push(...started, ...retrySteps, ...rest);
  }

  /** Counts the messages the orchestrator is handed in this episode by what they bring. */
  private countDelivered(): void {
    const work = this.work;
    for (const event of this.newEvents) {
      const field =
        event.EventType === EventType.EventRaised && this.entityResponses.has(event)
          ? 'entityCallResults'
          : DELIVERED_COUNTER[event.EventType];
      if (field !== undefined) work[field]++;
    }
  }

  /** A failed attempt (a retry timer follows) or a retry timer with attempts left (an attempt follows). */
  private allocatesRetryId(event: HistoryEvent): boolean {
    if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
      return this.retryStates.get(event.TaskScheduledId ?? -1)?.phase === 'attempt';
    }
    if (event.EventType === EventType.TimerFired) {
      const state = this.retryStates.get(event.TimerId ?? -1);
      return state?.phase === 'timer' && attemptsRemain(state);
    }
    return false;
  }

  /** Retry bookkeeping for this episode's new events, numbering steps as durable-functions does. */
  private applyRetrySteps(appended: HistoryEvent[], messages: NewMessage[], effects: EpisodeEffects, done: boolean): void {
    const write = effects.write;
    write.deleteRetries ??= [];
    write.putRetries ??= [];
    const { instanceId, executionId } = this.instance;
    for (const event of this.newEvents) {
      const pendingId = event.TaskScheduledId ?? event.TimerId;
      if (pendingId === undefined) continue;
      const state = this.retryStates.get(pendingId);
      if (!state) continue;
      const failed = event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed;
      const succeeded = event.EventType === EventType.TaskCompleted || event.EventType === EventType.SubOrchestrationInstanceCompleted;
      const timerFired = event.EventType === EventType.TimerFired && state.phase === 'timer';
      if (!failed && !succeeded && !timerFired) continue;
      write.deleteRetries.push({ instanceId, pendingId });
      this.retryStates.delete(pendingId);
      if (succeeded || done || (timerFired && !attemptsRemain(state))) continue;
      if (failed) {
        const delay = state.timedOut ? undefined : retryDelayMs(state.options, state.attempt, state.firstAttemptAt, this.now);
        const timerId = this.instance.nextEventId++;
        const fireAt = this.now + (delay ?? 0);
        appended.push(timerCreatedEvent(timerId, fireAt, this.now));
        messages.push(this.timerMessage(timerId, fireAt));
        this.work.timersCreated++;
        const next: RetryState = {
          ...state,
          phase: 'timer',
          timedOut: state.timedOut || delay === undefined,
          ...(event.FailureDetails ? { lastFailure: event.FailureDetails } : {}),
        };
        write.putRetries.push({ instanceId, executionId, pendingId: timerId, state: JSON.stringify(next) });
      } else {
        const attemptId = this.instance.nextEventId++;
        const next: RetryState = { ...state, phase: 'attempt', attempt: state.attempt + 1 };
        write.putRetries.push({ instanceId, executionId, pendingId: attemptId, state: JSON.stringify(next) });
        if (next.timedOut) {
          // Past the retry timeout: the attempt fails at once, with the last failure.
          appended.push(this.scheduledEventFor(next, attemptId));
          messages.push(
            this.selfMessage(
              taskFailedEvent(next.kind, attemptId, next.lastFailure ?? hostFailure('The retry timeout has passed.'), this.now),
            ),
          );
        } else if (next.kind === 'activity') {
          appended.push(this.scheduledEventFor(next, attemptId));
          effects.activities.push({ instanceId, executionId, taskId: attemptId, name: next.name, input: next.input });
          this.work.activitiesScheduled++;
        } else {
          this.startSubOrchestration(next.name, next.input, next.instanceId, next.version, attemptId, appended, messages, effects);
        }
      }
    }
  }

  /** New top-level actions become events, work and messages. A finished episode only sends signals. */
  private scheduleActions(
    state: OrchestratorState | undefined,
    appended: HistoryEvent[],
    messages: NewMessage[],
    effects: EpisodeEffects,
    done: boolean,
  ): void {
    if (!state) return;
    const entries = topLevelActions(state);
    const { instanceId, executionId } = this.instance;
    const write = effects.write;
    write.putRetries ??= [];
    for (const entry of entries.slice(this.instance.actionsDone)) {
      for (const action of atomicActions(entry)) {
        if (!takesEventId(action)) continue;
        const id = this.instance.nextEventId++;
        if (done && action.actionType !== ActionType.SignalEntity) continue;
        switch (action.actionType) {
          case ActionType.CallActivity:
          case ActionType.CallActivityWithRetry: {
            const input = processedInputText(action.input);
            appended.push(taskScheduledEvent(id, action.functionName ?? '', input, this.now));
            effects.activities.push({ instanceId, executionId, taskId: id, name: action.functionName ?? '', input });
            this.work.activitiesScheduled++;
            if (action.retryOptions)
              this.trackRetry(id, { kind: 'activity', name: action.functionName ?? '', input, options: action.retryOptions }, write);
            break;
          }
          case ActionType.CallSubOrchestrator:
          case ActionType.CallSubOrchestratorWithRetry: {
            const input = action.input === undefined ? null : JSON.stringify(action.input);
            const name = action.functionName ?? '';
            this.startSubOrchestration(name, input, action.instanceId, action.version, id, appended, messages, effects);
            if (action.retryOptions) {
              this.trackRetry(
                id,
                {
                  kind: 'subOrchestration',
                  name,
                  input,
                  options: action.retryOptions,
                  ...(action.instanceId ? { instanceId: action.instanceId } : {}),
                },
                write,
              );
            }
            break;
          }
          case ActionType.CreateTimer: {
            const fireAt = Date.parse(action.fireAt ?? '');
            appended.push(timerCreatedEvent(id, fireAt, this.now));
            messages.push(this.timerMessage(id, fireAt));
            this.work.timersCreated++;
            break;
          }
          case ActionType.CallEntity:
          case ActionType.SignalEntity:
            this.sendToEntity(action, id, appended, messages);
            break;
          case ActionType.CallHttp:
            appended.push(taskScheduledEvent(id, 'BuiltIn::HttpActivity', undefined, this.now));
            messages.push(
              this.selfMessage(
                taskFailedEvent(
                  'activity',
                  id,
                  hostFailure('callHttp (durable HTTP) is not supported by this host; call HTTP from an activity.'),
                  this.now,
                ),
              ),
            );
            break;
          default:
            messages.push(
              this.selfMessage(
                taskFailedEvent('activity', id, hostFailure(`Action type ${action.actionType} is not supported by this host.`), this.now),
              ),
            );
        }
      }
      this.instance.actionsDone++;
    }
  }

  private trackRetry(id: number, task: Pick<RetryState, 'kind' | 'name' | 'input' | 'options' | 'instanceId'>, write: StoreWrite): void {
    const state: RetryState = { ...task, attempt: 1, firstAttemptAt: this.now, phase: 'attempt' };
    write.putRetries!.push({
      instanceId: this.instance.instanceId,
      executionId: this.instance.executionId,
      pendingId: id,
      state: JSON.stringify(state),
    });
  }

  private scheduledEventFor(state: RetryState, id: number): HistoryEvent {
    return state.kind === 'activity'
      ? taskScheduledEvent(id, state.name, state.input, this.now)
      : subOrchestrationCreatedEvent(id, state.name, state.instanceId ?? this.childInstanceId(id), state.input, this.now);
  }

  private childInstanceId(taskId: number): string {
    // As DurableTask names sub-orchestrations without an explicit id: parent execution + task id.
    return `${this.instance.executionId}:${taskId}`;
  }

  private startSubOrchestration(
    name: string,
    input: string | null,
    requestedId: string | undefined,
    version: string | undefined,
    taskId: number,
    appended: HistoryEvent[],
    messages: NewMessage[],
    effects: EpisodeEffects,
  ): void {
    const childId = requestedId ?? this.childInstanceId(taskId);
    appended.push(subOrchestrationCreatedEvent(taskId, name, childId, input, this.now));
    const canonical = this.input.orchestratorName(name);
    const existing = this.input.lookupInstance(childId);
    const createdNow = (effects.write.upsertInstances ?? []).some((i) => i.instanceId === childId);
    let problem: string | undefined;
    if (!canonical) problem = `The orchestrator function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    else if (createdNow || (existing && !isTerminal(existing.runtimeStatus)))
      problem = `An orchestration with the instance ID '${childId}' already exists and is not finished.`;
    if (problem) {
      messages.push(this.selfMessage(taskFailedEvent('subOrchestration', taskId, hostFailure(problem), this.now)));
      return;
    }
    const executionId = randomUUID().replace(/-/g, '');
    const child = pendingInstance({
      instanceId: childId,
      name: canonical!,
      version: version ?? null,
      executionId,
      input,
      now: this.now,
      parent: { instanceId: this.instance.instanceId, executionId: this.instance.executionId, taskId },
    });
    const write = effects.write;
    (write.upsertInstances ??= []).push(child);
    if (existing) {
      // A finished instance with this id is replaced, as when a client starts it anew.
      (write.clearHistoryOf ??= []).push(childId);
      (write.deleteMessagesOf ??= []).push(childId);
      (write.deleteActivitiesOf ??= []).push(childId);
      (write.deleteRetriesOf ??= []).push(childId);
    }
    messages.push({
      instanceId: childId,
      executionId: null,
      visibleAt: this.now,
      body: JSON.stringify(executionStartedMessage(child, this.now)),
    });
    this.work.subOrchestrationsStarted++;
  }

  private sendToEntity(action: OrchestratorAction, id: number, appended: HistoryEvent[], messages: NewMessage[]): void {
    const request = entityRequestOf(action, randomUUID(), this.instance, this.now);
    const target = action.instanceId ?? '';
    appended.push(entityRequestSentEvent(id, target, request, this.now));
    const message: InboxMessage = { kind: 'entityOperation', request };
    messages.push({ instanceId: target, executionId: null, visibleAt: this.now, body: JSON.stringify(message) });
    this.work.eventsSent++;
  }

  private continueAsNew(action: OrchestratorAction, write: StoreWrite, messages: NewMessage[], effects: EpisodeEffects): void {
    const instance = this.instance;
    instance.executionId = randomUUID().replace(/-/g, '');
    instance.input = processedInputText(action.input);
    instance.runtimeStatus = 'Running';
    instance.historyLength = 0;
    instance.nextEventId = 0;
    instance.actionsDone = 0;
    write.clearHistoryOf = [instance.instanceId];
    write.deleteActivitiesOf = [instance.instanceId];
    write.deleteRetriesOf = [instance.instanceId];
    write.putRetries = [];
    write.deleteRetries = [];
    write.upsertInstances = [instance, ...(write.upsertInstances ?? [])];
    effects.activities = [];
    effects.history = { reset: true, events: [] };
    this.work.continuedAsNew++;
    // Only the new execution's start; work of the old one is dropped with it.
    const kept = messages.filter((m) => m.instanceId !== instance.instanceId);
    messages.length = 0;
    messages.push(...kept, {
      instanceId: instance.instanceId,
      executionId: null,
      visibleAt: this.now,
      body: JSON.stringify(executionStartedMessage(instance, this.now)),
    });
  }

  /** The instance ends: its state, its parent's notification, and no work left behind. */
  private finish(
    status: 'Completed' | 'Failed' | 'Terminated',
    output: string,
    write: StoreWrite,
    messages: NewMessage[],
    failure?: FailureDetails,
  ): void {
    const instance = this.instance;
    instance.runtimeStatus = status;
    instance.output = output;
    instance.completedAt = this.now;
    // Timers still pending (a Task.any's loser) and leftover work go with the execution.
    write.deleteMessagesOf = [instance.instanceId];
    write.deleteActivitiesOf = [instance.instanceId];
    write.deleteRetriesOf = [instance.instanceId];
    write.putRetries = [];
    write.deleteRetries = [];
    if (instance.parentInstanceId && instance.parentTaskId !== null) {
      const event =
        status === 'Completed'
          ? taskCompletedEvent('subOrchestration', instance.parentTaskId, output, this.now)
          : taskFailedEvent('subOrchestration', instance.parentTaskId, failure ?? hostFailure(output), this.now);
      const body: InboxMessage = { kind: 'event', event };
      messages.push({
        instanceId: instance.parentInstanceId,
        executionId: instance.parentExecutionId,
        visibleAt: this.now,
        body: JSON.stringify(body),
      });
    }
  }

  private timerMessage(timerId: number, fireAt: number): NewMessage {
    const body: InboxMessage = { kind: 'event', event: timerFiredEvent(timerId, fireAt) };
    return { instanceId: this.instance.instanceId, executionId: this.instance.executionId, visibleAt: fireAt, body: JSON.stringify(body) };
  }

  private selfMessage(event: HistoryEvent): NewMessage {
    const body: InboxMessage = { kind: 'event', event };
    return {
      instanceId: this.instance.instanceId,
      executionId: this.instance.executionId,
      visibleAt: this.now,
      body: JSON.stringify(body),
    };
  }

  private withVisibility(effects: EpisodeEffects, messages: NewMessage[]): EpisodeEffects {
    // Work items are durable before anything runs them.
    effects.write.addActivities = effects.activities;
    for (const message of messages) {
      if (message.visibleAt <= this.now) effects.notify.push(message.instanceId);
      else effects.wakeAt.push(message.visibleAt);
    }
    return effects;
  }
}

/** The inbox message that starts an execution. */
export function executionStartedMessage(instance: InstanceRecord, now: number): InboxMessage {
  const event = historyEvent(
    EventType.ExecutionStarted,
    {
      Name: instance.name,
      Input: instance.input,
      Version: instance.version,
      OrchestrationInstance: { InstanceId: instance.instanceId, ExecutionId: instance.executionId },
      ParentInstance:
        instance.parentInstanceId && instance.parentExecutionId && instance.parentTaskId !== null
          ? {
              Name: '',
              OrchestrationInstance: { InstanceId: instance.parentInstanceId, ExecutionId: instance.parentExecutionId },
              TaskScheduleId: instance.parentTaskId,
            }
          : null,
    },
    now,
  );
  return { kind: 'event', event };
}
