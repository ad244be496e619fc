import type { Schema } from '../../../sqlite/openDatabase';
import { RowMapping, type Row } from '../../../sqlite/RowMapping';
import { SqliteStore } from '../../../sqlite/SqliteStore';
import type { ActivityRecord, EntityRecord, InstanceQuery, InstanceRecord, MessageRecord, StoreWrite } from './records';

/** The schema, created in one go on a new file. */
const SCHEMA: Schema = {
  what: 'The task hub',
  version: 1,
  sql: `
      CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version TEXT,
        execution_id TEXT NOT NULL,
        runtime_status TEXT NOT NULL,
        input TEXT,
        output TEXT,
        custom_status TEXT,
        created_at INTEGER NOT NULL,
        last_updated_at INTEGER NOT NULL,
        completed_at INTEGER,
        parent_instance_id TEXT,
        parent_execution_id TEXT,
        parent_task_id INTEGER,
        history_length INTEGER NOT NULL,
        next_event_id INTEGER NOT NULL,
        actions_done INTEGER NOT NULL
      );
      CREATE INDEX instances_by_created ON instances (created_at, instance_id);
      CREATE TABLE history (
        instance_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (instance_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id TEXT NOT NULL,
        execution_id TEXT,
        visible_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX messages_by_instance ON messages (instance_id, visible_at);
      CREATE INDEX messages_by_visible_at ON messages (visible_at);
      CREATE TABLE activities (
        instance_id TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        task_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        input TEXT,
        PRIMARY KEY (instance_id, execution_id, task_id)
      );
      CREATE TABLE retries (
        instance_id TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        pending_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (instance_id, pending_id)
      ) WITHOUT ROWID;
      CREATE TABLE entities (
        entity_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT,
        last_modified_at INTEGER NOT NULL
      )
`,
};

const INSTANCE = new RowMapping<InstanceRecord>({
  instanceId: true,
  name: true,
  version: true,
  executionId: true,
  runtimeStatus: true,
  input: true,
  output: true,
  customStatus: true,
  createdAt: true,
  lastUpdatedAt: true,
  completedAt: true,
  parentInstanceId: true,
  parentExecutionId: true,
  parentTaskId: true,
  historyLength: true,
  nextEventId: true,
  actionsDone: true,
});
const MESSAGE = new RowMapping<MessageRecord>({ id: true, instanceId: true, executionId: true, visibleAt: true, body: true });
const ACTIVITY = new RowMapping<ActivityRecord>({ instanceId: true, executionId: true, taskId: true, name: true, input: true });
const ENTITY = new RowMapping<EntityRecord>({ entityId: true, name: true, key: true, state: true, lastModifiedAt: true });

/**
 * The task hub in SQLite (WAL). Every state change of the engine is one StoreWrite: history events,
 * instance state, consumed and new messages, work items and timers go in together, so a crash at
 * any moment leaves either all of a change or none of it. Writes are group-committed, and every
 * read first commits what is pending, so nobody reads around a write that is still waiting.
 */
export class TaskHubStore extends SqliteStore {
  private readonly statements;

