/**
 * The HTTP API's responses: JSON, and the one place its error bodies are made. Every error names
 * what was wrong:
 *
 *   { "error": "validationFailed", "message": "…", "problems": [{ "field": "firmware.sha256", "message": "…" }] }
 *   { "error": "notFound" | "conflict" | "unsupportedMediaType" | "invalidAppSetting", "message": "…", …details }
 */
import type { HttpResponseInit } from '@azure/functions';
import type { SpecProblem } from '../rollout';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

function failure(status: number, error: string, message: string, details: Record<string, unknown> = {}): HttpResponseInit {
  return json(status, { error, message, ...details });
}

export function validationFailed(problems: SpecProblem[]): HttpResponseInit {
  const count = problems.length === 1 ? 'one problem' : `${problems.length} problems`;
  return failure(400, 'validationFailed', `The request has ${count}.`, { problems });
}

export function notFound(message: string): HttpResponseInit {
  return failure(404, 'notFound', message);
}

/** The request does not fit the rollout as it stands; details say what it is. */
export function conflict(message: string, details: Record<string, unknown>): HttpResponseInit {
  return failure(409, 'conflict', message, details);
}

export function unsupportedMediaType(message: string): HttpResponseInit {
  return failure(415, 'unsupportedMediaType', message);
}

/** The app is misconfigured, not the request: the operator is told which setting to fix. */
export function invalidAppSetting(message: string): HttpResponseInit {
  return failure(500, 'invalidAppSetting', message);
}
