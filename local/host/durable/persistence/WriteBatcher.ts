import type { StoreWrite } from './records';
import type { TaskHubStore } from './TaskHubStore';

/**
 * Group commit: writes handed in during one turn of the event loop go to SQLite in one
 * transaction, so a burst of activity results costs one commit, not one each. Each write's
 * promise settles once it is durable (or failed), so nothing acts on it before.
 */
export class WriteBatcher {
  private pending: { write: StoreWrite; resolve: () => void; reject: (error: Error) => void }[] = [];
  private scheduled = false;

  constructor(private readonly store: TaskHubStore) {}

  commit(write: StoreWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /** Commits what is waiting now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.store.commitAll(batch.map((entry) => entry.write));
    } catch (error) {
      for (const entry of batch) entry.reject(error as Error);
      return;
    }
    for (const entry of batch) entry.resolve();
  }
}
