/**
 * Entity rolloutLedger@<rolloutId>: the rollout's counts per wave (rollout/rolloutLedger.ts), for
 * GET /api/rollouts/{id}. Written by the rollout orchestration (plan, wave states and final
 * totals) and by the device shards (device moves; malformed ones are dropped).
 */
import * as df from 'durable-functions';
import { WAVE_STATES, applyMoves, finishWave, isDeviceMove, planLedger, setWaveState } from '../rollout';
import type { RolloutLedgerState, WaveState } from '../rollout';
import { ENTITY } from './contracts';
import type { EntityOperations } from './contracts';
import { isRecord } from '../../../contracts/guards';
import { entityHandler } from './entityState';

type Ops = EntityOperations['rolloutLedger'];
/** No ledger until the rollout is planned. */
type Ledger = RolloutLedgerState | null;

const isWaveState = (value: unknown): value is WaveState => (WAVE_STATES as readonly unknown[]).includes(value);

export const rolloutLedgerEntity = entityHandler<Ledger>(() => null, {
  get: (state) => ({ result: state }),
  plan: (state, input) => {
    if (state !== null || !isRecord(input) || !isRecord(input.plan) || typeof input.at !== 'string') return {};
    const { plan, at } = input as Ops['plan'];
    return { state: planLedger(plan, at) };
  },
  waveState: (state, input) => {
    if (state === null || !isRecord(input) || typeof input.index !== 'number' || !isWaveState(input.state)) return {};
    const op = input as Ops['waveState'];
    return { state: setWaveState(state, op.index, op.state, op.at) };
  },
  waveFinal: (state, input) => {
    if (state === null || !isRecord(input) || typeof input.index !== 'number' || !isWaveState(input.state) || !isRecord(input.totals))
      return {};
    const op = input as Ops['waveFinal'];
    return { state: finishWave(state, op.index, op.state, op.totals, op.at) };
  },
  moves: (state, input) => {
    if (state === null || !isRecord(input) || !Array.isArray(input.moves) || typeof input.at !== 'string') return {};
    return { state: applyMoves(state, input.moves.filter(isDeviceMove), input.at) };
  },
});

df.app.entity(ENTITY.ledger, rolloutLedgerEntity);
