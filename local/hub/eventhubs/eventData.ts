/** Scalar values AMQP application properties and message annotations carry here. */
export type AmqpScalar = string | number | boolean | null;

/** An event as routing hands it to the built-in endpoint, before the log numbers it. */
export interface NewEvent {
  /** Raw payload (an AMQP data section). */
  body: Buffer;
  /** AMQP application-properties: what consumers see as EventData.properties. */
  properties: Record<string, AmqpScalar>;
  /**
   * AMQP message-annotations besides the x-opt-* ones the log adds: what consumers see as
   * EventData.systemProperties (iothub-connection-device-id, iothub-message-source, …).
   */
  annotations: Record<string, AmqpScalar>;
  /** AMQP properties section (message-id, content-type, …). */
  amqpProperties: {
    messageId?: string;
    correlationId?: string;
    userId?: string;
    to?: string;
    contentType?: string;
    contentEncoding?: string;
    absoluteExpiryTime?: number;
  };
  /** Which partition key routed it (the device id, for IoT Hub). */
  partitionKey: string;
}

/** An event in a partition of the log. */
export interface StoredEvent extends NewEvent {
  partitionId: string;
  /** Per partition: 0, 1, 2 … never reused, also not after retention or a restart. */
  sequenceNumber: number;
  /** Opaque to clients; here the decimal sequence number, so offset and sequence filters agree. */
  offset: string;
  /** When the hub accepted it, ms since the epoch. */
  enqueuedTimeUtc: number;
}

export interface PartitionInfo {
  partitionId: string;
  /** First sequence number still retained; last + 1 when the partition is empty. */
  beginSequenceNumber: number;
  /** -1 when nothing was ever enqueued. */
  lastEnqueuedSequenceNumber: number;
  lastEnqueuedOffset: string;
  lastEnqueuedTimeUtc: number;
  isEmpty: boolean;
}
