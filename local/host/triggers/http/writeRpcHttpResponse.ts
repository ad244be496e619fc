import type { ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from '../../worker/coreTypes';

/** Sends the function's HTTP output; no output at all is an empty 200, as the Functions host answers. */
export function writeRpcHttpResponse(res: ServerResponse, http: RpcHttpData | undefined): void {
  if (!http) {
    res.writeHead(200, { 'content-length': '0' }).end();
    return;
  }
  const status = Number(http.statusCode ?? 200);
  for (const [name, value] of Object.entries(http.headers ?? {})) res.setHeader(name, value);
  const cookies = (http.cookies ?? []).map(toSetCookie);
  if (cookies.length > 0) {
    const existing = res.getHeader('set-cookie');
    res.setHeader('set-cookie', [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)]), ...cookies]);
  }
  const body = bodyBytes(http.body);
  res.statusCode = Number.isInteger(status) && status >= 100 && status <= 999 ? status : 500;
  res.setHeader('content-length', String(body.length));
  res.end(body);
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.string !== undefined && body.string !== null) return Buffer.from(body.string);
  if (body.json !== undefined && body.json !== null) return Buffer.from(body.json);
  return Buffer.alloc(0);
}

/** RFC 6265 Set-Cookie from the worker's cookie record. */
function toSetCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value?.seconds !== undefined && cookie.expires.value.seconds !== null) {
    parts.push(`Expires=${new Date(Number(cookie.expires.value.seconds) * 1000).toUTCString()}`);
  }
  if (cookie.maxAge?.value !== undefined && cookie.maxAge.value !== null) parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None' }[cookie.sameSite ?? ('none' as string)];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}
