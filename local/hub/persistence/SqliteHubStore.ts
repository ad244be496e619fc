import type Database from 'better-sqlite3';
import type { Schema } from '../../sqlite/openDatabase';
import { Settings, SETTINGS_TABLE } from '../../sqlite/Settings';
import { SqliteStore } from '../../sqlite/SqliteStore';
import type { SharedAccessPolicy } from '../authentication/accessPolicies';
import type { DeviceRecord } from '../registry/deviceRecord';
import type { HubStore } from './HubStore';

/** The schema, created in one go on a new file. */
const SCHEMA: Schema = {
  what: 'The hub data',
  version: 1,
  sql: `
      ${SETTINGS_TABLE};
      CREATE TABLE IF NOT EXISTS devices (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL UNIQUE,
        record TEXT NOT NULL
      )
`,
};

/** HubStore on SQLite (WAL, synchronous=NORMAL: a crash may lose the last commits, never corrupt). */
export class SqliteHubStore extends SqliteStore implements HubStore {
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly settings = new Settings(this.db);

  constructor(file: string) {
    super(file, SCHEMA);
    // seq keeps creation order across replaces, so listings and query pages are stable.
    this.upsert = this.db.prepare(
      `INSERT INTO devices (device_id, record) VALUES (?, ?)
       ON CONFLICT(device_id) DO UPDATE SET record = excluded.record`,
    );
    this.remove = this.db.prepare('DELETE FROM devices WHERE device_id = ?');
  }

  loadPolicies(): SharedAccessPolicy[] | undefined {
    const policies = this.settings.get('policies');
    return policies === undefined ? undefined : (JSON.parse(policies) as SharedAccessPolicy[]);
  }

  savePolicies(policies: SharedAccessPolicy[]): void {
    this.settings.set('policies', JSON.stringify(policies));
  }

  createdAtMs(): number {
    return Number(this.settings.getOrInit('createdAt', String(Date.now())));
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
}
