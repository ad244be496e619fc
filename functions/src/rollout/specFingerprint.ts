import { compareCodeUnits } from './identifiers';
import type { RolloutSpec } from './rolloutSpec';

/**
 * A canonical serialisation of a spec, for "the same rolloutId with the same spec is the same
 * rollout; with a different spec it is a 409". Compare specs as `parseRolloutSpec` returns them,
 * so defaults are applied and an omitted field equals its explicit default.
 *
 * - Object keys are sorted, so the order a client wrote them in does not matter.
 * - `target.deviceIds` is sorted: a target is a set of devices (planning sorts them anyway).
 * - `rolloutId` is left out: it is the key the fingerprints are compared under, not content.
 * - `approval` without a timeout is written as its mode ("auto", "manual"): specs were hashed so
 *   before the object form existed, and a re-POST of such a rollout must still match.
 * - Wave order, names and every other value are kept: each changes what the rollout does or shows.
 *
 * The result grows with the device list (up to ~13 MB for 100,000 ids of 128 characters); hash it
 * before storing it anywhere size-limited.
 */
export function specFingerprint(spec: RolloutSpec): string {
  const { rolloutId: _ignored, ...content } = spec;
  const target = 'deviceIds' in spec.target ? { deviceIds: [...spec.target.deviceIds].sort(compareCodeUnits) } : spec.target;
  const approval = spec.approval.timeoutMinutes === undefined ? spec.approval.mode : spec.approval;
  return canonicalJson({ ...content, target, approval });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => compareCodeUnits(a, b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
