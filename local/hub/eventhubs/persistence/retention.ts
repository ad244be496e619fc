import type { EventLog } from './EventLog';

/**
 * Purges events older than retentionMs now and then every intervalMs. The timer is unref'd so it
 * never keeps the process alive. Call the returned stop function before closing the log.
 */
export function startRetention(log: EventLog, retentionMs: number, intervalMs: number): () => void {
  const purge = () => log.purgeOlderThan(Date.now() - retentionMs);
  purge();
  const timer = setInterval(purge, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