  constructor(file: string) {
    super(file, SCHEMA);
    const db = this.db;
    this.statements = {
      upsertInstance: db.prepare<[Row]>(INSTANCE.upsertSql('instances', 'instanceId')),
      getInstance: db.prepare<[string], Row>('SELECT * FROM instances WHERE instance_id = ?'),
      deleteInstance: db.prepare<[string]>('DELETE FROM instances WHERE instance_id = ?'),
      history: db.prepare<[string], { event: string }>('SELECT event FROM history WHERE instance_id = ? ORDER BY seq'),
      appendHistory: db.prepare<[string, number, string]>('INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)'),
      clearHistory: db.prepare<[string]>('DELETE FROM history WHERE instance_id = ?'),
      visibleMessages: db.prepare<[string, number], Row>(
        'SELECT id, instance_id, execution_id, visible_at, body FROM messages WHERE instance_id = ? AND visible_at <= ? ORDER BY id',
      ),
      hasVisibleMessagesAfter: db.prepare<[string, number, number], { one: number }>(
        'SELECT 1 AS one FROM messages WHERE instance_id = ? AND visible_at <= ? AND id > ? LIMIT 1',
      ),
      readyInstances: db.prepare<[number], { instance_id: string }>('SELECT DISTINCT instance_id FROM messages WHERE visible_at <= ?'),
      nextVisibleAt: db.prepare<[number], { at: number | null }>('SELECT MIN(visible_at) AS at FROM messages WHERE visible_at > ?'),
      addMessage: db.prepare<[string, string | null, number, string]>(
        'INSERT INTO messages (instance_id, execution_id, visible_at, body) VALUES (?, ?, ?, ?)',
      ),
      deleteMessage: db.prepare<[number]>('DELETE FROM messages WHERE id = ?'),
      deleteMessagesOf: db.prepare<[string]>('DELETE FROM messages WHERE instance_id = ?'),
      activities: db.prepare<[], Row>('SELECT instance_id, execution_id, task_id, name, input FROM activities ORDER BY rowid'),
      addActivity: db.prepare<[string, string, number, string, string | null]>(
        'INSERT OR IGNORE INTO activities (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteActivity: db.prepare<[string, string, number]>(
        'DELETE FROM activities WHERE instance_id = ? AND execution_id = ? AND task_id = ?',
      ),
      deleteActivitiesOf: db.prepare<[string]>('DELETE FROM activities WHERE instance_id = ?'),
      retries: db.prepare<[string, string], { pending_id: number; state: string }>(
        'SELECT pending_id, state FROM retries WHERE instance_id = ? AND execution_id = ?',
      ),
      putRetry: db.prepare<[string, string, number, string]>(
        'INSERT INTO retries (instance_id, execution_id, pending_id, state) VALUES (?, ?, ?, ?) ON CONFLICT(instance_id, pending_id) DO UPDATE SET execution_id = excluded.execution_id, state = excluded.state',
      ),
      deleteRetry: db.prepare<[string, number]>('DELETE FROM retries WHERE instance_id = ? AND pending_id = ?'),
      deleteRetriesOf: db.prepare<[string]>('DELETE FROM retries WHERE instance_id = ?'),
      getEntity: db.prepare<[string], Row>('SELECT entity_id, name, key, state, last_modified_at FROM entities WHERE entity_id = ?'),
      putEntity: db.prepare<[string, string, string, string | null, number]>(
        'INSERT INTO entities (entity_id, name, key, state, last_modified_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(entity_id) DO UPDATE SET state = excluded.state, last_modified_at = excluded.last_modified_at',
      ),
    };
  }

  /** Queues the change for the next group commit; resolves once it is durable, rejects if it was rolled back. */
  commit(write: StoreWrite): Promise<void> {
    this.commits.add(() => this.apply(write));
    return this.commits.committed();
  }

  /** Commits the change at once, after whatever is pending (a client's request answered only once it is durable). */
  commitNow(write: StoreWrite): void {
    this.commits.transaction(() => this.apply(write));
  }

  private apply(write: StoreWrite): void {
    const s = this.statements;
    for (const id of write.clearHistoryOf ?? []) s.clearHistory.run(id);
    for (const id of write.deleteMessagesOf ?? []) s.deleteMessagesOf.run(id);
    for (const id of write.deleteActivitiesOf ?? []) s.deleteActivitiesOf.run(id);
    for (const id of write.deleteRetriesOf ?? []) s.deleteRetriesOf.run(id);
    for (const instance of write.upsertInstances ?? []) s.upsertInstance.run(INSTANCE.toRow(instance));
    for (const { instanceId, fromSeq, events } of write.appendHistory ?? []) {
      events.forEach((event, i) => s.appendHistory.run(instanceId, fromSeq + i, event));
    }
    for (const id of write.deleteMessages ?? []) s.deleteMessage.run(id);
    for (const m of write.addMessages ?? []) s.addMessage.run(m.instanceId, m.executionId, m.visibleAt, m.body);
    for (const a of write.deleteActivities ?? []) s.deleteActivity.run(a.instanceId, a.executionId, a.taskId);
    for (const a of write.addActivities ?? []) s.addActivity.run(a.instanceId, a.executionId, a.taskId, a.name, a.input);
    for (const r of write.deleteRetries ?? []) s.deleteRetry.run(r.instanceId, r.pendingId);
    for (const r of write.putRetries ?? []) s.putRetry.run(r.instanceId, r.executionId, r.pendingId, r.state);
    for (const e of write.putEntities ?? []) s.putEntity.run(e.entityId, e.name, e.key, e.state, e.lastModifiedAt);
  }

