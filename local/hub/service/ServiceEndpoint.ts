import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PathPattern } from '../../http/PathPattern';
import { Router } from '../../http/Router';
import { listen } from '../listen';
import type { ServiceAuthenticator } from '../authentication/ServiceAuthenticator';
import type { ErrorBodyStyle } from '../errors/IotHubError';
import { IotHubError } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import { deviceRoutes } from './handlers/devicesHandler';
import { methodRoutes } from './handlers/methodsHandler';
import { queryRoutes } from './handlers/queryHandler';
import { throttlingRoutes } from './handlers/throttlingHandler';
import { twinRoutes } from './handlers/twinsHandler';
import type { HubServices, Route, ServiceResponse } from './serviceContext';

const MAX_BODY_BYTES = 1024 * 1024;
/** Versions azure-iothub and the REST docs use; IoT Hub refuses requests without one. */
const API_VERSION = /^20(1[6-9]|2\d)-\d{2}-\d{2}(-preview)?$/;

const ROUTER = new Router<Route>(
  [...queryRoutes, ...deviceRoutes, ...methodRoutes, ...twinRoutes, ...throttlingRoutes].map((route) => ({
    methods: [route.method],
    path: new PathPattern(route.path),
    target: route,
  })),
);

export interface ServiceEndpointOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
}

/** The HTTPS endpoint azure-iothub's Registry and Client talk to. */
export class ServiceEndpoint {
  private readonly server: https.Server;

  constructor(
    private readonly services: HubServices,
    private readonly authenticator: ServiceAuthenticator,
    options: Pick<ServiceEndpointOptions, 'cert' | 'key'>,
  ) {
    this.server = https.createServer({ cert: options.cert, key: options.key }, (req, res) => {
      void this.serve(req, res);
    });
    this.server.on('secureConnection', (socket) => socket.setNoDelay(true));
    // The SDKs keep connections alive and reuse them without retrying; Node's default of 5 s
    // lets the server close a socket just as a client sends on it (ECONNRESET). IoT Hub keeps
    // idle connections for minutes.
    this.server.keepAliveTimeout = 240_000;
    this.server.headersTimeout = 245_000;
    // A client that opens TLS and then talks nonsense must not take anything else down.
    this.server.on('tlsClientError', () => undefined);
  }

  listen(host: string, port: number): Promise<number> {
    return listen(this.server, host, port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let style: ErrorBodyStyle = 'legacy';
    try {
      const url = new URL(req.url ?? '/', 'https://hub');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const { route, params } = match(req.method ?? 'GET', path);
      style = route.style;
      if (!API_VERSION.test(url.searchParams.get('api-version') ?? '')) throw IotHubErrorFactory.invalidProtocolVersion(style);
      this.authenticator.authenticate(req.headers.authorization, route.anyOf, style);
      const body = await readJsonBody(req, style);
      const request = { params, query: url.searchParams, headers: req.headers, body, services: this.services };
      // Metered once authenticated: a request the hub does not accept costs nothing.
      const { throttles } = this.services;
      if (throttles && route.operation) await throttles.take(route.operation, route.meteredBytes?.(request) ?? 0, style);
      const response = await route.handle(request);
      // A change is answered only once it is stored.
      await this.services.registry.committed();
      send(res, response);
    } catch (error) {
      const hubError =
        error instanceof IotHubError ? error : IotHubErrorFactory.serverError(String((error as Error)?.message ?? error), style);
      send(res, {
        status: hubError.status,
        body: hubError.httpBody(),
        headers: { 'iothub-errorcode': hubError.codeName },
      });
    }
  }
}

function match(method: string, path: string): { route: Route; params: Record<string, string> } {
  const found = ROUTER.match(method, path);
  switch (found.kind) {
    case 'found':
      return { route: found.route.target, params: found.params };
    case 'undecodableParameter':
      throw IotHubErrorFactory.argumentInvalid(`'${found.text}' in the path is not correctly URL-encoded.`, found.route.target.style);
    case 'methodNotAllowed':
      throw IotHubErrorFactory.methodNotAllowed(method, path);
    case 'notFound':
      throw IotHubErrorFactory.resourceNotFound(path);
  }
}

function readJsonBody(req: IncomingMessage, style: ErrorBodyStyle): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversize body is read to its end (and dropped) so the error response can still be sent.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES)
        return reject(IotHubErrorFactory.messageTooLarge(`The request body is larger than ${MAX_BODY_BYTES} bytes.`, style));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(IotHubErrorFactory.malformedJson((error as Error).message, style));
      }
    });
  });
}

function send(res: ServerResponse, response: ServiceResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}
