import type { EntityRequest } from '../protocol/entities';
import type { HistoryEvent } from '../protocol/historyEvents';

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
