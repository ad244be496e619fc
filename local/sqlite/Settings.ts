import type Database from 'better-sqlite3';

/** The table of named values (policies, creation time, partition count) a store keeps beside its data; part of its schema. */
export const SETTINGS_TABLE = 'CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)';

/** Reads and writes the settings table at once (not group-committed: settings change only at start-up and on admin requests). */
export class Settings {
  private readonly select: Database.Statement<[string], { value: string }>;
  private readonly upsert: Database.Statement<[string, string]>;
  private readonly insertIfAbsent: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.select = db.prepare('SELECT value FROM settings WHERE name = ?');
    this.upsert = db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');
    this.insertIfAbsent = db.prepare('INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)');
  }

  get(name: string): string | undefined {
    return this.select.get(name)?.value;
  }

  set(name: string, value: string): void {
    this.upsert.run(name, value);
  }

  /** The value stored under `name`, after storing `initial` there if nothing was. */
  getOrInit(name: string, initial: string): string {
    this.insertIfAbsent.run(name, initial);
    return this.get(name)!;
  }
}
