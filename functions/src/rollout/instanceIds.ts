/**
 * Durable instance ids for a rollout's orchestrations, computable from the rollout id (and the
 * device id) alone, so the twin-change handler addresses a device's orchestration with no lookup.
 *
 *   rollout  <rolloutId>                              fw-2-1
 *   wave     <rolloutId>:w<wave>[:a<attempt>]         fw-2-1:w0       fw-2-1:w0:a1 (run again after a resume)
 *   batch    <rolloutId>:w<wave>:b<batch>[:e<ep>]     fw-2-1:w0:b17   (episode > 0 only)
 *   device   <rolloutId>:d:<device id, encoded>       fw-2-1:d:thermo~7   (device "thermo#7")
 *
 * Durable ids must not contain / \ # ? or control characters, nor start with @. Device ids never
 * contain / \ or control characters but may contain # and ?, so those two are swapped for ~ and ^,
 * which IoT Hub never allows in a device id: a length-preserving bijection, reversed by
 * parseDeviceInstanceId. Rollout ids start with a letter or digit (never @) and have no `:`.
 *
 * Injective: a rollout id has no `:`, so the text before the first `:` is the rollout id and a
 * missing `:` marks a rollout instance; after it `d:` marks a device and `w` a wave or batch,
 * whose next part (`a` attempt, `b` batch, or nothing) tells them apart; indexes are canonical
 * decimals (no sign, no leading zeros) and the device part is a bijection.
 * So each id reads back as exactly one input: distinct inputs give distinct ids, across kinds too.
 *
 * Length: ≤ 64 for a rollout, ≤ 100 for waves and batches, and 3 + rolloutId + deviceId (≤ 195)
 * for devices. Durable Functions documents 1-100 characters and its client rejects ids over 256;
 * the Azure Storage (1 KiB table keys) and Netherite providers accept the rest. A 128-character
 * device id alone exceeds 100, so no reversible scheme fits 100 for every device; ids are ≤ 100
 * whenever rolloutId + deviceId ≤ 97 characters (a 36-character UUID leaves 61 for the device).
 */
import { DEVICE_ID_RULE, ROLLOUT_ID_RULE, isValidDeviceId, isValidRolloutId } from './identifiers';

/** The longest id the scheme produces: a device instance with a 64-character rollout id and 128-character device id. */
export const MAX_INSTANCE_ID_LENGTH = 195;

const DEVICE_MARK = ':d:';
const ENCODE: Readonly<Record<string, string>> = { '#': '~', '?': '^' };
const DECODE: Readonly<Record<string, string>> = { '~': '#', '^': '?' };
const DEVICE_INSTANCE_ID = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63}):d:([^#?]+)$/;

export function rolloutInstanceId(rolloutId: string): string {
  return checkedRolloutId(rolloutId);
}

/**
 * A wave. `attempt` tells apart the wave started again with its remaining devices after the
 * rollout was paused and resumed (a durable instance id is not reused once completed); it is left
 * out of the id when 0. Batch indexes continue across attempts, so batch ids never repeat.
 */
export function waveInstanceId(rolloutId: string, waveIndex: number, attempt = 0): string {
  const base = `${checkedRolloutId(rolloutId)}:w${checkedIndex(waveIndex, 'waveIndex')}`;
  const run = checkedIndex(attempt, 'attempt');
  return run === '0' ? base : `${base}:a${run}`;
}

/**
 * A batch of a wave. `batchIndex` counts across the whole wave (it does not restart when the wave
 * continues as new); `episode` tells apart a batch started again later, such as after a resume,
 * and is left out of the id when 0.
 */
export function batchInstanceId(rolloutId: string, waveIndex: number, batchIndex: number, episode = 0): string {
  const base = `${waveInstanceId(rolloutId, waveIndex)}:b${checkedIndex(batchIndex, 'batchIndex')}`;
  const generation = checkedIndex(episode, 'episode');
  return generation === '0' ? base : `${base}:e${generation}`;
}

export function deviceInstanceId(rolloutId: string, deviceId: string): string {
  if (!isValidDeviceId(deviceId)) throw new RangeError(`invalid device id ${JSON.stringify(deviceId)}: must be ${DEVICE_ID_RULE}`);
  return `${checkedRolloutId(rolloutId)}${DEVICE_MARK}${deviceId.replace(/[#?]/g, (char) => ENCODE[char])}`;
}

/** The inverse of deviceInstanceId; null for anything it does not produce. */
export function parseDeviceInstanceId(instanceId: string): { rolloutId: string; deviceId: string } | null {
  const match = DEVICE_INSTANCE_ID.exec(instanceId);
  if (match === null) return null;
  const deviceId = match[2].replace(/[~^]/g, (char) => DECODE[char]);
  return isValidDeviceId(deviceId) ? { rolloutId: match[1], deviceId } : null;
}

function checkedRolloutId(rolloutId: string): string {
  if (!isValidRolloutId(rolloutId)) throw new RangeError(`invalid rollout id ${JSON.stringify(rolloutId)}: must be ${ROLLOUT_ID_RULE}`);
  return rolloutId;
}

function checkedIndex(value: number, name: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return String(value);
}
