import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * HTTP streaming (app.setup({ enableHttpStream: true })): the library runs its own HTTP proxy and
 * takes the request from there, matched by invocation id, and answers through it. The host forwards
 * the client's request to that proxy and relays the proxy's (streamed) response to the client.
 * Resolves when the response has been relayed (or failed to be).
 */
export function forwardToStreamProxy(
  proxyUri: string,
  invocationId: string,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
): Promise<void> {
  return new Promise((resolve) => {
    const target = new URL(req.url ?? '/', proxyUri);
    const forwarded = request(
      target,
      {
        method: req.method,
        headers: {
          ...req.headers,
          'x-ms-invocation-id': invocationId,
          'x-forwarded-host': req.headers.host ?? 'localhost',
          'x-forwarded-proto': 'http',
          'content-length': String(body.length),
        },
      },
      (proxied) => {
        res.writeHead(proxied.statusCode ?? 500, proxied.headers);
        proxied.pipe(res);
        proxied.on('end', () => resolve());
        proxied.on('error', () => resolve());
      },
    );
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-length': '0' }).end();
      resolve();
    });
    forwarded.end(body);
  });
}
