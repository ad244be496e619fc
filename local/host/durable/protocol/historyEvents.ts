/**
 * Orchestration history events in the shape durable-functions replays (DurableTask's
 * HistoryEvent JSON: PascalCase fields, numeric EventType).
 */
import type { FailureDetails } from './failureDetails';

/** DurableTask's event types; the numbers are the wire values. */
export enum EventType {
  // An execution's life: started by a client or a parent, ended by its own result or a terminate.
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  // Activities: scheduled by an action, answered by the activity's result.
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  // Sub-orchestrations, answered like activities.
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  // Durable timers.
  TimerCreated = 10,
  TimerFired = 11,
  // The bounds of one episode (its replay clock is OrchestratorStarted's timestamp).
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  // Messages: to entities and other instances (sent), from clients and entities (raised).
  EventSent = 14,
  EventRaised = 15,
  // Defined by DurableTask; this host writes none of them.
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  // Suspend and resume from the client API.
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string | null;
  Result?: string | null;
  Version?: string | null;
  InstanceId?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetails;
  OrchestrationStatus?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: { Name: string; OrchestrationInstance: { InstanceId: string; ExecutionId: string }; TaskScheduleId: number } | null;
}

/** A new event; EventId -1 is DurableTask's "not a scheduled task". */
export function historyEvent(type: EventType, fields: Partial<HistoryEvent> = {}, at: number = Date.now()): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: new Date(at).toISOString(), ...fields };
}

/** What a task is, for the events that answer it. */
export type TaskKind = 'activity' | 'subOrchestration';

export function taskScheduledEvent(id: number, name: string, input: string | null | undefined, at: number): HistoryEvent {
  return historyEvent(EventType.TaskScheduled, { EventId: id, Name: name, Input: input }, at);
}

export function subOrchestrationCreatedEvent(
  id: number,
  name: string,
  instanceId: string | undefined,
  input: string | null,
  at: number,
): HistoryEvent {
  return historyEvent(EventType.SubOrchestrationInstanceCreated, { EventId: id, Name: name, InstanceId: instanceId, Input: input }, at);
}

/** A task's result (JSON text) for the task scheduled as `taskId`. */
export function taskCompletedEvent(kind: TaskKind, taskId: number, result: string, at: number): HistoryEvent {
  const type = kind === 'activity' ? EventType.TaskCompleted : EventType.SubOrchestrationInstanceCompleted;
  return historyEvent(type, { TaskScheduledId: taskId, Result: result }, at);
}

/**
 * A task's failure: Reason and Details, which every durable-functions version reads, and the
 * FailureDetails that make it a TaskFailedError, unless `reasonOnly` (as hosts without them send it).
 */
export function taskFailedEvent(
  kind: TaskKind,
  taskId: number,
  details: FailureDetails,
  at: number,
  { reasonOnly = false }: { reasonOnly?: boolean } = {},
): HistoryEvent {
  const type = kind === 'activity' ? EventType.TaskFailed : EventType.SubOrchestrationInstanceFailed;
  const reason = { TaskScheduledId: taskId, Reason: details.ErrorMessage, Details: details.StackTrace ?? '' };
  return historyEvent(type, reasonOnly ? reason : { ...reason, FailureDetails: details }, at);
}

export function timerCreatedEvent(id: number, fireAt: number, at: number): HistoryEvent {
  return historyEvent(EventType.TimerCreated, { EventId: id, FireAt: new Date(fireAt).toISOString() }, at);
}

/** The timer's event, stamped at the time it fires. */
export function timerFiredEvent(timerId: number, fireAt: number): HistoryEvent {
  return historyEvent(EventType.TimerFired, { TimerId: timerId, FireAt: new Date(fireAt).toISOString() }, fireAt);
}

/** An external event (or an entity's answer, named by the request id); `input` is JSON text. */
export function eventRaisedEvent(name: string, input: string | null, at: number): HistoryEvent {
  return historyEvent(EventType.EventRaised, { Name: name, Input: input }, at);
}

/** Parses JSON text kept for inputs/outputs; null stays null. */
export function fromJsonText(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  return JSON.parse(text);
}
