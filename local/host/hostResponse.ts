import type { ServerResponse } from 'node:http';

/** A response the host itself gives (not a function's output): a JSON value, plain text, or no body. */
export interface HostResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Writes a host response: strings as text/plain, other bodies as JSON, always with its length. */
export function writeResponse(res: ServerResponse, response: HostResponse): void {
  const { body } = response;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { ...(response.headers ?? {}), 'content-length': String(Buffer.byteLength(text)) };
  if (body !== undefined)
    headers['content-type'] = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(response.status, headers).end(text);
}
