/**
 * Entity hubBudget@hub: the hub-wide budget for starting device updates (rollout/hubBudget.ts).
 * Called by every batch orchestration of a rollout paced to the hub's tier before it calls the
 * firmwareUpdate method (reserve), and signalled when the hub answered 429 (throttled).
 */
import * as df from 'durable-functions';
import { reserve, throttled } from '../rollout';
import type { BudgetRequest, HubBudgetState } from '../rollout';
import { ENTITY } from './contracts';
import { isRecord } from '../../../contracts/guards';
import { entityHandler } from './entityState';

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isRate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

export const hubBudgetEntity = entityHandler<HubBudgetState | null>(() => null, {
  reserve: (state, input) => {
    if (!isRecord(input) || !isCount(input.want) || !isCount(input.at) || !isRate(input.ceiling))
      return { result: { granted: 0, retryAt: null } };
    const outcome = reserve(state, input as unknown as BudgetRequest);
    return { state: outcome.state, result: outcome.grant };
  },
  throttled: (state, input) => {
    if (!isRecord(input) || !isCount(input.at) || !isRate(input.ceiling)) return {};
    return { state: throttled(state, input.at, input.ceiling) };
  },
});

df.app.entity(ENTITY.hubBudget, hubBudgetEntity);
