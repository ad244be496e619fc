/**
 * Entity rolloutCatalog@all: one entry per rollout (rollout/rolloutCatalog.ts), for
 * GET /api/rollouts. Written by the rollout orchestrations: registered when they start, their
 * state as it changes.
 */
import * as df from 'durable-functions';
import { ROLLOUT_STATES, emptyCatalog, registerRollout, updateRolloutState } from '../rollout';
import type { CatalogEntry, RolloutCatalogState, RolloutState } from '../rollout';
import { ENTITY } from './contracts';
import { isRecord } from '../../../contracts/guards';
import { entityHandler } from './entityState';

const isState = (value: unknown): value is RolloutState => (ROLLOUT_STATES as readonly unknown[]).includes(value);

export const rolloutCatalogEntity = entityHandler<RolloutCatalogState>(emptyCatalog, {
  get: (state) => ({ result: state }),
  register: (state, input) => {
    if (!isRecord(input) || typeof input.id !== 'string' || typeof input.createdAt !== 'string' || !isState(input.state)) return {};
    const entry = input as unknown as CatalogEntry;
    return { state: registerRollout(state, entry) };
  },
  state: (state, input) => {
    if (!isRecord(input) || typeof input.id !== 'string' || !isState(input.state) || typeof input.at !== 'string') return {};
    return { state: updateRolloutState(state, input.id, input.state, input.at) };
  },
});

df.app.entity(ENTITY.catalog, rolloutCatalogEntity);
