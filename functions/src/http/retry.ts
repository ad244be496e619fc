/**
 * POST /api/rollouts/{id}/retry {states?, errorCodes?}: a new attempt of a finished rollout on its
 * devices in those states (default failed and timedOut), through the same waves and policies.
 *
 * The rollout orchestration's instance (id = rollout id) is over, so it is started again under the
 * same id with its input and `retry` (the attempt, the selection), as Durable allows for a finished
 * instance; the new execution puts the devices back to pending and runs them (orchestrators/
 * rollout.ts). 409 (retryProblem) while the rollout is not finished or its instance still runs,
 * and when no device matches: then nothing changes.
 *
 * Two retries at once: the first startNew makes the instance Pending, so the task hub refuses the
 * second (409 from the Durable API, answered as 409 here). What is left is the moment between a
 * request's status read and its startNew: two requests that both read the instance finished before
 * either started it both call startNew, and the task hub takes one after the other. Both carry the
 * same attempt number, and each step of an attempt applies once per number (control entity, ledger,
 * shards), so a second execution of it changes no counts.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { statusOrNull } from '../durableClient';
import { controlEntity, ledgerEntity, shardEntity } from '../entities/contracts';
import { logEvent } from '../logging';
import { mapBounded } from '../mapBounded';
import { ORCHESTRATION } from '../orchestrators/contracts';
import type { RolloutInput } from '../orchestrators/rollout';
import {
  BODY_FIELD,
  describeSelection,
  displayState,
  initialControlState,
  isRetriedRecord,
  parseRetryRequest,
  retryProblem,
} from '../rollout';
import type { DeviceShardState, RetryAccepted, RetrySelection, RolloutControlState, RolloutLedgerState } from '../rollout';
import { conflict, json, notFound, validationFailed } from './apiResponses';
import { apiRoute } from './apiRoute';
import { rolloutLinks } from './links';
import { rolloutIdOf } from './requestParameters';
import { readEntity } from './rollouts';

/** Shard reads in flight while counting the devices a retry would take. */
const SHARD_READ_CONCURRENCY = 10;
const FINISHED_RUNTIME_STATUSES: readonly string[] = ['Completed', 'Failed', 'Terminated'];

export async function retryRollout(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const id = rolloutIdOf(request);
  if (!id.ok) return id.response;
  const text = await request.text();
  let body: unknown;
  try {
    body = text.trim() === '' ? undefined : JSON.parse(text);
  } catch (error) {
    return validationFailed([
      { field: BODY_FIELD, message: `must be valid JSON (${error instanceof Error ? error.message : String(error)})` },
    ]);
  }
  const parsed = parseRetryRequest(body);
  if (!parsed.ok) return validationFailed(parsed.problems);
  const { selection } = parsed;
  const rolloutId = id.id;

  const client = df.getClient(context);
  const [instance, controlState, ledger] = await Promise.all([
    statusOrNull(client, rolloutId),
    readEntity<RolloutControlState>(client, controlEntity(rolloutId)),
    readEntity<RolloutLedgerState>(client, ledgerEntity(rolloutId)),
  ]);
  if (instance === null) return notFound(`No rollout ${rolloutId}.`);
  const control = controlState ?? initialControlState();
  const attempt = (control.attempt ?? 1) + 1;
  const refuse = (problem: string): HttpResponseInit =>
    conflict(`Cannot retry rollout ${rolloutId}: ${problem}.`, {
      id: rolloutId,
      state: displayState(control),
      phase: control.phase,
      attempt: control.attempt ?? 1,
    });
  const problem =
    retryProblem(control) ??
    (FINISHED_RUNTIME_STATUSES.includes(instance.runtimeStatus)
      ? null
      : 'its orchestration is still running (finishing, or a retry starting)');
  if (problem !== null) return refuse(problem);
  if (ledger === null) return refuse('it never planned its devices');

  const devices = await countRetried(client, rolloutId, ledger.shardCount, selection);
  if (devices === 0) return refuse(`no device of it is ${describeSelection(selection)}`);

  // The rollout's own input: not an earlier retry's, nor a continuous rollout's watch carry (a retry runs the waves, then ends).
  const { retry: _previous, continuous: _watching, ...original } = instance.input as RolloutInput;
  const input: RolloutInput = { ...original, retry: { attempt, ...selection, requestedAt: new Date().toISOString() } };
  try {
    await client.startNew(ORCHESTRATION.rollout, { instanceId: rolloutId, input });
  } catch (error) {
    const raced = await statusOrNull(client, rolloutId);
    if (raced !== null && !FINISHED_RUNTIME_STATUSES.includes(raced.runtimeStatus)) return refuse(`a retry of it is already starting`);
    throw error;
  }
  logEvent(context, 'info', 'http.rolloutRetried', { rolloutId, attempt, devices, states: selection.states.join(',') });
  const links = rolloutLinks(request, rolloutId);
  const accepted: RetryAccepted = { id: rolloutId, attempt, devices, selection, links };
  return json(202, accepted, { location: links.status, 'retry-after': '5' });
}

/** The devices the selection takes, from the rollout's shards (what the retry's own shard operations will find). */
async function countRetried(client: df.DurableClient, rolloutId: string, shardCount: number, selection: RetrySelection): Promise<number> {
  const shards = Array.from({ length: shardCount }, (_, shard) => shard);
  const counts = await mapBounded(shards, SHARD_READ_CONCURRENCY, async (shard) => {
    const rows = (await readEntity<DeviceShardState>(client, shardEntity(rolloutId, shard)))?.rows ?? [];
    return rows.filter((row) => isRetriedRecord(selection, row)).length;
  });
  return counts.reduce((sum, count) => sum + count, 0);
}

apiRoute('retryRollout', 'rollouts/{id}/retry', ['POST'], retryRollout);
