/**
 * Deterministic wave planning and the fan-out shape that keeps every orchestration history
 * bounded whatever the fleet size.
 */
import { compareCodeUnits } from './identifiers';
import { BASIS_POINTS_IN_WHOLE, basisPoints } from './percent';
import { SPEC_LIMITS } from './rolloutSpec';
import type { WaveSpec } from './rolloutSpec';

export interface PlannedWave {
  index: number;
  name: string;
  /** Cumulative percent from the spec. */
  percent: number;
  /** Sorted by device id; empty when the fleet is too small for this wave's share. */
  deviceIds: string[];
}

/**
 * Splits the targets into waves. Targets are de-duplicated and sorted by device id (code-unit
 * order, not locale), so the same fleet gives the same plan on every replay and host.
 *
 * Rounding: with N targets, the waves before wave k hold floor(percent[k-1] * N / 100) devices
 * and wave k ends at floor(percent[k] * N / 100), computed in integer basis points (exact); the
 * last wave ends at N. Rounding down keeps canaries no bigger than asked: 10 % of 15 devices is 1.
 *
 * Empty waves: a share smaller than one device (10 % of 5) plans a wave with no devices. It stays
 * in the plan, so indexes and names match the spec, and is reported with targeted 0; an
 * orchestrator completes it at once (nothing to update, observe or approve).
 */
export function planWaves(targets: readonly string[], waves: readonly WaveSpec[]): PlannedWave[] {
  if (waves.length === 0) throw new RangeError('planWaves needs at least one wave');
  const devices = [...new Set(targets)].sort(compareCodeUnits);
  let start = 0;
  return waves.map((wave, index) => {
    const share = Math.floor((basisPoints(wave.percent) * devices.length) / BASIS_POINTS_IN_WHOLE);
    const end = index === waves.length - 1 ? devices.length : Math.min(devices.length, Math.max(start, share));
    const deviceIds = devices.slice(start, end);
    start = end;
    return { index, name: wave.name, percent: wave.percent, deviceIds };
  });
}

/** Consecutive slices of at most `size` items; the last may be shorter. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

/*
 * Fan-out shape. Durable replays a whole history on every episode, so no orchestration may have
 * children in proportion to the fleet:
 *
 *   rollout orchestration  ── one wave sub-orchestration per wave          (≤ MAX_WAVES)
 *   wave orchestration     ── batch sub-orchestrations, at most
 *                             MAX_BATCHES_PER_WAVE_EPISODE per episode; then it waits for the
 *                             batches in flight (their completions would not reach a new
 *                             execution) and continues as new with the counts so far and the
 *                             devices not yet started
 *   batch orchestration    ── one device sub-orchestration per device     (≤ MAX_BATCH_SIZE)
 *
 * A batch runs all its devices at once and ends with its slowest device, so batches are cut
 * small enough that TARGET_BATCHES_IN_FLIGHT of them fit in maxConcurrency: a stuck device then
 * idles a tenth of the concurrency, not all of it, and the wave sees results (and judges the
 * failure threshold) every batch. batchSize = min(MAX_BATCH_SIZE, ceil(maxConcurrency / 10)),
 * batchesInFlight = floor(maxConcurrency / batchSize), so batchSize * batchesInFlight never
 * exceeds maxConcurrency. 100,000 devices in one wave at maxConcurrency 1000 are 1,000 batches
 * of 100 in 20 episodes; at maxConcurrency 50, 20,000 batches of 5 in 400 episodes. Either way
 * no history holds more than MAX_CHILDREN_PER_HISTORY (100) sub-orchestrations.
 */
export const MAX_BATCH_SIZE = 100;
export const MAX_BATCHES_PER_WAVE_EPISODE = 50;
export const TARGET_BATCHES_IN_FLIGHT = 10;
export const MAX_WAVES = SPEC_LIMITS.waves;
/** The most sub-orchestrations any single orchestration history holds. */
export const MAX_CHILDREN_PER_HISTORY = Math.max(MAX_WAVES, MAX_BATCHES_PER_WAVE_EPISODE, MAX_BATCH_SIZE);

export interface WaveFanOut {
  /** Devices per batch sub-orchestration (the last batch may be smaller). */
  batchSize: number;
  /** Batches running at the same time: batchSize * batchesInFlight ≤ maxConcurrency. */
  batchesInFlight: number;
  batchCount: number;
  /** Episodes of the wave orchestration: 1 + the number of continue-as-new. */
  episodes: number;
}

export function waveFanOut(waveSize: number, maxConcurrency: number): WaveFanOut {
  const concurrency = Math.max(1, Math.floor(maxConcurrency));
  const batchSize = Math.min(MAX_BATCH_SIZE, Math.ceil(concurrency / TARGET_BATCHES_IN_FLIGHT));
  const batchCount = Math.ceil(waveSize / batchSize);
  return {
    batchSize,
    batchesInFlight: Math.floor(concurrency / batchSize),
    batchCount,
    episodes: Math.max(1, Math.ceil(batchCount / MAX_BATCHES_PER_WAVE_EPISODE)),
  };
}

/** The largest history each orchestration of a plan reaches, in sub-orchestrations. */
export interface HistoryBound {
  rolloutChildren: number;
  /** Most batch sub-orchestrations started by one episode of any wave. */
  waveEpisodeChildren: number;
  /** Most device sub-orchestrations of any batch. */
  batchChildren: number;
  /** Most episodes of any wave orchestration. */
  waveEpisodes: number;
}

export function historyBound(plan: readonly PlannedWave[], maxConcurrency: number): HistoryBound {
  const bound: HistoryBound = { rolloutChildren: plan.length, waveEpisodeChildren: 0, batchChildren: 0, waveEpisodes: 0 };
  for (const wave of plan) {
    const shape = waveFanOut(wave.deviceIds.length, maxConcurrency);
    bound.waveEpisodeChildren = Math.max(bound.waveEpisodeChildren, Math.min(shape.batchCount, MAX_BATCHES_PER_WAVE_EPISODE));
    bound.batchChildren = Math.max(bound.batchChildren, Math.min(shape.batchSize, wave.deviceIds.length));
    bound.waveEpisodes = Math.max(bound.waveEpisodes, shape.episodes);
  }
  return bound;
}
