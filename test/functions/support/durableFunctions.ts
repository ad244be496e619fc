/**
 * The app's orchestrators and entities as the Functions host runs them: registered through
 * durable-functions' public df.app API (which wraps the handler in the library's orchestrator or
 * entity runner), handed the trigger payload the dev host's engine builds, parsed as
 * @azure/functions parses a string trigger.
 */
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { EntityContext, OrchestrationHandler } from 'durable-functions';
import { entityTriggerPayload, type EntityBatchResult } from '../../../local/host/durable/protocol/entities';
import type { OrchestratorState } from '../../../local/host/durable/protocol/orchestratorActions';
import { registeredHandler } from './functionsCore';

export type OrchestratorFunction = (trigger: unknown, context: InvocationContext) => Promise<OrchestratorState>;
export type EntityFunction = (trigger: unknown, context: InvocationContext) => Promise<EntityBatchResult>;

export function orchestratorFunction(handler: OrchestrationHandler): OrchestratorFunction {
  return registeredHandler((name) => df.app.orchestration(name, handler)) as OrchestratorFunction;
}

export function entityFunction(handler: (context: EntityContext<never>) => void): EntityFunction {
  return registeredHandler((name) => df.app.entity(name, handler as (context: EntityContext<unknown>) => void)) as EntityFunction;
}

/** One operation of a batch; `signal` defaults to true. */
export interface EntityOperation {
  name: string;
  input?: unknown;
  signal?: boolean;
}

/** Runs one batch of operations on the entity `name@key` whose state is `state` (JSON text; undefined: it does not exist). */
export async function runEntityBatch(
  fn: EntityFunction,
  entity: { name: string; key: string; state: string | undefined },
  operations: EntityOperation[],
  logHandler: (...args: unknown[]) => void = () => undefined,
): Promise<EntityBatchResult> {
  const timestamp = new Date().toISOString();
  const requests = operations.map((op, i) => ({
    id: `op-${i}`,
    op: op.name,
    signal: op.signal ?? true,
    ...(op.input === undefined ? {} : { input: JSON.stringify(op.input) }),
    timestamp,
  }));
  const payload = entityTriggerPayload(entity.name, entity.key, entity.state, requests);
  const context = new InvocationContext({ functionName: entity.name, logHandler: (_level, ...args) => logHandler(...args) });
  return fn(JSON.parse(payload) as unknown, context);
}
