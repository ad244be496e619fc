import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HostHttpError, hostErrors } from './hostErrors';
import { writeResponse } from './hostResponse';

/**
 * One HTTP endpoint of the host: answers the request and returns true, or returns false to pass.
 * It may refuse the request by throwing one of hostErrors.
 */
export type HttpEndpoint = (req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) => Promise<boolean>;

const MAX_BODY_BYTES = 100 * 1024 * 1024;

/** The host's single HTTP port: function routes, the Durable HTTP API and the admin status. */
export class HostHttpServer {
  private readonly server: Server;
  private readonly endpoints: HttpEndpoint[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(private readonly onError: (error: Error) => void) {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Endpoints are asked in the order they were added. */
  use(endpoint: HttpEndpoint): void {
    this.endpoints.push(endpoint);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readBody(req);
      if (body === undefined) {
        writeResponse(res, hostErrors.bodyTooLarge().response);
        return;
      }
      const path = (req.url ?? '/').split('?')[0];
      for (const endpoint of this.endpoints) {
        if (await endpoint(req, res, path, body)) return;
      }
      writeResponse(res, hostErrors.noRoute().response);
    } catch (error) {
      // Endpoints refuse a request by throwing the hostErrors response; anything else is a fault.
      if (error instanceof HostHttpError && !res.headersSent) return writeResponse(res, error.response);
      this.onError(error as Error);
      if (res.headersSent) res.end();
      else writeResponse(res, hostErrors.serverError().response);
    }
  }
}

/** The whole request body; undefined when it is larger than the host accepts. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
