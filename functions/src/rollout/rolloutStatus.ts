/**
 * Status summaries for GET /api/rollouts/{id}: counts per device state, per wave and in total,
 * the stages of the devices in progress, and the state a rollout ends in. Everything is plain JSON
 * data, so the same shapes go into an orchestration's customStatus and out of the HTTP API; they
 * are the API's contract with its clients (contracts/rolloutApi.ts), re-exported here with the
 * functions that build them.
 */
import type {
  DeviceRolloutState,
  FinalRolloutState,
  FirmwareSpec,
  InProgressBy,
  RolloutState,
  RolloutStatus,
  Totals,
  WaveState,
  WaveStatus,
} from '../../../contracts/rolloutApi';

export * from '../../../contracts/rolloutApi';

/** Totals from counts per state (missing states are 0); `targeted` is their sum. */
export function totalsOf(counts: Partial<Record<DeviceRolloutState, number>> = {}): Totals {
  const pending = counts.pending ?? 0;
  const inProgress = counts.inProgress ?? 0;
  const succeeded = counts.succeeded ?? 0;
  const failed = counts.failed ?? 0;
  const timedOut = counts.timedOut ?? 0;
  const skipped = counts.skipped ?? 0;
  const canceled = counts.canceled ?? 0;
  const targeted = pending + inProgress + succeeded + failed + timedOut + skipped + canceled;
  return { targeted, pending, inProgress, succeeded, failed, timedOut, skipped, canceled };
}

export function countDevices(states: Iterable<DeviceRolloutState>): Totals {
  const counts: Partial<Record<DeviceRolloutState, number>> = {};
  for (const state of states) counts[state] = (counts[state] ?? 0) + 1;
  return totalsOf(counts);
}

/** Sum of totals: per-batch into per-wave, per-wave into the rollout's. */
export function addTotals(...parts: readonly Totals[]): Totals {
  return totalsOf({
    pending: sum(parts, 'pending'),
    inProgress: sum(parts, 'inProgress'),
    succeeded: sum(parts, 'succeeded'),
    failed: sum(parts, 'failed'),
    timedOut: sum(parts, 'timedOut'),
    skipped: sum(parts, 'skipped'),
    canceled: sum(parts, 'canceled'),
  });
}

/** Counts per in-progress stage (missing stages are 0). */
export function inProgressByOf(counts: Partial<InProgressBy> = {}): InProgressBy {
  return { waiting: counts.waiting ?? 0, downloading: counts.downloading ?? 0, staged: counts.staged ?? 0, applying: counts.applying ?? 0 };
}

/**
 * The stages of `inProgress` devices counted by someone who does not know them (the rollout
 * orchestration, whose wave results only ever count finished devices; a ledger or an output
 * written before the stages were counted): all `waiting`, so the three still sum to inProgress.
 */
export function unstaged(inProgress: number): InProgressBy {
  return inProgressByOf({ waiting: inProgress });
}

function addInProgressBy(...parts: readonly InProgressBy[]): InProgressBy {
  return inProgressByOf({
    waiting: parts.reduce((total, part) => total + part.waiting, 0),
    downloading: parts.reduce((total, part) => total + part.downloading, 0),
    staged: parts.reduce((total, part) => total + part.staged, 0),
    applying: parts.reduce((total, part) => total + part.applying, 0),
  });
}

/**
 * A wave's status as any version stored it: without `inProgressBy` before the stages were counted,
 * without its `staged` count before stageThenApply.
 */
export type StoredWaveStatus = Omit<WaveStatus, 'inProgressBy'> & { inProgressBy?: Partial<InProgressBy> };

function withStages(wave: StoredWaveStatus): WaveStatus {
  return { ...wave, inProgressBy: inProgressByOf(wave.inProgressBy ?? unstaged(wave.inProgress)) };
}

/** One device changes state, as results arrive. Throws when no device is in `from`: a caller bug. */
export function moveDevice(totals: Totals, from: DeviceRolloutState, to: DeviceRolloutState): Totals {
  if (totals[from] <= 0) throw new RangeError(`no device is ${from} to move to ${to}`);
  if (from === to) return totals;
  return { ...totals, [from]: totals[from] - 1, [to]: totals[to] + 1 };
}

/**
 * How a rollout or wave ends: aborted and canceled as they happened; otherwise completed when no
 * device failed or timed out, completedWithFailures when some did (under the threshold, or the
 * threshold would have stopped it).
 */
export function finalState(ending: 'finished' | 'aborted' | 'canceled', totals: Totals): FinalRolloutState {
  if (ending !== 'finished') return ending;
  return totals.failed + totals.timedOut > 0 ? 'completedWithFailures' : 'completed';
}

/** A wave's status from counts that do not know the stages (`unstaged`); only the ledger's moves do. */
export function waveStatus(wave: { index: number; name: string; percent: number }, state: WaveState, totals: Totals): WaveStatus {
  return { index: wave.index, name: wave.name, percent: wave.percent, state, ...totals, inProgressBy: unstaged(totals.inProgress) };
}

/** A wave as planned: every device pending. */
export function plannedWaveStatus(wave: { index: number; name: string; percent: number; deviceIds: readonly string[] }): WaveStatus {
  return waveStatus(wave, 'pending', totalsOf({ pending: wave.deviceIds.length }));
}

/**
 * The GET /api/rollouts/{id} body. `outsideWaves` counts targets that belong to no wave, such as
 * devices already on the version (skipped before planning); the totals include them.
 */
export function rolloutStatus(input: {
  id: string;
  state: RolloutState;
  firmware: FirmwareSpec;
  createdAt: string;
  updatedAt: string;
  waves: readonly StoredWaveStatus[];
  outsideWaves?: Totals;
}): RolloutStatus {
  const waves = input.waves.map(withStages);
  const totals = addTotals(...waves, input.outsideWaves ?? totalsOf());
  return {
    id: input.id,
    state: input.state,
    firmware: input.firmware,
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
    totals,
    inProgressBy: addInProgressBy(...waves.map((wave) => wave.inProgressBy)),
    waves,
  };
}

function sum(parts: readonly Totals[], key: keyof Totals): number {
  return parts.reduce((total, part) => total + part[key], 0);
}
