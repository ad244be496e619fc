import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../../contracts/guards';
import { checkEd25519Jwk, jwkThumbprint, type Ed25519Jwk } from '../../contracts/signing/ed25519Jwk';
import { base64urlJson, JWS_TYPES, parseCompact, type JwsKind } from '../../contracts/signing/jws';
import { signedManifestSchema, type DeviceModel } from '../../contracts/signing/signedManifest';
import type { SigningKeyCertificate } from '../../contracts/signing/signingKeyCertificate';
import type { FirmwareManifest } from './makeFirmwareImage';
import { parseTrust, type Trust, type TrustRoot } from '../../contracts/signing/trust';

/**
 * The signer's side of firmware signatures (keys, certificates, signed manifests, trust bundles): it
 * needs private keys, so it lives here and never in the agent. What it writes is checked by the
 * contracts' verifiers, the ones the API and the devices run.
 */

/** A public key as the tools write it: {kid, jwk}, the kid being the jwk's RFC 7638 thumbprint. */
export interface PublicKeyFile {
  kid: string;
  jwk: Ed25519Jwk;
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

function publicJwk(key: KeyObject): Ed25519Jwk {
  const checked = checkEd25519Jwk((key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' }));
  if (!checked.ok) throw new Error(`the key ${checked.message}`);
  return checked.jwk;
}

function protectedHeader(kind: JwsKind, key: KeyObject, extra: Record<string, unknown> = {}): string {
  return base64urlJson({ alg: 'EdDSA', typ: JWS_TYPES[kind], kid: jwkThumbprint(publicJwk(key)), ...extra });
}

function signatureOf(signingInput: string, key: KeyObject): string {
  return sign(null, Buffer.from(signingInput, 'ascii'), key).toString('base64url');
}

/** A compact JWS of `kind` by `key`; `extra` adds header members the kind allows. */
export function signCompact(kind: JwsKind, payload: unknown, key: KeyObject, extra: Record<string, unknown> = {}): string {
  const signingInput = `${protectedHeader(kind, key, extra)}.${base64urlJson(payload)}`;
  return `${signingInput}.${signatureOf(signingInput, key)}`;
}

/** PKCS#8 encryption of private key files (PBES2: a PBKDF2 key, AES-256-CBC), as OpenSSL reads them. */
const KEY_FILE_CIPHER = 'aes-256-cbc';

/**
 * Writes a new Ed25519 key pair to `outDir`: `<name>.key.pem` (PKCS#8, mode 0600, never overwritten;
 * encrypted with `passphrase` when one is given) and `<name>.pub.json` ({kid, jwk}). The name defaults to
 * root-/signing- and the kid's first 8 characters.
 */
export function generateKey(options: {
  outDir: string;
  root: boolean;
  name?: string;
  passphrase?: string;
}): PublicKeyFile & { privateKeyPath: string; publicKeyPath: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicJwk(publicKey);
  const kid = jwkThumbprint(jwk);
  const name = options.name ?? `${options.root ? 'root' : 'signing'}-${kid.slice(0, 8)}`;
  const privateKeyPath = join(options.outDir, `${name}.key.pem`);
  const publicKeyPath = join(options.outDir, `${name}.pub.json`);
  // 'wx' with the mode: the file is private from its first byte, and an existing key is never replaced.
  const fd = openSync(privateKeyPath, 'wx', 0o600);
  try {
    const encryption = options.passphrase ? { cipher: KEY_FILE_CIPHER, passphrase: options.passphrase } : {};
    writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem', ...encryption }) as string);
  } finally {
    closeSync(fd);
  }
  writeFileExclusive(publicKeyPath, `${JSON.stringify({ kid, jwk }, null, 2)}\n`);
  return { kid, jwk, privateKeyPath, publicKeyPath };
}

function writeFileExclusive(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The key file is encrypted and no passphrase was given: the caller may ask for one and read it again. */
export class LockedKeyError extends Error {
  override readonly name = 'LockedKeyError';

  constructor(path: string, what: string) {
    super(`${what} ${path} is encrypted: it needs its passphrase`);
  }
}

/** An Ed25519 private key from a PKCS#8 PEM file, encrypted or not (then `passphrase` opens it). */
export function readPrivateKey(path: string, what = 'the private key', passphrase?: string): KeyObject {
  const text = readText(path, what);
  const encrypted = text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
  if (encrypted && !passphrase) throw new LockedKeyError(path, what);
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: text, format: 'pem', passphrase } : text);
  } catch {
    throw new Error(encrypted ? `cannot decrypt ${what} ${path}: wrong passphrase` : `${what} ${path} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} ${path} is an ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/** Parsed JSON from a file, or an error naming it. */
export function readJson(path: string, what: string): unknown {
  const text = readText(path, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} ${path} is not JSON`);
  }
}

/** A public key from a {kid, jwk} file (as keygen writes it) or a bare JWK: Ed25519, public only, the kid its thumbprint. */
export function readPublicKey(path: string, what = 'the public key'): PublicKeyFile {
  const value = readJson(path, what);
  const record = isRecord(value) ? value : {};
  const checked = checkEd25519Jwk(record.jwk ?? value);
  if (!checked.ok) throw new Error(`${what} ${path} ${checked.message}`);
  const kid = jwkThumbprint(checked.jwk);
  if (record.kid !== undefined && record.kid !== kid) {
    throw new Error(`${what} ${path} has kid ${String(record.kid)}, but its jwk's thumbprint is ${kid}`);
  }
  return { kid, jwk: checked.jwk };
}

/** A signing-key certificate for `signingKey`, by `rootKey`, valid from `now` for `days`. */
export function certifySigningKey(options: { rootKey: KeyObject; signingKey: Ed25519Jwk; now: Date; days: number }): string {
  if (!Number.isInteger(options.days) || options.days < 1)
    throw new Error(`the validity must be a positive whole number of days, not ${options.days}`);
  const checked = checkEd25519Jwk(options.signingKey);
  if (!checked.ok) throw new Error(`the signing key ${checked.message}`);
  const iat = epochSeconds(options.now);
  const payload: SigningKeyCertificate = {
    kid: jwkThumbprint(checked.jwk),
    jwk: checked.jwk,
    iat,
    nbf: iat,
    exp: iat + options.days * 86_400,
    use: 'firmware',
  };
  return signCompact('certificate', payload, options.rootKey);
}

/**
 * A signed manifest for `image` (what `firmware make` writes, as read from its file: checked here), carrying
 * `certificate`. The key must be the certified one: a manifest signed by another would be refused on devices.
 */
export function signManifest(options: {
  image: Partial<Record<keyof FirmwareManifest, unknown>>;
  signingKey: KeyObject;
  certificate: string;
  now: Date;
  compatibility?: DeviceModel[];
}): string {
  const certificate = parseCompact(options.certificate.trim(), 'certificate', Number.MAX_SAFE_INTEGER);
  if (!certificate.ok) throw new Error(certificate.message);
  const kid = jwkThumbprint(publicJwk(options.signingKey));
  const certified = (certificate.payload as { kid?: unknown } | null)?.kid;
  if (certified !== kid) throw new Error(`the certificate is for signing key ${String(certified)}, the private key is ${kid}`);
  const { version, sha256, size, file } = options.image;
  const parsed = signedManifestSchema.safeParse({
    format: 1,
    version,
    sha256: typeof sha256 === 'string' ? sha256.toLowerCase() : sha256,
    size,
    ...(file === undefined ? {} : { file }),
    ...(options.compatibility ? { compatibility: options.compatibility } : {}),
    iat: epochSeconds(options.now),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the manifest's ${issue.path.map(String).join('.')} ${issue.message}`);
  }
  return signCompact('manifest', parsed.data, options.signingKey, { fwk: options.certificate.trim() });
}

/** The unsigned roots file a device pins: these roots, `threshold` of which sign the next bundle. */
export function makeTrustRoots(options: { roots: TrustRoot[]; threshold: number; now: Date }): Trust {
  return checkedTrust({
    format: 1,
    version: 0,
    issuedAt: epochSeconds(options.now),
    threshold: options.threshold,
    rootKeys: options.roots,
    disabledRootKeys: [],
    disabledSigningKeys: [],
  });
}

function checkedTrust(trust: Trust): Trust {
  const checked = parseTrust(trust);
  if (!checked.ok) throw new Error(checked.message);
  return checked.trust;
}

/**
 * A trust bundle (General JSON JWS) of `trust`, signed by each of `signers`. Devices adopt it when enough
 * of the roots they trust now and enough of the roots it lists have signed (see acceptTrustBundle).
 */
export function issueTrustBundle(options: { trust: Omit<Trust, 'format' | 'issuedAt'>; signers: KeyObject[]; now: Date }): {
  payload: string;
  signatures: { protected: string; signature: string }[];
} {
  if (options.signers.length === 0) throw new Error('a trust bundle needs at least one root key to sign it');
  const payload = base64urlJson(checkedTrust({ format: 1, issuedAt: epochSeconds(options.now), ...options.trust }));
  const signatures = options.signers.map((key) => {
    const header = protectedHeader('trustBundle', key);
    return { protected: header, signature: signatureOf(`${header}.${payload}`, key) };
  });
  return { payload, signatures };
}
