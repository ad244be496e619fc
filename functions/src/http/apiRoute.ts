import { app } from '@azure/functions';
import type { HttpHandler, HttpMethod, HttpRequest, HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { unsupportedMediaType } from './apiResponses';

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
  return unsupportedMediaType(`Content-Type must be application/json (${got}).`);
}
