/**
 * Type guards for values that come off the wire (parsed JSON, SDK answers, entity states), shared
 * by every part so each checks the same way.
 */

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
