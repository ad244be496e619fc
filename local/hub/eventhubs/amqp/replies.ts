import { types, type Message } from 'rhea';

/** A response on a request/response node ($cbs, $management), correlated by the request's message-id. */
export function reply(request: Message, status: number, description: string, body?: unknown): Message {
  return {
    correlation_id: request.message_id,
    application_properties: { 'status-code': types.wrap_int(status), 'status-description': description },
    body: body ?? null,
  };
}
