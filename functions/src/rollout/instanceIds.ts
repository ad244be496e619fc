/**
 * Durable instance ids for a rollout's orchestrations, computable from the rollout id and indexes
 * alone.
 *
 *   rollout  <rolloutId>                                   fw-2-1
 *   wave     <rolloutId>[:r<try>]:w<wave>[:a<attempt>]     fw-2-1:w0       fw-2-1:w0:a1 (run again after a resume)
 *   batch    <rolloutId>[:r<try>]:w<wave>:b<batch>[:e<ep>] fw-2-1:w0:b17   (episode > 0 only)
 *
 * `r<try>` is the rollout's attempt from its first retry on (fw-2-1:r2:w0:b0): a retry runs the same
 * waves again, so its waves and batches (the trackers its devices echo) must not take the ids of
 * an earlier attempt's.
 *
 * A batch orchestration is the tracker of its devices: its id travels in the firmwareUpdate
 * request as `tracker`, the device echoes it in its reports, and the twin-change handler raises
 * them on that instance after checking it with parseBatchInstanceId: no lookup table.
 *
 * Durable ids must not contain / \ # ? or control characters, nor start with @. Rollout ids start
 * with a letter or digit (never @) and have no `:`, so the text before the first `:` is the rollout
 * id; indexes are canonical decimals (no sign, no leading zeros), so each id reads back as exactly
 * one input. Length: ≤ 64 for a rollout, ≤ 100 for waves and batches (Durable Functions documents
 * 1-100 characters).
 */
import { ROLLOUT_ID_RULE, isValidRolloutId } from './identifiers';

export function rolloutInstanceId(rolloutId: string): string {
  return checkedRolloutId(rolloutId);
}

/**
 * A wave. `attempt` tells apart the wave started again with its remaining devices after the
 * rollout was paused and resumed (a durable instance id is not reused once completed); it is left
 * out of the id when 0. Batch indexes continue across attempts, so batch ids never repeat.
 */
export function waveInstanceId(rolloutId: string, waveIndex: number, attempt = 0, rolloutAttempt = 1): string {
  const base = `${rolloutRun(rolloutId, rolloutAttempt)}:w${checkedIndex(waveIndex, 'waveIndex')}`;
  const run = checkedIndex(attempt, 'attempt');
  return run === '0' ? base : `${base}:a${run}`;
}

/**
 * A batch of a wave. `batchIndex` counts across the whole wave (it does not restart when the wave
 * continues as new); `episode` tells apart a batch started again later, such as after a resume,
 * and is left out of the id when 0.
 */
export function batchInstanceId(rolloutId: string, waveIndex: number, batchIndex: number, episode = 0, rolloutAttempt = 1): string {
  const base = `${waveInstanceId(rolloutId, waveIndex, 0, rolloutAttempt)}:b${checkedIndex(batchIndex, 'batchIndex')}`;
  const generation = checkedIndex(episode, 'episode');
  return generation === '0' ? base : `${base}:e${generation}`;
}

const BATCH_INSTANCE_ID =
  /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?::r([2-9]|[1-9][0-9]+))?:w(0|[1-9][0-9]*):b(0|[1-9][0-9]*)(?::e([1-9][0-9]*))?$/;

/** The inverse of batchInstanceId (`rolloutAttempt` only when above 1, as the id has it); null for anything it does not produce. */
export function parseBatchInstanceId(
  instanceId: string,
): { rolloutId: string; wave: number; batch: number; episode: number; rolloutAttempt?: number } | null {
  const match = BATCH_INSTANCE_ID.exec(instanceId);
  if (match === null || !isValidRolloutId(match[1])) return null;
  const [wave, batch, episode, rolloutAttempt] = [match[3], match[4], match[5] ?? '0', match[2] ?? '1'].map(Number);
  if (![wave, batch, episode, rolloutAttempt].every(Number.isSafeInteger)) return null;
  return { rolloutId: match[1], wave, batch, episode, ...(rolloutAttempt > 1 ? { rolloutAttempt } : {}) };
}

/** The rollout id, with the attempt from the first retry on. */
function rolloutRun(rolloutId: string, rolloutAttempt: number): string {
  if (!Number.isSafeInteger(rolloutAttempt) || rolloutAttempt < 1)
    throw new RangeError(`rolloutAttempt must be a positive integer, got ${rolloutAttempt}`);
  return rolloutAttempt === 1 ? checkedRolloutId(rolloutId) : `${checkedRolloutId(rolloutId)}:r${rolloutAttempt}`;
}

function checkedRolloutId(rolloutId: string): string {
  if (!isValidRolloutId(rolloutId)) throw new RangeError(`invalid rollout id ${JSON.stringify(rolloutId)}: must be ${ROLLOUT_ID_RULE}`);
  return rolloutId;
}

function checkedIndex(value: number, name: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return String(value);
}
