import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import { FirmwareServer } from '../../local/firmware/FirmwareServer';
import { makeFirmwareImage, type FirmwareManifest } from '../../local/firmware/makeFirmwareImage';
import { listen } from '../../local/hub/listen';
import { ensureCertificates } from '../../local/hub/tls/certificates';

/** Firmware images in a temp dir, served over HTTPS with a local CA (by default its own). */
export class FirmwareFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleetwave-fw-'));
  server!: FirmwareServer;
  ca!: string;

  constructor(private readonly tlsDir = join(mkdtempSync(join(tmpdir(), 'fleetwave-fw-tls-')), 'tls')) {}

  async start(): Promise<this> {
    this.server = await new FirmwareServer({ dir: this.dir, tlsDir: this.tlsDir }).start();
    this.ca = readFileSync(join(this.tlsDir, 'ca.pem'), 'utf8');
    return this;
  }

  image(version: string, size = 64 * 1024): FirmwareManifest & { uri: string } {
    const manifest = makeFirmwareImage({ version, size, outDir: this.dir });
    return { ...manifest, uri: this.server.url(manifest.file) };
  }

  agent(): https.Agent {
    return new https.Agent({ ca: [...rootCertificates, this.ca] });
  }

  async stop(): Promise<void> {
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A server that sends `bytes` in small slices with pauses and records the Range headers it gets. */
  async slowServer(bytes: Buffer, options: { sliceBytes: number; pauseMs: number; stallAfter?: number }): Promise<SlowServer> {
    const certificates = await ensureCertificates(this.tlsDir, 'localhost');
    const ranges: (string | undefined)[] = [];
    const server = https.createServer({ cert: certificates.serverCert, key: certificates.serverKey }, (req, res) => {
      ranges.push(req.headers.range);
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start > 0 ? 206 : 200, {
        'content-length': String(bytes.length - start),
        ...(start > 0 ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
      });
      let offset = start;
      const tick = () => {
        if (res.destroyed) return;
        if (options.stallAfter !== undefined && offset - start >= options.stallAfter) return; // goes silent
        if (offset >= bytes.length) return void res.end();
        res.write(bytes.subarray(offset, offset + options.sliceBytes));
        offset += options.sliceBytes;
        setTimeout(tick, options.pauseMs);
      };
      tick();
    });
    const port = await listen(server, '127.0.0.1', 0);
    return {
      url: `https://localhost:${port}/image.bin`,
      ranges,
      close: () =>
        new Promise((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }
}

export interface SlowServer {
  url: string;
  ranges: (string | undefined)[];
  close(): Promise<void>;
}

/** A firmwareUpdate payload for a served image. */
export function firmwareRequest(
  image: FirmwareManifest & { uri: string },
  rolloutId: string,
  overrides: Partial<FirmwareUpdateRequest> = {},
): FirmwareUpdateRequest {
  return { rolloutId, fwVersion: image.version, fwPackageUri: image.uri, sha256: image.sha256, size: image.size, ...overrides };
}
