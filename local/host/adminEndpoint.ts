import { PathPattern } from '../http/PathPattern';
import { Router } from '../http/Router';
import type { DurableWorkCounters } from './durable/engine/DurableWorkCounters';
import { hostErrors } from './hostErrors';
import type { HttpEndpoint } from './HostHttpServer';
import { writeResponse, type HostResponse } from './hostResponse';

type AdminRoute = (work: DurableWorkCounters | undefined) => HostResponse;

const ROUTES = new Router<AdminRoute>([
  {
    path: new PathPattern('/admin/host/status'),
    methods: ['GET'],
    target: () => ({ status: 200, body: { state: 'Running', version: '4.1040.0', processUptime: Math.round(process.uptime() * 1000) } }),
  },
  { path: new PathPattern('/admin/durable/work'), methods: ['GET'], target: (work) => workReport(work, false) },
  { path: new PathPattern('/admin/durable/work/reset'), methods: ['POST'], target: (work) => workReport(work, true) },
]);

/**
 * The host's own routes: GET /admin/host/status (what tools poll for readiness), the durable work
 * counters (GET /admin/durable/work, POST /admin/durable/work/reset) and the landing page at /.
 * Like `func start`, the host asks no key for them (it listens on 127.0.0.1 unless told otherwise).
 */
export function adminEndpoint(durableWork: () => DurableWorkCounters | undefined): HttpEndpoint {
  return async (req, res, path) => {
    const match = ROUTES.match(req.method ?? 'GET', path);
    if (match.kind === 'methodNotAllowed')
      throw hostErrors.methodNotAllowed(match.allowed, `${path} answers ${match.allowed.join(', ')} only.`);
    if (match.kind === 'found') {
      writeResponse(res, match.route.target(durableWork()));
      return true;
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      writeResponse(res, { status: 200, body: 'Your Functions 4.0 app is up and running (fleetwave host).\n' });
      return true;
    }
    return false;
  };
}

function workReport(work: DurableWorkCounters | undefined, reset: boolean): HostResponse {
  if (!work) throw hostErrors.notFound('This app uses no Durable Functions: there is no durable work to count.');
  if (reset) work.reset();
  return { status: 200, body: work.report() };
}
