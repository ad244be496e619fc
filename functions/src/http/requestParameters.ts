/** The API's request parameters: the rollout id, page sizes and continuation tokens, checked. */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { isValidRolloutId, ROLLOUT_ID_RULE } from '../rollout';
import type { SpecProblem } from '../rollout';
import { validationFailed } from './apiResponses';

/** The {id} route parameter, or the 400 that names it. */
export function rolloutIdOf(request: HttpRequest): { ok: true; id: string } | { ok: false; response: HttpResponseInit } {
  const id = request.params.id ?? '';
  if (isValidRolloutId(id)) return { ok: true, id };
  return { ok: false, response: validationFailed([{ field: 'id', message: `must be ${ROLLOUT_ID_RULE}` }]) };
}

/** A positive integer query parameter up to max, or its default when absent. */
export function pageSize(request: HttpRequest, name: string, fallback: number, max: number): number | SpecProblem {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1 || value > max)
    return { field: name, message: `must be an integer from 1 to ${max}` };
  return value;
}

/** Continuation tokens are base64url JSON: opaque to clients, checked when they come back. */
export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeToken<T>(token: string, isValid: (value: unknown) => value is T): T | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return isValid(value) ? value : null;
  } catch {
    return null;
  }
}
