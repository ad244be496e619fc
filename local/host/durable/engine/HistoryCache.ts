/**
 * Recent histories as the JSON text of their events, so an episode does not read and re-serialise
 * a long history from SQLite each time. Only this process writes the task hub, and an entry is only
 * used when its length matches the instance row, so it can never replay something stale.
 */
export class HistoryCache {
  private readonly entries = new Map<string, { executionId: string; events: string[]; chars: number }>();
  private totalChars = 0;

  constructor(private readonly maxChars = 64 * 1024 * 1024) {}

  get(instanceId: string, executionId: string, length: number): string[] | undefined {
    const entry = this.entries.get(instanceId);
    if (!entry || entry.executionId !== executionId || entry.events.length !== length) return undefined;
    // Most recently used last, for eviction.
    this.entries.delete(instanceId);
    this.entries.set(instanceId, entry);
    return entry.events;
  }

  set(instanceId: string, executionId: string, events: string[]): void {
    this.delete(instanceId);
    const chars = events.reduce((sum, event) => sum + event.length, 0);
    this.entries.set(instanceId, { executionId, events, chars });
    this.totalChars += chars;
    this.evict();
  }

  /** After a committed episode: its events are now part of the history. */
  append(instanceId: string, executionId: string, events: string[]): void {
    const entry = this.entries.get(instanceId);
    if (!entry || entry.executionId !== executionId) return;
    entry.events.push(...events);
    const chars = events.reduce((sum, event) => sum + event.length, 0);
    entry.chars += chars;
    this.totalChars += chars;
    this.evict();
  }

  delete(instanceId: string): void {
    const entry = this.entries.get(instanceId);
    if (!entry) return;
    this.totalChars -= entry.chars;
    this.entries.delete(instanceId);
  }

  private evict(): void {
    for (const [instanceId] of this.entries) {
      if (this.totalChars <= this.maxChars) return;
      this.delete(instanceId);
    }
  }
}
