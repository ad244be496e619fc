/**
 * Small helpers around durable-functions' DurableClient for the HTTP API. (Instance ids are built
 * from rollout ids and indexes only, so they are path-safe as they are: durable-functions puts
 * them in request paths unencoded.)
 */
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

/** The instance's status, or null when the task hub has no such instance (the client throws on 404). */
export async function statusOrNull(client: DurableClient, instanceId: string): Promise<DurableOrchestrationStatus | null> {
  try {
    return await client.getStatus(instanceId);
  } catch (error) {
    if (error instanceof Error && /HTTP 404/.test(error.message)) return null;
    throw error;
  }
}
