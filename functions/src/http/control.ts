/**
 * POST /api/rollouts/{id}/pause | resume | approve | cancel.
 *
 * A command is recorded in the rollout's control entity (the orchestrations read it when they
 * decide) and the rollout orchestration is woken with a `control` event. 409 when the command does
 * not apply to the rollout as it stands (controlProblem: already paused, not awaiting approval,
 * finished, being canceled …); the entity applies the same rule again when the command arrives, so
 * two operators racing cannot leave it in a contradiction.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { statusOrNull } from '../durableClient';
import { controlEntity } from '../entities/contracts';
import type { EntityOperations } from '../entities/contracts';
import { logEvent } from '../logging';
import { EVENT } from '../orchestrators/contracts';
import type { ControlEvent } from '../orchestrators/contracts';
import { CONTROL_OPERATIONS, controlProblem, displayState, initialControlState } from '../rollout';
import type { ControlOperation, RolloutControlState } from '../rollout';
import { conflict, json, notFound } from './apiResponses';
import { apiRoute } from './apiRoute';
import { rolloutLinks } from './links';
import { rolloutIdOf } from './requestParameters';
import { readEntity } from './rollouts';

export function controlHandler(operation: ControlOperation) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const id = rolloutIdOf(request);
    if (!id.ok) return id.response;
    const client = df.getClient(context);
    let state = await readEntity<RolloutControlState>(client, controlEntity(id.id));
    if (state === null) {
      // No command and no phase recorded yet: a rollout that just started, or none at all.
      if ((await statusOrNull(client, id.id)) === null) return notFound(`No rollout ${id.id}.`);
      state = initialControlState();
    }
    const problem = controlProblem(state, operation);
    if (problem !== null) {
      return conflict(`Cannot ${operation} rollout ${id.id}: ${problem}.`, {
        id: id.id,
        state: displayState(state),
        phase: state.phase,
      });
    }
    const at = new Date().toISOString();
    const command: EntityOperations['rolloutControl']['command'] = { operation, at };
    await client.signalEntity(controlEntity(id.id), 'command', command);
    const wakeUp: ControlEvent = { operation, requestedAt: at };
    try {
      await client.raiseEvent(id.id, EVENT.control, wakeUp);
    } catch (error) {
      // The command is recorded; a rollout that cannot be woken reads it at its next decision.
      logEvent(context, 'warn', 'http.wakeUpFailed', {
        rolloutId: id.id,
        operation,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    logEvent(context, 'info', 'http.rolloutCommand', { rolloutId: id.id, operation, wave: state.wave ?? undefined });
    const links = rolloutLinks(request, id.id);
    return json(202, { id: id.id, operation, accepted: true, links }, { location: links.status });
  };
}

const NAMES: Record<ControlOperation, string> = {
  pause: 'pauseRollout',
  resume: 'resumeRollout',
  approve: 'approveRollout',
  cancel: 'cancelRollout',
};

for (const operation of CONTROL_OPERATIONS) apiRoute(NAMES[operation], `rollouts/{id}/${operation}`, ['POST'], controlHandler(operation));
