import type { NewEvent, PartitionInfo, StoredEvent } from '../eventData';

/**
 * The durable, partitioned log behind the built-in Event Hub-compatible endpoint. Partition ids
 * are '0'..'n-1'; an unknown id is a programming error (the AMQP layer validates first), so it
 * throws a plain Error.
 */
export interface EventLog {
  readonly partitionIds: readonly string[];
  /**
   * Numbers the event (at once; it becomes durable at the next group commit): sequenceNumber per partition from 0, never reused (not after purge or a
   * restart either); offset = String(sequenceNumber); enqueuedTimeUtc = nowMs, but never earlier
   * than the partition's previous event, so time filters stay monotonic when the clock steps back.
   */
  append(partitionId: string, event: NewEvent, nowMs: number): StoredEvent;
  /**
   * Appends are committed in groups; this calls back once every event appended so far is durable
   * (or with the error that lost them). Nothing may be delivered to consumers before that.
   */
  afterCommit(callback: (error?: Error) => void): void;
  /** Up to maxCount events from fromSequenceNumber (inclusive), ascending. */
  read(partitionId: string, fromSequenceNumber: number, maxCount: number): StoredEvent[];
  /** The first retained sequence number enqueued strictly after timeMs, or last + 1 if none. */
  firstSequenceNumberAfterTime(partitionId: string, timeMs: number): number;
  info(partitionId: string): PartitionInfo;
  /** Retention: deletes events enqueued before cutoffMs; returns how many. */
  purgeOlderThan(cutoffMs: number): number;
  close(): void;
}
