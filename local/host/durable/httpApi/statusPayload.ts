import { fromJsonText } from '../protocol/historyEvents';
import type { InstanceRecord } from '../persistence/records';

/** DurableOrchestrationStatus as the Durable HTTP API returns it. */
export function statusPayload(
  instance: InstanceRecord,
  options: { showInput: boolean; history?: Record<string, unknown>[] },
): Record<string, unknown> {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    input: options.showInput ? fromJsonText(instance.input) : null,
    customStatus: fromJsonText(instance.customStatus),
    output: fromJsonText(instance.output),
    createdTime: isoSeconds(instance.createdAt),
    lastUpdatedTime: isoSeconds(instance.lastUpdatedAt),
    // The extension calls it historyEvents; durable-functions' status object reads `history`.
    ...(options.history ? { historyEvents: options.history, history: options.history } : {}),
  };
}

/** Timestamps as the extension prints them: ISO 8601, whole seconds, UTC. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
