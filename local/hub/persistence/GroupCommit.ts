import type Database from 'better-sqlite3';

export type CommitCallback = (error?: Error) => void;

/**
 * Group commit: the writes made during one turn of the event loop go to SQLite in a single
 * transaction, so a burst of device messages costs one commit instead of one each. Whoever must
 * not act before the data is durable (an acknowledgement, a delivery) waits with afterCommit.
 */
export class GroupCommit {
  private writes: (() => void)[] = [];
  private callbacks: CommitCallback[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {}

  add(write: () => void): void {
    this.writes.push(write);
    this.schedule();
  }

  /** Runs once everything added so far is committed (at once when nothing is pending). */
  afterCommit(callback: CommitCallback): void {
    if (this.writes.length === 0) {
      queueMicrotask(() => callback());
      return;
    }
    this.callbacks.push(callback);
  }

  /** Commits what is pending now; reads call it first so they see every write. */
  flush(): void {
    if (this.writes.length === 0) return;
    const writes = this.writes;
    const callbacks = this.callbacks;
    this.writes = [];
    this.callbacks = [];
    let failure: Error | undefined;
    try {
      this.db.transaction(() => writes.forEach((write) => write()))();
    } catch (error) {
      failure = error as Error;
    }
    for (const callback of callbacks) callback(failure);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
