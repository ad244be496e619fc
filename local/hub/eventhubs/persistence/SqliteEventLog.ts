import type Database from 'better-sqlite3';
import type { Schema } from '../../../sqlite/openDatabase';
import { Settings, SETTINGS_TABLE } from '../../../sqlite/Settings';
import { SqliteStore } from '../../../sqlite/SqliteStore';
import type { AmqpScalar, NewEvent, PartitionInfo, StoredEvent } from '../eventData';
import type { EventLog } from './EventLog';

/** The schema, created in one go on a new file. */
const SCHEMA: Schema = {
  what: 'The event log',
  version: 1,
  sql: `
      ${SETTINGS_TABLE};
      CREATE TABLE IF NOT EXISTS partitions (
        partition_id INTEGER PRIMARY KEY,
        next_sequence_number INTEGER NOT NULL,
        last_enqueued_time INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS events (
        partition_id INTEGER NOT NULL,
        sequence_number INTEGER NOT NULL,
        enqueued_time INTEGER NOT NULL,
        partition_key TEXT NOT NULL,
        body BLOB NOT NULL,
        properties TEXT NOT NULL,
        annotations TEXT NOT NULL,
        amqp_properties TEXT NOT NULL,
        PRIMARY KEY (partition_id, sequence_number)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS events_by_time ON events (partition_id, enqueued_time)
`,
};

interface EventRow {
  sequence_number: number;
  enqueued_time: number;
  partition_key: string;
  body: Buffer;
  properties: string;
  annotations: string;
  amqp_properties: string;
}

/** Where a partition's numbering stands; kept in memory so append is a single INSERT. */
interface PartitionHead {
  nextSequenceNumber: number;
  lastEnqueuedTimeUtc: number;
}

/**
 * EventLog on SQLite (WAL, synchronous=NORMAL: a crash may lose the last appends, never corrupt).
 * The high-water marks (next sequence number, last enqueued time) are derived from the newest
 * event at open; the `partitions` table only has to remember them for partitions whose newest
 * events were purged, so it is written by purge, not by append.
 */
export class SqliteEventLog extends SqliteStore implements EventLog {
  readonly partitionIds: readonly string[];
  private readonly heads: PartitionHead[];
  private readonly insert: Database.Statement<[number, number, number, string, Buffer, string, string, string]>;
  private readonly selectFrom: Database.Statement<[number, number, number], EventRow>;
  private readonly selectFirstAfterTime: Database.Statement<[number, number], { sequence_number: number }>;
  private readonly selectFirst: Database.Statement<[number], { first: number | null }>;
  private readonly deleteBefore: Database.Statement<[number, number]>;
  private readonly saveHead: Database.Statement<[number, number, number]>;

