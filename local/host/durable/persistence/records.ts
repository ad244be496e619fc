/** Rows of the task hub, as the engine reads and writes them. JSON payloads stay JSON text. */

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Suspended' | 'ContinuedAsNew';

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Terminated'];

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  version: string | null;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdAt: number;
  lastUpdatedAt: number;
  completedAt: number | null;
  parentInstanceId: string | null;
  parentExecutionId: string | null;
  /** The parent's task id for this sub-orchestration (what its completion event names). */
  parentTaskId: number | null;
  /** Events of the current execution; the next event's position. */
  historyLength: number;
  /** The next task id the orchestrator will give an action (durable-functions' sequence number). */
  nextEventId: number;
  /** Top-level actions of the current execution already turned into events. */
  actionsDone: number;
}

/** An inbox message: a history event (or entity operation) for an instance, visible from a time on. */
export interface MessageRecord {
  id: number;
  instanceId: string;
  /** Set when only that execution may consume it (task results, timers); null for any execution. */
  executionId: string | null;
  visibleAt: number;
  body: string;
}

export type NewMessage = Omit<MessageRecord, 'id'>;

/** An activity to run; (instance, execution, task) identifies it. */
export interface ActivityRecord {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: string | null;
}

export type ActivityKey = Pick<ActivityRecord, 'instanceId' | 'executionId' | 'taskId'>;

/** A task under a retry policy, keyed by the id whose outcome it waits for (attempt or retry timer). */
export interface RetryRecord {
  instanceId: string;
  executionId: string;
  pendingId: number;
  state: string;
}

export interface EntityRecord {
  entityId: string;
  name: string;
  key: string;
  /** JSON text of the state; null when the entity does not exist. */
  state: string | null;
  lastModifiedAt: number;
}

export interface InstanceQuery {
  createdFrom?: number;
  createdTo?: number;
  statuses?: RuntimeStatus[];
  instanceIdPrefix?: string;
}

/** Everything one state change writes, committed as one transaction. */
export interface StoreWrite {
  upsertInstances?: InstanceRecord[];
  clearHistoryOf?: string[];
  appendHistory?: { instanceId: string; fromSeq: number; events: string[] }[];
  deleteMessages?: number[];
  deleteMessagesOf?: string[];
  addMessages?: NewMessage[];
  addActivities?: ActivityRecord[];
  deleteActivities?: ActivityKey[];
  deleteActivitiesOf?: string[];
  putRetries?: RetryRecord[];
  deleteRetries?: { instanceId: string; pendingId: number }[];
  deleteRetriesOf?: string[];
  putEntities?: EntityRecord[];
}

/** A new execution waiting for its first episode: how both clients and parent orchestrations start one. */
export function pendingInstance(options: {
  instanceId: string;
  name: string;
  version: string | null;
  executionId: string;
  input: string | null;
  now: number;
  parent?: { instanceId: string; executionId: string; taskId: number };
}): InstanceRecord {
  return {
    instanceId: options.instanceId,
    name: options.name,
    version: options.version,
    executionId: options.executionId,
    runtimeStatus: 'Pending',
    input: options.input,
    output: null,
    customStatus: null,
    createdAt: options.now,
    lastUpdatedAt: options.now,
    completedAt: null,
    parentInstanceId: options.parent?.instanceId ?? null,
    parentExecutionId: options.parent?.executionId ?? null,
    parentTaskId: options.parent?.taskId ?? null,
    historyLength: 0,
    nextEventId: 0,
    actionsDone: 0,
  };
}
