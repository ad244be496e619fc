import type { IncomingMessage } from 'node:http';
import type { RpcHttpData } from '../../worker/coreTypes';

/**
 * The HTTP trigger's input as the Functions host sends it to the worker. The query is left to the
 * URL, so repeated parameters survive (request.query.getAll).
 */
export function toRpcHttpRequest(req: IncomingMessage, body: Buffer, params: Record<string, string>): RpcHttpData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  return {
    method: req.method ?? 'GET',
    url: `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`,
    headers,
    params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  };
}
