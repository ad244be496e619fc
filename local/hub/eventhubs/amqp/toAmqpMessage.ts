import { message as amqpMessage, types, type Message } from 'rhea';
import type { StoredEvent } from '../eventData';

/**
 * A stored event as Event Hubs delivers it: the payload in a data section, x-opt-* annotations
 * with their exact AMQP types (long, string, timestamp), IoT Hub's system properties as further
 * annotations, and application properties.
 */
export function toAmqpMessage(event: StoredEvent): Message {
  const p = event.amqpProperties;
  const message: Message = {
    body: amqpMessage.data_section(event.body),
    message_annotations: {
      ...withTimestamps(event.annotations),
      'x-opt-sequence-number': types.wrap_long(event.sequenceNumber),
      'x-opt-offset': event.offset,
      'x-opt-enqueued-time': types.wrap_timestamp(event.enqueuedTimeUtc),
      'x-opt-partition-key': event.partitionKey,
    },
    application_properties: event.properties,
  };
  if (p.messageId !== undefined) message.message_id = p.messageId;
  if (p.correlationId !== undefined) message.correlation_id = p.correlationId;
  if (p.userId !== undefined) message.user_id = p.userId;
  if (p.to !== undefined) message.to = p.to;
  if (p.contentType !== undefined) message.content_type = p.contentType;
  if (p.contentEncoding !== undefined) message.content_encoding = p.contentEncoding;
  if (p.absoluteExpiryTime !== undefined) message.absolute_expiry_time = new Date(p.absoluteExpiryTime);
  return message;
}

/** Annotations IoT Hub sends as AMQP timestamps; the log keeps them as ms since the epoch. */
const TIMESTAMP_ANNOTATIONS = new Set(['iothub-enqueuedtime']);

function withTimestamps(annotations: StoredEvent['annotations']): Record<string, unknown> {
  const result: Record<string, unknown> = { ...annotations };
  for (const name of TIMESTAMP_ANNOTATIONS) {
    const value = annotations[name];
    if (typeof value === 'number') result[name] = types.wrap_timestamp(value);
  }
  return result;
}
