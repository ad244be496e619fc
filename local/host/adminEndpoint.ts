import type { ServerResponse } from 'node:http';
import type { DurableWorkCounters } from './durable/engine/DurableWorkCounters';
import type { HttpEndpoint } from './HostHttpServer';

/** Routes with the one method each answers. */
const METHODS: Record<string, string> = {
  '/admin/host/status': 'GET',
  '/admin/durable/work': 'GET',
  '/admin/durable/work/reset': 'POST',
};

/**
 * The host's own routes: GET /admin/host/status (what tools poll for readiness), the durable work
 * counters (GET /admin/durable/work, POST /admin/durable/work/reset) and the landing page at /.
 * Like `func start`, the host asks no key for them (it listens on 127.0.0.1 unless told otherwise).
 */
export function adminEndpoint(durableWork: () => DurableWorkCounters | undefined): HttpEndpoint {
  return async (req, res, path) => {
    const method = METHODS[path];
    if (method !== undefined && req.method !== method) {
      sendJson(res, 405, { message: `${path} answers ${method} only.` }, { allow: method });
      return true;
    }
    if (path === '/admin/host/status') {
      sendJson(res, 200, { state: 'Running', version: '4.1040.0', processUptime: Math.round(process.uptime() * 1000) });
      return true;
    }
    if (path === '/admin/durable/work' || path === '/admin/durable/work/reset') {
      const work = durableWork();
      if (!work) sendJson(res, 404, { message: 'This app uses no Durable Functions: there is no durable work to count.' });
      else {
        if (path.endsWith('/reset')) work.reset();
        sendJson(res, 200, work.report());
      }
      return true;
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = 'Your Functions 4.0 app is up and running (fleetwave host).\n';
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      return true;
    }
    return false;
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
