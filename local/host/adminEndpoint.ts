import type { HttpEndpoint } from './HostHttpServer';

/** GET /admin/host/status (what tools poll for readiness) and the landing page at /. */
export const adminEndpoint: HttpEndpoint = async (req, res, path) => {
  if (path === '/admin/host/status' && req.method === 'GET') {
    const body = JSON.stringify({ state: 'Running', version: '4.1040.0', processUptime: Math.round(process.uptime() * 1000) });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
    return true;
  }
  if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
    const body = 'Your Functions 4.0 app is up and running (fleetwave host).\n';
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
    return true;
  }
  return false;
};