  constructor(
    private readonly file: string,
    partitionCount: number,
  ) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new Error(`An event log needs a whole number of partitions (at least 1), not ${partitionCount}.`);
    }
    super(file, SCHEMA);
    try {
      this.checkPartitionCount(partitionCount);
    } catch (error) {
      this.close();
      throw error;
    }
    this.partitionIds = Array.from({ length: partitionCount }, (_, index) => String(index));

    this.insert = this.db.prepare(
      `INSERT INTO events (partition_id, sequence_number, enqueued_time, partition_key, body, properties, annotations, amqp_properties)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectFrom = this.db.prepare(
      `SELECT sequence_number, enqueued_time, partition_key, body, properties, annotations, amqp_properties
       FROM events WHERE partition_id = ? AND sequence_number >= ? ORDER BY sequence_number LIMIT ?`,
    );
    // Enqueued times never decrease within a partition, so the time index orders like the sequence.
    this.selectFirstAfterTime = this.db.prepare(
      `SELECT sequence_number FROM events WHERE partition_id = ? AND enqueued_time > ?
       ORDER BY enqueued_time, sequence_number LIMIT 1`,
    );
    this.selectFirst = this.db.prepare('SELECT MIN(sequence_number) AS first FROM events WHERE partition_id = ?');
    this.deleteBefore = this.db.prepare('DELETE FROM events WHERE partition_id = ? AND enqueued_time < ?');
    this.saveHead = this.db.prepare(
      `INSERT INTO partitions (partition_id, next_sequence_number, last_enqueued_time) VALUES (?, ?, ?)
       ON CONFLICT(partition_id) DO UPDATE SET
         next_sequence_number = excluded.next_sequence_number, last_enqueued_time = excluded.last_enqueued_time`,
    );
    this.heads = this.loadHeads(partitionCount);
  }

  append(partitionId: string, event: NewEvent, nowMs: number): StoredEvent {
    const index = this.indexOf(partitionId);
    const head = this.heads[index];
    const sequenceNumber = head.nextSequenceNumber;
    const enqueuedTimeUtc = Math.max(nowMs, head.lastEnqueuedTimeUtc);
    const row = [
      index,
      sequenceNumber,
      enqueuedTimeUtc,
      event.partitionKey,
      event.body,
      JSON.stringify(event.properties),
      JSON.stringify(event.annotations),
      JSON.stringify(event.amqpProperties),
    ] as const;
    this.commits.add(() => this.insert.run(...row));
    head.nextSequenceNumber = sequenceNumber + 1;
    head.lastEnqueuedTimeUtc = enqueuedTimeUtc;
    return { ...event, partitionId, sequenceNumber, offset: String(sequenceNumber), enqueuedTimeUtc };
  }

  read(partitionId: string, fromSequenceNumber: number, maxCount: number): StoredEvent[] {
    const index = this.indexOf(partitionId);
    if (maxCount <= 0) return [];
    this.commits.flush();
    return this.selectFrom.all(index, fromSequenceNumber, maxCount).map((row) => toStoredEvent(partitionId, row));
  }

  firstSequenceNumberAfterTime(partitionId: string, timeMs: number): number {
    const index = this.indexOf(partitionId);
    this.commits.flush();
    return this.selectFirstAfterTime.get(index, timeMs)?.sequence_number ?? this.heads[index].nextSequenceNumber;
  }

  info(partitionId: string): PartitionInfo {
    const index = this.indexOf(partitionId);
    const { nextSequenceNumber, lastEnqueuedTimeUtc } = this.heads[index];
    this.commits.flush();
    const first = this.selectFirst.get(index)?.first ?? null;
    const lastEnqueuedSequenceNumber = nextSequenceNumber - 1;
    return {
      partitionId,
      beginSequenceNumber: first ?? nextSequenceNumber,
      lastEnqueuedSequenceNumber,
      lastEnqueuedOffset: String(lastEnqueuedSequenceNumber),
      lastEnqueuedTimeUtc,
      isEmpty: first === null,
    };
  }

  purgeOlderThan(cutoffMs: number): number {
    return this.commits.transaction(() => {
      let deleted = 0;
      this.heads.forEach((head, index) => {
        // Remember the high-water mark first: the purge may delete the very event it is derived from.
        this.saveHead.run(index, head.nextSequenceNumber, head.lastEnqueuedTimeUtc);
        deleted += this.deleteBefore.run(index, cutoffMs).changes;
      });
      return deleted;
    });
  }

  private indexOf(partitionId: string): number {
    const index = /^(0|[1-9]\d*)$/.test(partitionId) ? Number(partitionId) : -1;
    if (index < 0 || index >= this.heads.length) {
      throw new Error(`Unknown partition id '${partitionId}' (this event log has partitions 0..${this.heads.length - 1}).`);
    }
    return index;
  }

  private checkPartitionCount(partitionCount: number): void {
    const stored = new Settings(this.db).getOrInit('partition_count', String(partitionCount));
    if (Number(stored) !== partitionCount) {
      throw new Error(
        `The event log ${this.file} has ${stored} partitions, but ${partitionCount} were asked for; ` +
          `an existing hub cannot be repartitioned. Keep the partition count at ${stored}, or start afresh ` +
          `(losing the stored events) by stopping the hub and deleting ${this.file} with its -wal and -shm files.`,
      );
    }
  }

  private loadHeads(partitionCount: number): PartitionHead[] {
    const saved = this.db.prepare('SELECT partition_id, next_sequence_number, last_enqueued_time FROM partitions').all() as {
      partition_id: number;
      next_sequence_number: number;
      last_enqueued_time: number;
    }[];
    const newest = this.db.prepare(
      'SELECT sequence_number, enqueued_time FROM events WHERE partition_id = ? ORDER BY sequence_number DESC LIMIT 1',
    ) as Database.Statement<[number], { sequence_number: number; enqueued_time: number }>;
    return Array.from({ length: partitionCount }, (_, index) => {
      const mark = saved.find((row) => row.partition_id === index);
      const last = newest.get(index);
      return {
        nextSequenceNumber: Math.max(mark?.next_sequence_number ?? 0, last ? last.sequence_number + 1 : 0),
        lastEnqueuedTimeUtc: Math.max(mark?.last_enqueued_time ?? 0, last?.enqueued_time ?? 0),
      };
    });
  }
}

function toStoredEvent(partitionId: string, row: EventRow): StoredEvent {
  return {
    partitionId,
    sequenceNumber: row.sequence_number,
    offset: String(row.sequence_number),
    enqueuedTimeUtc: row.enqueued_time,
    partitionKey: row.partition_key,
    body: row.body,
    properties: JSON.parse(row.properties) as Record<string, AmqpScalar>,
    annotations: JSON.parse(row.annotations) as Record<string, AmqpScalar>,
    amqpProperties: JSON.parse(row.amqp_properties) as StoredEvent['amqpProperties'],
  };
}
