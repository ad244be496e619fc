import { EventType, historyEvent, type HistoryEvent } from './historyEvents';
import { ActionType, type OrchestratorAction } from './orchestratorActions';

/** An operation request to an entity (DurableTask's RequestMessage, as far as the JS SDK uses it). */
export interface EntityRequest {
  id: string;
  op: string;
  signal: boolean;
  /** JSON text of the operation input, or undefined. */
  input?: string;
  /** The calling orchestration, which gets the response as an external event named `id`. */
  parent?: string;
  parentExecution?: string;
  timestamp: string;
}

/** durable-functions' EntityState, what the entity function returns for a batch. */
export interface EntityBatchResult {
  entityExists: boolean;
  entityState?: string;
  results: { isError: boolean; duration?: number; startTime?: number; result?: string }[];
  signals: { target: { name: string; key: string }; name: string; input?: string }[];
}

/** The scheduler id durable-functions gives an entity: @name@key, name lower-cased. */
export function entityInstanceId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntityInstanceId(instanceId: string): { name: string; key: string } | undefined {
  if (!instanceId.startsWith('@')) return undefined;
  const at = instanceId.indexOf('@', 1);
  if (at < 0) return undefined;
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}

/** The entity trigger's payload (DurableEntityBindingInfo) for a batch of requests on one entity; `state` is JSON text. */
export function entityTriggerPayload(name: string, key: string, state: string | null | undefined, requests: EntityRequest[]): string {
  return JSON.stringify({
    self: { name, key },
    exists: state !== null && state !== undefined,
    state: state ?? undefined,
    batch: requests.map((request) => ({
      id: request.id,
      name: request.op,
      signal: request.signal,
      ...(request.input !== undefined ? { input: request.input } : {}),
    })),
  });
}

/** What a CallEntity or SignalEntity action sends; a call names the execution its answer goes to. */
export function entityRequestOf(
  action: OrchestratorAction,
  id: string,
  caller: { instanceId: string; executionId: string },
  at: number,
): EntityRequest {
  const signal = action.actionType === ActionType.SignalEntity;
  return {
    id,
    op: action.operation ?? '',
    signal,
    ...(action.input !== undefined ? { input: JSON.stringify(action.input) } : {}),
    ...(signal ? {} : { parent: caller.instanceId, parentExecution: caller.executionId }),
    timestamp: new Date(at).toISOString(),
  };
}

/** The orchestration's record of sending `request` to an entity, numbered `id`. */
export function entityRequestSentEvent(id: number, entityId: string, request: EntityRequest, at: number): HistoryEvent {
  return historyEvent(EventType.EventSent, { EventId: id, InstanceId: entityId, Name: 'op', Input: JSON.stringify(request) }, at);
}

/**
 * The answer to an entity call, an EventRaised named by the request id: the result as JSON text,
 * with an exception type when the operation failed.
 */
export function entityResponseEvent(requestId: string, response: { result: string; exceptionType?: string }, at: number): HistoryEvent {
  return historyEvent(EventType.EventRaised, { Name: requestId, Input: JSON.stringify(response) }, at);
}
