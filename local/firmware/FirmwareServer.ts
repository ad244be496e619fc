import https from 'node:https';
import { resolve } from 'node:path';
import send from 'send';
import { listen } from '../hub/listen';
import { ensureCertificates } from '../hub/tls/certificates';

export interface FirmwareServerOptions {
  /** The directory whose files are served. */
  dir: string;
  /** Where the local CA lives (the hub's DATA_DIR/tls), so devices trust one CA for everything. */
  tlsDir: string;
  host?: string;
  bindAddress?: string;
  port?: number;
}

/**
 * Serves firmware images over HTTPS with the local CA, with Range requests (resumable downloads)
 * and ETag / conditional GETs, through `send`, the static file engine behind Express.
 */
export class FirmwareServer {
  private server?: https.Server;
  port = 0;

  constructor(private readonly options: FirmwareServerOptions) {}

  async start(): Promise<this> {
    const host = this.options.host ?? 'localhost';
    const certificates = await ensureCertificates(this.options.tlsDir, host);
    const root = resolve(this.options.dir);
    this.server = https.createServer({ cert: certificates.serverCert, key: certificates.serverKey }, (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      send(req, new URL(req.url ?? '/', 'https://firmware').pathname, { root, dotfiles: 'deny', index: false })
        .on('error', (error: { status?: number }) => res.writeHead(error.status ?? 500).end())
        .pipe(res);
    });
    this.server.on('tlsClientError', () => undefined);
    this.port = await listen(this.server, this.options.bindAddress ?? '127.0.0.1', this.options.port ?? 0);
    return this;
  }

  /** The https:// URL of a file in the served directory. */
  url(file: string): string {
    return `https://${this.options.host ?? 'localhost'}:${this.port}/${encodeURIComponent(file)}`;
  }

  close(): Promise<void> {
    return new Promise((done) => {
      if (!this.server) return done();
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }
}
