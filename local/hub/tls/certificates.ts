import { X509Certificate, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface HubCertificates {
  caCertPath: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
}

const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * A local CA and a server certificate signed by it, made at first start and kept in the data dir.
 * Clients trust the CA once (NODE_EXTRA_CA_CERTS or setOptions({ca})); the server certificate is
 * re-issued by the same CA whenever a new host name must be covered.
 */
export async function ensureCertificates(dir: string, host: string): Promise<HubCertificates> {
  mkdirSync(dir, { recursive: true });
  const paths = {
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
  };
  const names = [...new Set([...DEFAULT_NAMES, host])];

  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    // A unique name per CA: TLS stacks find the issuer by name, and one process may trust several hubs.
    const ca = await generate([{ name: 'commonName', value: `fleetwave local CA ${randomBytes(4).toString('hex')}` }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + TEN_YEARS_MS),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    writeFileSync(paths.caKey, ca.private, { mode: 0o600 });
    writeFileSync(paths.caCert, ca.cert);
  }
  const caCert = readFileSync(paths.caCert, 'utf8');

  if (!serverCertCovers(paths.serverCert, caCert, names) || !existsSync(paths.serverKey)) {
    const server = await generate([{ name: 'commonName', value: host }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + TEN_YEARS_MS),
      ca: { key: readFileSync(paths.caKey, 'utf8'), cert: caCert },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
        },
      ],
    });
    writeFileSync(paths.serverKey, server.private, { mode: 0o600 });
    writeFileSync(paths.serverCert, server.cert);
  }

  return {
    caCertPath: paths.caCert,
    caCert,
    serverCert: readFileSync(paths.serverCert, 'utf8'),
    serverKey: readFileSync(paths.serverKey, 'utf8'),
  };
}

function serverCertCovers(file: string, caCert: string, names: string[]): boolean {
  if (!existsSync(file)) return false;
  const cert = new X509Certificate(readFileSync(file));
  if (!cert.checkIssued(new X509Certificate(caCert))) return false;
  if (new Date(cert.validTo).getTime() < Date.now() + 24 * 3600 * 1000) return false;
  return names.every((name) => (isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name) !== undefined));
}
