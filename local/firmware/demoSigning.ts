import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { verifyCertificate } from '../../contracts/signing/signingKeyCertificate';
import { parseTrust, type Trust } from '../../contracts/signing/trust';
import type { FirmwareManifest } from './makeFirmwareImage';
import { certifySigningKey, generateKey, makeTrustRoots, readPrivateKey, readPublicKey, signManifest } from './signing';

/** The local stack's signing material, in its data dir: what `fleetwave firmware keygen|roots|certify` would make. */
export interface DemoSigning {
  dir: string;
  /** The roots file the app and the simulated devices trust. */
  rootsPath: string;
  trust: Trust;
  signingKeyPath: string;
  certificatePath: string;
  /** Signs an image's manifest: the compact JWS a rollout carries as firmware.manifest. */
  sign(image: FirmwareManifest): string;
}

const CERTIFICATE_DAYS = 365;

/**
 * A root key and a signing key certified by it, made in `dir` the first time and reused afterwards
 * (a certificate no longer valid is issued again). The private keys stay in `dir`, mode 0600: this is
 * a local demo, where the root is not kept offline as it must be for a real fleet.
 */
export function ensureDemoSigning(dir: string, now = new Date()): DemoSigning {
  mkdirSync(dir, { recursive: true });
  const paths = {
    rootKey: join(dir, 'root.key.pem'),
    signingKey: join(dir, 'signing.key.pem'),
    signingPublic: join(dir, 'signing.pub.json'),
    roots: join(dir, 'roots.json'),
    certificate: join(dir, 'signing.cert.jws'),
  };
  if (!existsSync(paths.rootKey)) generateKey({ outDir: dir, root: true, name: 'root' });
  if (!existsSync(paths.signingKey)) generateKey({ outDir: dir, root: false, name: 'signing' });
  const rootKey = readPrivateKey(paths.rootKey, 'the demo root key');
  if (!existsSync(paths.roots)) {
    const jwk = readPublicKey(join(dir, 'root.pub.json'), 'the demo root key');
    writeFileAtomic.sync(paths.roots, `${JSON.stringify(makeTrustRoots({ roots: [jwk], threshold: 1, now }), null, 2)}\n`);
  }
  const parsed = parseTrust(readFileSync(paths.roots, 'utf8'));
  if (!parsed.ok) throw new Error(`${paths.roots}: ${parsed.message}`);
  const trust = parsed.trust;
  const current = existsSync(paths.certificate) ? readFileSync(paths.certificate, 'utf8').trim() : '';
  if (!verifyCertificate(current, { trust, now }).ok) {
    const signingKey = readPublicKey(paths.signingPublic, 'the demo signing key');
    writeFileAtomic.sync(paths.certificate, `${certifySigningKey({ rootKey, signingKey: signingKey.jwk, now, days: CERTIFICATE_DAYS })}\n`);
  }
  const certificate = readFileSync(paths.certificate, 'utf8').trim();
  const signingKey = readPrivateKey(paths.signingKey, 'the demo signing key');
  return {
    dir,
    rootsPath: paths.roots,
    trust,
    signingKeyPath: paths.signingKey,
    certificatePath: paths.certificate,
    sign: (image) => signManifest({ image, signingKey, certificate, now: new Date() }),
  };
}
