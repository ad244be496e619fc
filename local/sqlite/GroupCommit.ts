import type Database from 'better-sqlite3';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Group commit: the writes added during one turn of the event loop go to SQLite in one transaction,
 * so a burst of activity costs one commit instead of one each. Whoever must not act before its data
 * is durable (an acknowledgement, a delivery, the next step of an orchestration) awaits committed().
 *
 * Read-your-writes: the store's reads and direct writes call flush() (or transaction()) first, so a
 * read sees every write added before it and a direct write lands after them, never before.
 */
export class GroupCommit {
  private writes: (() => void)[] = [];
  private waiters: Waiter[] = [];
  private tick?: NodeJS.Immediate;

  constructor(private readonly db: Database.Database) {}

  /** Queues a write for the next commit: after pending I/O, or at the next flush(). */
  add(write: () => void): void {
    this.writes.push(write);
    this.tick ??= setImmediate(() => this.flush());
  }

  /** Resolves once everything added so far is committed; rejects with the error that rolled it back. */
  committed(): Promise<void> {
    if (this.writes.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Commits every pending write in one transaction: all of them or, when one throws, none. The
   * waiters settle afterwards as promises do, never inside flush(), so a read that flushes never
   * runs a waiter's code in the middle of its own.
   */
  flush(): void {
    clearImmediate(this.tick);
    this.tick = undefined;
    if (this.writes.length === 0) return;
    const { writes, waiters } = this;
    this.writes = [];
    this.waiters = [];
    try {
      this.db.transaction(() => writes.forEach((write) => write()))();
    } catch (error) {
      waiters.forEach((waiter) => waiter.reject(error as Error));
      return;
    }
    waiters.forEach((waiter) => waiter.resolve());
  }

  /** Runs `work` in a transaction of its own, after every pending write; throws what it throws. */
  transaction<T>(work: () => T): T {
    this.flush();
    return this.db.transaction(work)();
  }
}
