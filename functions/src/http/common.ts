/**
 * What the HTTP API's handlers share: their registration, JSON responses, the error body, links,
 * paging tokens and parameter checks. Every error names what was wrong:
 *
 *   { "error": "validationFailed", "message": "…", "problems": [{ "field": "firmware.sha256", "message": "…" }] }
 *   { "error": "notFound" | "conflict" | "unsupportedMediaType" | "…", "message": "…" }
 */
import { app } from '@azure/functions';
import type { HttpHandler, HttpMethod, HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { isValidRolloutId, ROLLOUT_ID_RULE } from '../rollout';
import type { SpecProblem } from '../rollout';

/** The Durable client binding every HTTP function declares (df.getClient reads it). */
const durableClientInput = df.input.durableClient();

/**
 * Registers a route of the API: function key required, a Durable client bound, and a JSON body
 * required of every request that changes state (see requireJson).
 */
export function apiRoute(name: string, route: string, methods: HttpMethod[], handler: HttpHandler): void {
  app.http(name, {
    route,
    methods,
    authLevel: 'function',
    extraInputs: [durableClientInput],
    handler: async (request, context) => requireJson(request) ?? handler(request, context),
  });
}

const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * 415 unless a request that changes state is `Content-Type: application/json` (parameters such
 * as charset allowed), also when it has no body. Browsers send text/plain, form and multipart
 * requests to any origin without a CORS preflight; a JSON request needs one, which this API never
 * grants, so no web page can start or steer a rollout through an operator's browser.
 */
function requireJson(request: HttpRequest): HttpResponseInit | undefined {
  if (!STATE_CHANGING_METHODS.has(request.method.toUpperCase())) return undefined;
  const contentType = request.headers.get('content-type');
  if (contentType?.split(';')[0].trim().toLowerCase() === 'application/json') return undefined;
  const got = contentType === null ? 'none was given' : `got ${JSON.stringify(contentType)}`;
  return failure(415, 'unsupportedMediaType', `Content-Type must be application/json (${got}).`);
}

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
  return {
    status,
    devices: `${status}/devices`,
    pause: `${status}/pause`,
    resume: `${status}/resume`,
    approve: `${status}/approve`,
    cancel: `${status}/cancel`,
  };
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
