import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Schema {
  /** What the file holds, for the error when a newer fleetwave wrote it ("The task hub"). */
  what: string;
  version: number;
  /** Creates the schema from nothing (a file with user_version 0). */
  sql: string;
}

/**
 * Opens (creating if needed) a SQLite file the way every fleetwave store wants it: WAL with
 * synchronous=NORMAL — a killed process loses nothing committed, only a power cut could lose the
 * last commits, and nothing is ever corrupted — and the schema versioned in user_version.
 */
export function openDatabase(file: string, schema: Schema): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > schema.version) {
      throw new Error(`${schema.what} in ${file} was written by a newer fleetwave (schema ${version}; this one reads ${schema.version}).`);
    }
    if (version < schema.version) db.transaction(() => db.exec(`${schema.sql};\nPRAGMA user_version = ${schema.version};`))();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
