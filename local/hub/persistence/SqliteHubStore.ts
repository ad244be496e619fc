import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SharedAccessPolicy } from '../authentication/accessPolicies';
import type { DeviceRecord } from '../registry/deviceRecord';
import { GroupCommit, type CommitCallback } from './GroupCommit';
import type { HubStore } from './HubStore';

const SCHEMA_VERSION = 1;

/** HubStore on SQLite (WAL, synchronous=NORMAL: a crash may lose the last commits, never corrupt). */
export class SqliteHubStore implements HubStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly commits: GroupCommit;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
    // seq keeps creation order across replaces, so listings and query pages are stable.
    this.upsert = this.db.prepare(
      `INSERT INTO devices (device_id, record) VALUES (?, ?)
       ON CONFLICT(device_id) DO UPDATE SET record = excluded.record`,
    );
    this.remove = this.db.prepare('DELETE FROM devices WHERE device_id = ?');
    this.commits = new GroupCommit(this.db);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`The hub data was written by a newer fleetwave (schema ${version}; this one reads ${SCHEMA_VERSION}).`);
    }
    if (version === SCHEMA_VERSION) return;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS devices (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
      );
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
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
