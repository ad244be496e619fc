import type { ReceivedEventData } from '@azure/event-hubs';
import type { RpcTypedData } from '../../worker/coreTypes';
import type { InvocationInput } from '../../worker/FunctionInvoker';

export interface PartitionInfo {
  consumerGroup: string;
  eventHubName: string;
  fullyQualifiedNamespace: string;
  partitionId: string;
}

/**
 * The invocation input the Functions host builds for Event Hub triggers: the event body (or the
 * batch's bodies) and the trigger metadata Node functions receive (PascalCase here; the library
 * camel-cases it): PartitionContext, and per event or per batch (…Array) offset, sequence
 * number, enqueued time, properties and system properties.
 */
export function eventHubInvocationInput(
  triggerName: string,
  partition: PartitionInfo,
  events: ReceivedEventData[],
  cardinality: 'one' | 'many',
  dataType: string | undefined,
): InvocationInput {
  const partitionContext = json({
    ConsumerGroup: partition.consumerGroup,
    EventHubName: partition.eventHubName,
    FullyQualifiedNamespace: partition.fullyQualifiedNamespace,
    PartitionId: partition.partitionId,
  });
  const binary = dataType === 'binary';
  if (cardinality === 'one') {
    const [event] = events;
    return {
      inputData: [{ name: triggerName, data: binary ? { bytes: bodyBytes(event.body) } : bodyData(event.body) }],
      triggerMetadata: {
        PartitionContext: partitionContext,
        Offset: json(event.offset),
        SequenceNumber: { int: event.sequenceNumber },
        EnqueuedTimeUtc: { string: event.enqueuedTimeUtc.toISOString() },
        PartitionKey: json(event.partitionKey ?? null),
        Properties: json(event.properties ?? {}),
        SystemProperties: json(systemProperties(event)),
      },
      reason: `(Event Hub ${partition.eventHubName}, partition ${partition.partitionId}, sequence number ${event.sequenceNumber})`,
    };
  }
  return {
    inputData: [
      {
        name: triggerName,
        data: binary
          ? { collectionBytes: { bytes: events.map((e) => bodyBytes(e.body)) } }
          : { json: JSON.stringify(events.map((e) => bodyValue(e.body))) },
      },
    ],
    triggerMetadata: {
      PartitionContext: partitionContext,
      PartitionKeyArray: json(events.map((e) => e.partitionKey ?? null)),
      OffsetArray: json(events.map((e) => e.offset)),
      SequenceNumberArray: json(events.map((e) => e.sequenceNumber)),
      EnqueuedTimeUtcArray: json(events.map((e) => e.enqueuedTimeUtc.toISOString())),
      PropertiesArray: json(events.map((e) => e.properties ?? {})),
      SystemPropertiesArray: json(events.map(systemProperties)),
    },
    reason: `(Event Hub ${partition.eventHubName}, partition ${partition.partitionId}, ${events.length} events from sequence number ${events[0].sequenceNumber})`,
  };
}

function json(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

/** System properties as the extension reports them: the broker's annotations plus the event's own. */
function systemProperties(event: ReceivedEventData): Record<string, unknown> {
  return {
    ...(event.systemProperties ?? {}),
    'x-opt-sequence-number': event.sequenceNumber,
    'x-opt-offset': event.offset,
    'x-opt-enqueued-time': event.enqueuedTimeUtc.toISOString(),
    ...(event.partitionKey ? { 'x-opt-partition-key': event.partitionKey } : {}),
    SequenceNumber: event.sequenceNumber,
    Offset: event.offset,
    EnqueuedTimeUtc: event.enqueuedTimeUtc.toISOString(),
    PartitionKey: event.partitionKey ?? null,
  };
}

/** A body as the worker gets it by default: JSON stays JSON, text is text, other bytes are UTF-8 text. */
function bodyValue(body: unknown): unknown {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return body;
}

function bodyData(body: unknown): RpcTypedData {
  const value = bodyValue(body);
  return typeof value === 'string' ? { string: value } : json(value ?? null);
}

function bodyBytes(body: unknown): Uint8Array {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? null));
}
