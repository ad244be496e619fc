import type Database from 'better-sqlite3';
import { GroupCommit } from './GroupCommit';
import { openDatabase, type Schema } from './openDatabase';

/** What every fleetwave SQLite store starts from: its file opened by openDatabase, with a group commit over it. */
export abstract class SqliteStore {
  protected readonly db: Database.Database;
  protected readonly commits: GroupCommit;

  protected constructor(file: string, schema: Schema) {
    this.db = openDatabase(file, schema);
    this.commits = new GroupCommit(this.db);
  }

  /** Calls back once every write so far is durable, or with the error that rolled them back. */
  afterCommit(callback: (error?: Error) => void): void {
    this.commits.committed().then(() => callback(), callback);
  }

  /** Commits what is still pending, then closes the file. */
  close(): void {
    this.commits.flush();
    this.db.close();
  }
}