  getInstance(instanceId: string): InstanceRecord | undefined {
    this.commits.flush();
    const row = this.statements.getInstance.get(instanceId);
    return row && INSTANCE.fromRow(row);
  }

  /** The current execution's history, each event as the JSON text it was stored as. */
  history(instanceId: string): string[] {
    this.commits.flush();
    return this.statements.history.all(instanceId).map((row) => row.event);
  }

  visibleMessages(instanceId: string, now: number): MessageRecord[] {
    this.commits.flush();
    return this.statements.visibleMessages.all(instanceId, now).map((row) => MESSAGE.fromRow(row));
  }

  /** Whether messages other than those up to `afterId` (already looked at) are visible now. */
  hasVisibleMessagesAfter(instanceId: string, now: number, afterId: number): boolean {
    this.commits.flush();
    return this.statements.hasVisibleMessagesAfter.get(instanceId, now, afterId) !== undefined;
  }

  /** Instances (and entities) with messages to process now. */
  readyInstanceIds(now: number): string[] {
    this.commits.flush();
    return this.statements.readyInstances.all(now).map((row) => row.instance_id);
  }

  /** When the next message (a timer, a delayed retry) becomes visible; undefined if none waits. */
  nextVisibleAt(now: number): number | undefined {
    this.commits.flush();
    return this.statements.nextVisibleAt.get(now)?.at ?? undefined;
  }

  activities(): ActivityRecord[] {
    this.commits.flush();
    return this.statements.activities.all().map((row) => ACTIVITY.fromRow(row));
  }

  retries(instanceId: string, executionId: string): Map<number, string> {
    this.commits.flush();
    return new Map(this.statements.retries.all(instanceId, executionId).map((row) => [row.pending_id, row.state]));
  }

  getEntity(entityId: string): EntityRecord | undefined {
    this.commits.flush();
    const row = this.statements.getEntity.get(entityId);
    return row && ENTITY.fromRow(row);
  }

  /** Instances matching the query, oldest first, after the `after` cursor (created_at, instance_id). */
  queryInstances(query: InstanceQuery, limit: number, after?: { createdAt: number; instanceId: string }): InstanceRecord[] {
    this.commits.flush();
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.createdFrom !== undefined) {
      where.push('created_at >= ?');
      params.push(query.createdFrom);
    }
    if (query.createdTo !== undefined) {
      where.push('created_at <= ?');
      params.push(query.createdTo);
    }
    if (query.statuses && query.statuses.length > 0) {
      where.push(`runtime_status IN (${query.statuses.map(() => '?').join(', ')})`);
      params.push(...query.statuses);
    }
    if (query.instanceIdPrefix) {
      where.push('substr(instance_id, 1, ?) = ?');
      params.push(query.instanceIdPrefix.length, query.instanceIdPrefix);
    }
    if (after) {
      where.push('(created_at > ? OR (created_at = ? AND instance_id > ?))');
      params.push(after.createdAt, after.createdAt, after.instanceId);
    }
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, instance_id LIMIT ?`;
    return (this.db.prepare(sql).all(...params, limit) as Row[]).map((row) => INSTANCE.fromRow(row));
  }

  /** Deletes an instance with its history, messages, work items and retries. */
  purgeInstance(instanceId: string): void {
    const s = this.statements;
    this.commits.transaction(() => {
      s.deleteInstance.run(instanceId);
      s.clearHistory.run(instanceId);
      s.deleteMessagesOf.run(instanceId);
      s.deleteActivitiesOf.run(instanceId);
      s.deleteRetriesOf.run(instanceId);
    });
  }
}
