/**
 * What the HTTP API's handlers share: JSON responses, the error body, links, paging tokens and
 * parameter checks. Every error names what was wrong:
 *
 *   { "error": "validationFailed", "message": "…", "problems": [{ "field": "firmware.sha256", "message": "…" }] }
 *   { "error": "notFound" | "conflict" | "…", "message": "…" }
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { isValidRolloutId, ROLLOUT_ID_RULE } from '../rollout';
import type { SpecProblem } from '../rollout';

/** The Durable client binding every HTTP function declares (df.getClient reads it). */
export const durableClientInput = df.input.durableClient();

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

export function failure(status: number, error: string, message: string, extra: Record<string, unknown> = {}): HttpResponseInit {
  return json(status, { error, message, ...extra });
}

export function validationFailed(problems: SpecProblem[]): HttpResponseInit {
  const count = problems.length === 1 ? 'one problem' : `${problems.length} problems`;
  return failure(400, 'validationFailed', `The request has ${count}.`, { problems });
}

export function notFound(message: string): HttpResponseInit {
  return failure(404, 'notFound', message);
}

/**
 * The URL of the rollouts collection as the caller reached it (`https://host/api/rollouts`), so
 * links work behind any host name and route prefix. The query string (which may carry the
 * function key as `code`) is never copied into a link.
 */
export function rolloutsBase(request: HttpRequest): string {
  const url = new URL(request.url);
  const path = url.pathname;
  const at = path.indexOf('/rollouts');
  const prefix = at < 0 ? `${path.replace(/\/+$/, '')}/rollouts` : path.slice(0, at + '/rollouts'.length);
  return `${url.origin}${prefix}`;
}

export interface RolloutLinks {
  status: string;
  devices: string;
  pause: string;
  resume: string;
  approve: string;
  cancel: string;
}

export function rolloutLinks(request: HttpRequest, rolloutId: string): RolloutLinks {
  const status = `${rolloutsBase(request)}/${encodeURIComponent(rolloutId)}`;
  return { status, devices: `${status}/devices`, pause: `${status}/pause`, resume: `${status}/resume`, approve: `${status}/approve`, cancel: `${status}/cancel` };
}

export function deviceLink(request: HttpRequest, rolloutId: string, deviceId: string): string {
  return `${rolloutsBase(request)}/${encodeURIComponent(rolloutId)}/devices/${encodeURIComponent(deviceId)}`;
}

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
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1 || value > max) return { field: name, message: `must be an integer from 1 to ${max}` };
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
