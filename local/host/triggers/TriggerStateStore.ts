import type { Schema } from '../../sqlite/openDatabase';
import { SqliteStore } from '../../sqlite/SqliteStore';

/** The schema, created in one go on a new file. */
const SCHEMA: Schema = {
  what: 'The trigger state',
  version: 1,
  sql: `
      CREATE TABLE checkpoints (
        function_name TEXT NOT NULL,
        namespace TEXT NOT NULL,
        event_hub TEXT NOT NULL,
        consumer_group TEXT NOT NULL,
        partition_id TEXT NOT NULL,
        sequence_number INTEGER NOT NULL,
        offset TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (function_name, namespace, event_hub, consumer_group, partition_id)
      );
      CREATE TABLE timer_status (function_name TEXT PRIMARY KEY, status TEXT NOT NULL)
`,
};

export interface EventHubCheckpoint {
  sequenceNumber: number;
  offset: string;
}

export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

/** Event Hub checkpoints and timer schedule status, in SQLite (WAL) under the data dir. */
export class TriggerStateStore extends SqliteStore {
  private readonly statements;

  constructor(file: string) {
    super(file, SCHEMA);
    this.statements = {
      getCheckpoint: this.db.prepare<[string, string, string, string, string], { sequence_number: number; offset: string }>(
        'SELECT sequence_number, offset FROM checkpoints WHERE function_name = ? AND namespace = ? AND event_hub = ? AND consumer_group = ? AND partition_id = ?',
      ),
      putCheckpoint: this.db.prepare<[string, string, string, string, string, number, string, number]>(`
        INSERT INTO checkpoints (function_name, namespace, event_hub, consumer_group, partition_id, sequence_number, offset, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (function_name, namespace, event_hub, consumer_group, partition_id)
        DO UPDATE SET sequence_number = excluded.sequence_number, offset = excluded.offset, updated_at = excluded.updated_at`),
      getSchedule: this.db.prepare<[string], { status: string }>('SELECT status FROM timer_status WHERE function_name = ?'),
      putSchedule: this.db.prepare<[string, string]>(
        'INSERT INTO timer_status (function_name, status) VALUES (?, ?) ON CONFLICT (function_name) DO UPDATE SET status = excluded.status',
      ),
    };
  }

  checkpoint(key: CheckpointKey): EventHubCheckpoint | undefined {
    const row = this.statements.getCheckpoint.get(key.functionName, key.namespace, key.eventHub, key.consumerGroup, key.partitionId);
    return row && { sequenceNumber: row.sequence_number, offset: row.offset };
  }

  saveCheckpoint(key: CheckpointKey, checkpoint: EventHubCheckpoint): void {
    this.statements.putCheckpoint.run(
      key.functionName,
      key.namespace,
      key.eventHub,
      key.consumerGroup,
      key.partitionId,
      checkpoint.sequenceNumber,
      checkpoint.offset,
      Date.now(),
    );
  }

  scheduleStatus(functionName: string): ScheduleStatus | undefined {
    const row = this.statements.getSchedule.get(functionName);
    return row && (JSON.parse(row.status) as ScheduleStatus);
  }

  saveScheduleStatus(functionName: string, status: ScheduleStatus): void {
    this.statements.putSchedule.run(functionName, JSON.stringify(status));
  }
}

export interface CheckpointKey {
  functionName: string;
  namespace: string;
  eventHub: string;
  consumerGroup: string;
  partitionId: string;
}
