import { randomUUID } from 'node:crypto';
import { hostErrors } from '../hostErrors';
import type { DurableEngine } from './engine/DurableEngine';
import type { DurableFunctionSet } from './engine/DurableFunctionSet';
import type { InboxMessage } from './engine/inboxMessages';
import { executionStartedMessage } from './engine/OrchestrationEpisode';
import { isTerminal, pendingInstance, type InstanceQuery, type InstanceRecord } from './persistence/records';
import type { TaskHubStore } from './persistence/TaskHubStore';
import { entityInstanceId, type EntityRequest } from './protocol/entities';
import { eventRaisedEvent } from './protocol/historyEvents';

export type InstanceOperationResult = 'accepted' | 'notFound' | 'gone';

/** Instance ids and entity keys may not hold what the Durable extension refuses. */
const INVALID_ID = /[/\\#?\u0000-\u001f\u007f]/;

/** What durable clients do to a task hub: start, raise, terminate, suspend, resume, query, purge, signal. */
export class TaskHubClient {
  constructor(
    private readonly store: TaskHubStore,
    private readonly engine: DurableEngine,
    private readonly functions: DurableFunctionSet,
  ) {}

  /** Starts an orchestration (or restarts a finished one with the same id); returns its id. */
  startNew(name: string, options: { instanceId?: string; input?: string | null; version?: string } = {}): string {
    const fn = this.functions.orchestrator(name);
    if (!fn) throw hostErrors.badRequest(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, '');
    assertValidId(instanceId, 'instance ID');
    const existing = this.store.getInstance(instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      throw hostErrors.conflict(`An Orchestration instance with the status ${existing.runtimeStatus} already exists.`);
    }
    const now = Date.now();
    const record = pendingInstance({
      instanceId,
      name: fn.name,
      version: options.version ?? null,
      executionId: randomUUID().replace(/-/g, ''),
      input: options.input ?? null,
      now,
    });
    const replaced = existing ? [instanceId] : [];
    this.store.commitNow({
      clearHistoryOf: replaced,
      deleteMessagesOf: replaced,
      deleteActivitiesOf: replaced,
      deleteRetriesOf: replaced,
      upsertInstances: [record],
      addMessages: [{ instanceId, executionId: null, visibleAt: now, body: JSON.stringify(executionStartedMessage(record, now)) }],
    });
    this.engine.forget(instanceId);
    this.engine.notify(instanceId);
    return instanceId;
  }

  raiseEvent(instanceId: string, eventName: string, input: string | null): Promise<InstanceOperationResult> {
    const event = eventRaisedEvent(eventName, input, Date.now());
    return this.sendToRunning(instanceId, { kind: 'event', event });
  }

  terminate(instanceId: string, reason: string): Promise<InstanceOperationResult> {
    return this.sendToRunning(instanceId, { kind: 'terminate', reason });
  }

  suspend(instanceId: string, reason: string): Promise<InstanceOperationResult> {
    return this.sendToRunning(instanceId, { kind: 'suspend', reason });
  }

  resume(instanceId: string, reason: string): Promise<InstanceOperationResult> {
    return this.sendToRunning(instanceId, { kind: 'resume', reason });
  }

  getInstance(instanceId: string): InstanceRecord | undefined {
    return this.store.getInstance(instanceId);
  }

  history(instanceId: string): string[] {
    return this.store.history(instanceId);
  }

  /** A page of instances and the cursor of the next page, if any. */
  query(query: InstanceQuery, pageSize: number, continuation?: string): { instances: InstanceRecord[]; continuation?: string } {
    const after = continuation ? decodeCursor(continuation) : undefined;
    const rows = this.store.queryInstances(query, pageSize + 1, after);
    const instances = rows.slice(0, pageSize);
    const last = instances[instances.length - 1];
    return rows.length > pageSize && last ? { instances, continuation: encodeCursor(last) } : { instances };
  }

  /** Deletes a finished instance's state; false when there is none to delete. */
  purge(instanceId: string): boolean {
    const instance = this.store.getInstance(instanceId);
    if (!instance || !isTerminal(instance.runtimeStatus)) return false;
    this.store.purgeInstance(instanceId);
    this.engine.forget(instanceId);
    return true;
  }

  /** Purges every finished instance the query matches; returns how many. */
  purgeWhere(query: InstanceQuery): number {
    const statuses = (query.statuses ?? ['Completed', 'Failed', 'Terminated']).filter(isTerminal);
    let deleted = 0;
    for (;;) {
      const page = this.store.queryInstances({ ...query, statuses }, 500);
      if (page.length === 0) return deleted;
      for (const instance of page) {
        this.store.purgeInstance(instance.instanceId);
        this.engine.forget(instance.instanceId);
        deleted++;
      }
    }
  }

  /** Queues a one-way operation for an entity (which exists once an operation sets its state). */
  async signalEntity(name: string, key: string, operation: string, input: string | null): Promise<void> {
    assertValidId(key, 'entity key');
    if (!this.functions.entity(name))
      throw hostErrors.badRequest(`The function '${name}' doesn't exist, is disabled, or is not an entity function.`);
    const entityId = entityInstanceId(name, key);
    const request: EntityRequest = {
      id: randomUUID(),
      op: operation,
      signal: true,
      ...(input !== null ? { input } : {}),
      timestamp: new Date().toISOString(),
    };
    const message: InboxMessage = { kind: 'entityOperation', request };
    await this.engine.deliver({ instanceId: entityId, executionId: null, visibleAt: Date.now(), body: JSON.stringify(message) });
  }

  /** The entity's state as JSON text, or undefined when it does not exist. */
  readEntity(name: string, key: string): { state: string; lastModifiedAt: number } | undefined {
    const entity = this.store.getEntity(entityInstanceId(name, key));
    return entity && entity.state !== null ? { state: entity.state, lastModifiedAt: entity.lastModifiedAt } : undefined;
  }

  private async sendToRunning(instanceId: string, message: InboxMessage): Promise<InstanceOperationResult> {
    const instance = this.store.getInstance(instanceId);
    if (!instance) return 'notFound';
    if (isTerminal(instance.runtimeStatus)) return 'gone';
    await this.engine.deliver({ instanceId, executionId: null, visibleAt: Date.now(), body: JSON.stringify(message) });
    return 'accepted';
  }
}

function assertValidId(id: string, what: string): void {
  if (id.length === 0 || id.length > 256 || INVALID_ID.test(id)) {
    throw hostErrors.badRequest(
      `The ${what} '${id}' is not valid: it must be 1-256 characters without '/', '\\\\', '#', '?' or control characters.`,
    );
  }
}

function encodeCursor(instance: InstanceRecord): string {
  return Buffer.from(JSON.stringify([instance.createdAt, instance.instanceId])).toString('base64url');
}

function decodeCursor(token: string): { createdAt: number; instanceId: string } {
  try {
    const [createdAt, instanceId] = JSON.parse(Buffer.from(token, 'base64url').toString()) as [number, string];
    if (typeof createdAt !== 'number' || typeof instanceId !== 'string') throw new Error('shape');
    return { createdAt, instanceId };
  } catch {
    throw hostErrors.badRequest('The continuation token is not valid.');
  }
}
