import { randomUUID } from 'node:crypto';
import type { EntityRecord, MessageRecord, NewMessage, StoreWrite } from '../persistence/records';
import {
  entityInstanceId,
  entityResponseEvent,
  entityTriggerPayload,
  parseEntityInstanceId,
  type EntityBatchResult,
  type EntityRequest,
} from '../protocol/entities';
import { parseInboxMessage, type InboxMessage } from './inboxMessages';

/** Operations handed to the entity function at once. */
const MAX_BATCH = 100;

/**
 * One batch of operations on one entity: requests from the entity's inbox are run by the entity
 * function in order; the new state, the responses to calling orchestrations and the signals it
 * sends are written together.
 */
export class EntityEpisode {
  readonly name: string;
  readonly key: string;
  private readonly requests: EntityRequest[] = [];
  private readonly consumed: number[] = [];
  /** More operations wait than fit in this batch. */
  readonly hasMore: boolean;

  constructor(
    readonly entityId: string,
    private readonly entity: EntityRecord | undefined,
    messages: MessageRecord[],
    private readonly now: number,
  ) {
    const parsed = parseEntityInstanceId(entityId);
    this.name = parsed?.name ?? entityId;
    this.key = parsed?.key ?? '';
    for (const message of messages.slice(0, MAX_BATCH)) {
      this.consumed.push(message.id);
      const body: InboxMessage = parseInboxMessage(message.body);
      if (body.kind === 'entityOperation') this.requests.push(body.request);
    }
    this.hasMore = messages.length > MAX_BATCH;
  }

  get isEmpty(): boolean {
    return this.requests.length === 0;
  }

  /** Operations in the batch. */
  get operations(): number {
    return this.requests.length;
  }

  /** The entity trigger's payload (DurableEntityBindingInfo). */
  payload(): string {
    return entityTriggerPayload(this.name, this.key, this.entity?.state, this.requests);
  }

  /** The write for the batch; without a result every operation fails with `failure`. */
  complete(result: EntityBatchResult | undefined, failure?: string): { write: StoreWrite; notify: string[] } {
    const messages: NewMessage[] = [];
    this.requests.forEach((request, index) => {
      if (request.signal || !request.parent) return;
      const outcome = result?.results[index];
      const response =
        outcome && !outcome.isError
          ? { result: outcome.result ?? 'null' }
          : { result: outcome?.result ?? JSON.stringify(failure ?? 'The entity operation failed.'), exceptionType: 'Error' };
      const body: InboxMessage = { kind: 'event', event: entityResponseEvent(request.id, response, this.now), entityResponse: true };
      messages.push({
        instanceId: request.parent,
        executionId: request.parentExecution ?? null,
        visibleAt: this.now,
        body: JSON.stringify(body),
      });
    });
    for (const signal of result?.signals ?? []) {
      const request: EntityRequest = {
        id: randomUUID(),
        op: signal.name,
        signal: true,
        ...(signal.input ? { input: signal.input } : {}),
        timestamp: new Date(this.now).toISOString(),
      };
      const body: InboxMessage = { kind: 'entityOperation', request };
      messages.push({
        instanceId: entityInstanceId(signal.target.name, signal.target.key),
        executionId: null,
        visibleAt: this.now,
        body: JSON.stringify(body),
      });
    }
    const write: StoreWrite = { deleteMessages: this.consumed, addMessages: messages };
    if (result) {
      const state = result.entityExists ? (result.entityState ?? 'null') : null;
      write.putEntities = [{ entityId: this.entityId, name: this.name, key: this.key, state, lastModifiedAt: this.now }];
    }
    return { write, notify: [...new Set(messages.map((m) => m.instanceId))] };
  }
}
