/**
 * Small helpers around durable-functions' DurableClient that the HTTP API, the event handler and
 * the sendEvent activity share.
 */
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

/**
 * durable-functions builds request paths as `instances/${instanceId}` without encoding, and the
 * Durable HTTP API decodes the path. Device instance ids may contain `%` (IoT Hub allows it in
 * device ids), which would then be read as an escape, so it is sent as `%25`. Every other
 * character a device instance id may hold is path-safe (`#` and `?` are already swapped for `~`
 * and `^` by the instance-id scheme).
 */
export function clientInstanceId(instanceId: string): string {
  return instanceId.replace(/%/g, '%25');
}

/** The instance's status, or null when the task hub has no such instance (the client throws on 404). */
export async function statusOrNull(client: DurableClient, instanceId: string): Promise<DurableOrchestrationStatus | null> {
  try {
    return await client.getStatus(clientInstanceId(instanceId));
  } catch (error) {
    if (error instanceof Error && /HTTP 404/.test(error.message)) return null;
    throw error;
  }
}
