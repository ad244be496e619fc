import { openDatabase, type Schema } from '../../sqlite/openDatabase';
import Database from 'better-sqlite3';
import type { SharedAccessPolicy } from '../authentication/accessPolicies';
import type { DeviceRecord } from '../registry/deviceRecord';
import { GroupCommit, type CommitCallback } from './GroupCommit';
import type { HubStore } from './HubStore';

const SCHEMA_VERSION = 1;

/** The schema, created in one go on a new file. */
const SCHEMA: Schema = {
  what: 'The hub data',
  version: SCHEMA_VERSION,
  sql: `
      CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS devices (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
      )
`,
};

/** HubStore on SQLite (WAL, synchronous=NORMAL: a crash may lose the last commits, never corrupt). */
export class SqliteHubStore implements HubStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly commits: GroupCommit;

  constructor(file: string) {
    this.db = openDatabase(file, SCHEMA);
    // seq keeps creation order across replaces, so listings and query pages are stable.
    this.upsert = this.db.prepare(
      `INSERT INTO devices (device_id, record) VALUES (?, ?)
       ON CONFLICT(device_id) DO UPDATE SET record = excluded.record`,
    );
    this.remove = this.db.prepare('DELETE FROM devices WHERE device_id = ?');
    this.commits = new GroupCommit(this.db);
  }

  loadPolicies(): SharedAccessPolicy[] | undefined {
    const row = this.db.prepare("SELECT value FROM settings WHERE name = 'policies'").get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as SharedAccessPolicy[]) : undefined;
  }

  savePolicies(policies: SharedAccessPolicy[]): void {
    this.db
      .prepare("INSERT INTO settings (name, value) VALUES ('policies', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
      .run(JSON.stringify(policies));
  }

  createdAtMs(): number {
    this.db.prepare("INSERT OR IGNORE INTO settings (name, value) VALUES ('createdAt', ?)").run(String(Date.now()));
    const row = this.db.prepare("SELECT value FROM settings WHERE name = 'createdAt'").get() as { value: string };
    return Number(row.value);
  }

  loadDevices(): DeviceRecord[] {
    this.commits.flush();
    const rows = this.db.prepare('SELECT record FROM devices ORDER BY seq').all() as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as DeviceRecord);
  }

  putDevices(records: DeviceRecord[]): void {
    // Serialised now: the record may change again before the commit.
    const rows = records.map((record) => [record.identity.deviceId, JSON.stringify(record)] as const);
    this.commits.add(() => rows.forEach((row) => this.upsert.run(...row)));
  }

  deleteDevices(deviceIds: string[]): void {
    const ids = [...deviceIds];
    this.commits.add(() => ids.forEach((id) => this.remove.run(id)));
  }

  afterCommit(callback: CommitCallback): void {
    this.commits.afterCommit(callback);
  }

  close(): void {
    this.commits.flush();
    this.db.close();
  }
}
