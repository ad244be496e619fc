import type { HistoryEvent } from './historyEvents';

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

/** What an instance's inbox holds. */
export type InboxMessage =
  /** `entityResponse`: the answer to an entity call (an EventRaised named by the request id), not an external event. */
  | { kind: 'event'; event: HistoryEvent; entityResponse?: true }
  | { kind: 'terminate'; reason: string }
  | { kind: 'suspend'; reason: string }
  | { kind: 'resume'; reason: string }
  | { kind: 'entityOperation'; request: EntityRequest };

export function parseInboxMessage(body: string): InboxMessage {
  return JSON.parse(body) as InboxMessage;
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
