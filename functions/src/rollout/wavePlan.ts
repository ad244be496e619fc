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

/*
 * Fan-out shape. Durable replays a whole history on every episode, so no orchestration may have
 * children, or state, in proportion to the fleet:
 *
 *   rollout orchestration  ── one wave sub-orchestration per wave                 (≤ MAX_WAVES)
 *   wave orchestration     ── batch sub-orchestrations one after the other, each with up to
 *                             MAX_BATCH_DEVICES of the wave's devices; after
 *                             MAX_BATCHES_PER_WAVE_EPISODE it continues as new with the counts
 *                             so far and the devices not yet started
 *   batch orchestration    ── no children: it is the tracker of its devices, at most
 *                             maxConcurrency of them in progress at once, a finished device
 *                             replaced at once; it continues as new every few dozen waits
 *
 * One batch at a time holds the whole concurrency, so it judges the failure threshold itself as
 * its devices finish, on the wave's results so far. The only idle slots are at a batch's end,
 * while its last devices finish: once per MAX_BATCH_DEVICES devices. 100,000 devices in one wave
 * are 20 batches in 1 wave episode.
 */
export const MAX_BATCH_DEVICES = 5_000;
export const MAX_BATCHES_PER_WAVE_EPISODE = 50;
export const MAX_WAVES = SPEC_LIMITS.waves;
/** The most sub-orchestrations any single orchestration history holds. */
export const MAX_CHILDREN_PER_HISTORY = Math.max(MAX_WAVES, MAX_BATCHES_PER_WAVE_EPISODE);

export interface WaveFanOut {
  /** Batch sub-orchestrations of MAX_BATCH_DEVICES (the last may be smaller). */
  batchCount: number;
  /** Episodes of the wave orchestration: 1 + the number of continue-as-new. */
  episodes: number;
}

export function waveFanOut(waveSize: number): WaveFanOut {
  const batchCount = Math.ceil(waveSize / MAX_BATCH_DEVICES);
  return { batchCount, episodes: Math.max(1, Math.ceil(batchCount / MAX_BATCHES_PER_WAVE_EPISODE)) };
}

/** The largest history each orchestration of a plan reaches, in sub-orchestrations, and the largest batch. */
export interface HistoryBound {
  rolloutChildren: number;
  /** Most batch sub-orchestrations started by one episode of any wave. */
  waveEpisodeChildren: number;
  /** Most devices of any batch. */
  batchDevices: number;
  /** Most episodes of any wave orchestration. */
  waveEpisodes: number;
}

export function historyBound(plan: readonly PlannedWave[]): HistoryBound {
  const bound: HistoryBound = { rolloutChildren: plan.length, waveEpisodeChildren: 0, batchDevices: 0, waveEpisodes: 0 };
  for (const wave of plan) {
    const shape = waveFanOut(wave.deviceIds.length);
    bound.waveEpisodeChildren = Math.max(bound.waveEpisodeChildren, Math.min(shape.batchCount, MAX_BATCHES_PER_WAVE_EPISODE));
    bound.batchDevices = Math.max(bound.batchDevices, Math.min(MAX_BATCH_DEVICES, wave.deviceIds.length));
    bound.waveEpisodes = Math.max(bound.waveEpisodes, shape.episodes);
  }
  return bound;
}
