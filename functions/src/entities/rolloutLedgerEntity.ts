/**
 * Entity rolloutLedger@<rolloutId>: the rollout's counts per wave (rollout/rolloutLedger.ts), for
 * GET /api/rollouts/{id}. Written by the rollout orchestration (plan, wave states and final
 * totals) and by the device shards (device moves; malformed ones are dropped).
 */
import * as df from 'durable-functions';
import {
  DEVICE_ROLLOUT_STATES,
  WAVE_PASSES,
  WAVE_STATES,
  applyMoves,
  beginAttempt,
  finishWave,
  isDeviceMove,
  isRetryOperation,
  planLedger,
  setWaveState,
  totalsOf,
  updateContinuousWave,
} from '../rollout';
import type { RolloutLedgerState, Totals, WavePass, WaveState } from '../rollout';
import { ENTITY } from './contracts';
import type { EntityOperations } from './contracts';
import { isRecord } from '../../../contracts/guards';
import { entityHandler } from './entityState';

type Ops = EntityOperations['rolloutLedger'];
/** No ledger until the rollout is planned. */
type Ledger = RolloutLedgerState | null;

const isWaveState = (value: unknown): value is WaveState => (WAVE_STATES as readonly unknown[]).includes(value);
const isWavePass = (value: unknown): value is WavePass => (WAVE_PASSES as readonly unknown[]).includes(value);
/** Counts per device state from untyped JSON: anything but a non-negative integer counts 0. */
const countsOf = (value: unknown): Totals =>
  totalsOf(
    Object.fromEntries(
      DEVICE_ROLLOUT_STATES.map((state) => [
        state,
        isRecord(value) && Number.isSafeInteger(value[state]) ? Math.max(0, value[state] as number) : 0,
      ]),
    ),
  );

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
    return { state: setWaveState(state, op.index, op.state, op.at, isWavePass(op.pass) ? op.pass : undefined) };
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
  continuousWave: (state, input) => {
    const count = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
    if (state === null || !isRecord(input) || !count(input.index) || !count(input.added) || !count(input.skipped)) return {};
    if (typeof input.at !== 'string' || (input.rescanAt !== null && typeof input.rescanAt !== 'string')) return {};
    const op = input as unknown as Ops['continuousWave'];
    return { state: updateContinuousWave(state, op, op.at) };
  },
  beginAttempt: (state, input) => {
    const waves = isRecord(input) && Array.isArray(input.waves) ? input.waves.map(countsOf) : null;
    if (state === null || !isRetryOperation(input) || waves === null) return { result: null };
    const { ledger, outside } = beginAttempt(state, { ...input, waves });
    return { state: ledger, result: outside };
  },
});

df.app.entity(ENTITY.ledger, rolloutLedgerEntity);
