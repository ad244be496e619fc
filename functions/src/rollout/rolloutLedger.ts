/**
 * A rollout's ledger: the counts behind GET /api/rollouts/{id}, kept by a durable entity.
 *
 * Written by two sources: the rollout orchestration (the plan, wave states, and each wave's final
 * totals) and the device shards (every device state change, as moves from one state to another,
 * a second or so after the device's tracker saw it). A wave's live counts come from the moves; once
 * the wave is over, the orchestration's totals are authoritative (they also count the devices a
 * cancel kept from starting) and later moves for that wave are ignored.
 */
import type { DeviceRolloutState } from './deviceOutcome';
import type { FirmwareSpec, RolloutState, RolloutStatus, Totals, WaveState, WaveStatus } from './rolloutStatus';
import { rolloutStatus, totalsOf, waveStatus } from './rolloutStatus';

export interface LedgerPlan {
  rolloutId: string;
  firmware: FirmwareSpec;
  createdAt: string;
  shardCount: number;
  waves: { index: number; name: string; percent: number; targeted: number }[];
  /** Targets already on the version when the rollout resolved them. */
  skipped: number;
}

export interface RolloutLedgerState {
  rolloutId: string;
  firmware: FirmwareSpec;
  createdAt: string;
  updatedAt: string;
  shardCount: number;
  waves: WaveStatus[];
  /** finalWaves[i]: wave i is over and its totals are the orchestration's. */
  finalWaves: boolean[];
  outsideWaves: Totals;
}

export interface DeviceMove {
  wave: number;
  from: DeviceRolloutState;
  to: DeviceRolloutState;
}

export function planLedger(plan: LedgerPlan, at: string): RolloutLedgerState {
  return {
    rolloutId: plan.rolloutId,
    firmware: plan.firmware,
    createdAt: plan.createdAt,
    updatedAt: at,
    shardCount: plan.shardCount,
    waves: plan.waves.map((wave) => waveStatus(wave, 'pending', totalsOf({ pending: wave.targeted }))),
    finalWaves: plan.waves.map(() => false),
    outsideWaves: totalsOf({ skipped: plan.skipped }),
  };
}

export function setWaveState(ledger: RolloutLedgerState, index: number, state: WaveState, at: string): RolloutLedgerState {
  if (ledger.finalWaves[index] !== false) return ledger;
  return { ...ledger, updatedAt: at, waves: ledger.waves.map((wave) => (wave.index === index ? { ...wave, state } : wave)) };
}

export function finishWave(ledger: RolloutLedgerState, index: number, state: WaveState, totals: Totals, at: string): RolloutLedgerState {
  if (ledger.finalWaves[index] === undefined) return ledger;
  const counts = totalsOf({
    pending: totals.pending,
    inProgress: totals.inProgress,
    succeeded: totals.succeeded,
    failed: totals.failed,
    timedOut: totals.timedOut,
    skipped: totals.skipped,
    canceled: totals.canceled,
  });
  return {
    ...ledger,
    updatedAt: at,
    waves: ledger.waves.map((wave) => (wave.index === index ? waveStatus(wave, state, counts) : wave)),
    finalWaves: ledger.finalWaves.map((final, i) => final || i === index),
  };
}

/** Device state changes; a move that does not fit the counts (a duplicate) is dropped. */
export function applyMoves(ledger: RolloutLedgerState, moves: readonly DeviceMove[], at: string): RolloutLedgerState {
  let waves = ledger.waves;
  let changed = false;
  for (const move of moves) {
    if (ledger.finalWaves[move.wave] !== false || move.from === move.to) continue;
    const wave = waves[move.wave];
    if (wave === undefined || wave[move.from] <= 0) continue;
    waves = waves.map((item, i) => (i === move.wave ? { ...item, [move.from]: item[move.from] - 1, [move.to]: item[move.to] + 1 } : item));
    changed = true;
  }
  return changed ? { ...ledger, waves, updatedAt: at } : ledger;
}

export function isWaveFinal(ledger: RolloutLedgerState, index: number): boolean {
  return ledger.finalWaves[index] === true;
}

/** The GET /api/rollouts/{id} body. */
export function ledgerStatus(ledger: RolloutLedgerState, state: RolloutState, updatedAt?: string): RolloutStatus {
  return rolloutStatus({
    id: ledger.rolloutId,
    state,
    firmware: ledger.firmware,
    createdAt: ledger.createdAt,
    updatedAt: updatedAt !== undefined && updatedAt > ledger.updatedAt ? updatedAt : ledger.updatedAt,
    waves: ledger.waves,
    outsideWaves: ledger.outsideWaves,
  });
}
