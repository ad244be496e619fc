/**
 * The shape every entity here shares: a pure reducer per operation over a JSON state (the rules
 * live in functions/src/rollout, where they are unit-tested), and a thin df.app.entity handler.
 */
import type { EntityContext } from 'durable-functions';
import { logEvent } from '../logging';

export interface OperationOutcome<S> {
  /** The new state; leave out to keep the state as it is. */
  state?: S;
  /** Returned to a caller (callEntity). */
  result?: unknown;
}

export type Operations<S> = Record<string, (state: S, input: unknown, context: EntityContext<S>) => OperationOutcome<S>>;

/** An entity handler from its initial state and operations; unknown operations are logged and ignored. */
export function entityHandler<S>(initial: () => S, operations: Operations<S>): (context: EntityContext<S>) => void {
  return (context) => {
    // A state of JSON null (an entity only ever read) counts as no state.
    const state = context.df.getState(initial) ?? initial();
    const operation = context.df.operationName ?? '';
    const handler = Object.prototype.hasOwnProperty.call(operations, operation) ? operations[operation] : undefined;
    if (handler === undefined) {
      logEvent(context, 'warn', 'entity.unknownOperation', { entity: context.df.entityName, key: context.df.entityKey, operation });
      return;
    }
    const outcome = handler(state, context.df.getInput<unknown>(), context);
    if (outcome.state !== undefined && outcome.state !== state) context.df.setState(outcome.state);
    if ('result' in outcome) context.df.return(outcome.result);
  };
}
