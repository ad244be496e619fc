import { isRecord } from '../guards';
import { BASE64URL } from './ed25519Jwk';
import { invalid, type SignatureFailure } from './signatureResult';

/**
 * The JWS envelope (RFC 7515) as fleetwave uses it: Ed25519 only (`alg: "EdDSA"`), a `typ` per kind of
 * object so none can pass for another, no `crit`, no header member beyond those listed, strict base64url.
 * The signature covers the encoded text, so nothing is ever re-serialized to be checked.
 */
export const JWS_TYPES = {
  certificate: 'fleetwave-signing-key+jwt',
  manifest: 'fleetwave-manifest+jws',
  trustBundle: 'fleetwave-trust+jws',
} as const;
export type JwsKind = keyof typeof JWS_TYPES;

/** How messages name each kind. */
const NAMES: Record<JwsKind, string> = { certificate: 'the certificate', manifest: 'the manifest', trustBundle: 'the trust bundle' };

/** Header members each kind may carry besides alg, typ and kid: `fwk` is the manifest's signing-key certificate. */
const EXTRA_MEMBERS: Record<JwsKind, readonly string[]> = { certificate: [], manifest: ['fwk'], trustBundle: [] };

/** A key id: an RFC 7638 thumbprint, 43 base64url characters. */
export const KID = /^[A-Za-z0-9_-]{43}$/;

export interface JwsHeader {
  alg: 'EdDSA';
  typ: string;
  kid: string;
  [member: string]: unknown;
}

/** One signature and what it covers. */
export interface JwsSignature {
  header: JwsHeader;
  signingInput: string;
  signature: Buffer;
}

export type Parsed<T> = ({ ok: true } & T) | SignatureFailure;

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeJson(segment: string, what: string): { ok: true; value: unknown } | SignatureFailure {
  if (!BASE64URL.test(segment)) return invalid(`${what} is not base64url`);
  try {
    return { ok: true, value: JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) };
  } catch {
    return invalid(`${what} is not JSON`);
  }
}

function checkHeader(segment: string, kind: JwsKind, what: string): Parsed<{ header: JwsHeader }> {
  const decoded = decodeJson(segment, `${what} header`);
  if (!decoded.ok) return decoded;
  const header = decoded.value;
  if (!isRecord(header)) return invalid(`${what} header is not a JSON object`);
  if ('crit' in header) return invalid(`${what} header has crit: fleetwave defines no critical extensions`);
  if (header.alg !== 'EdDSA') return invalid(`${what} alg is ${JSON.stringify(header.alg)}, only "EdDSA" is accepted`);
  if (header.typ !== JWS_TYPES[kind]) {
    return invalid(`${what} typ is ${JSON.stringify(header.typ)}, not "${JWS_TYPES[kind]}" (is it another kind of object?)`);
  }
  if (typeof header.kid !== 'string' || !KID.test(header.kid)) return invalid(`${what} kid is not a key thumbprint`);
  const allowed = ['alg', 'typ', 'kid', ...EXTRA_MEMBERS[kind]];
  const extra = Object.keys(header).find((member) => !allowed.includes(member));
  if (extra !== undefined) return invalid(`${what} header member "${extra}" is not allowed`);
  return { ok: true, header: header as JwsHeader };
}

function decodeSignature(segment: string, what: string): Parsed<{ signature: Buffer }> {
  if (!BASE64URL.test(segment)) return invalid(`${what} signature is not base64url`);
  return { ok: true, signature: Buffer.from(segment, 'base64url') };
}

/** A compact JWS (header.payload.signature) of `kind`, parsed and checked but not verified. */
export function parseCompact(text: unknown, kind: JwsKind, maxLength: number): Parsed<JwsSignature & { payload: unknown }> {
  const what = NAMES[kind];
  if (typeof text !== 'string') return invalid(`${what} is not a string`);
  if (text.length > maxLength) return invalid(`${what} is ${text.length} characters, more than ${maxLength}`);
  const segments = text.split('.');
  if (segments.length !== 3) return invalid(`${what} has ${segments.length} segments, not 3 (compact JWS)`);
  const [headerSegment, payloadSegment, signatureSegment] = segments;
  const header = checkHeader(headerSegment, kind, what);
  if (!header.ok) return header;
  const payload = decodeJson(payloadSegment, `${what} payload`);
  if (!payload.ok) return payload;
  const signature = decodeSignature(signatureSegment, what);
  if (!signature.ok) return signature;
  return {
    ok: true,
    header: header.header,
    payload: payload.value,
    signingInput: `${headerSegment}.${payloadSegment}`,
    signature: signature.signature,
  };
}

/** At most this many signatures on a General JSON JWS: a bundle signed by more roots than that is refused. */
const MAX_SIGNATURES = 16;

/** A General JSON JWS ({payload, signatures: [{protected, signature}]}) of `kind`, parsed and checked but not verified. */
export function parseGeneral(value: unknown, kind: JwsKind, maxLength: number): Parsed<{ payload: unknown; signatures: JwsSignature[] }> {
  const what = NAMES[kind];
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof text !== 'string') return invalid(`${what} is not JSON`);
  if (text.length > maxLength) return invalid(`${what} is ${text.length} characters, more than ${maxLength}`);
  let jws: unknown;
  try {
    jws = JSON.parse(text);
  } catch {
    return invalid(`${what} is not JSON`);
  }
  if (!isRecord(jws) || typeof jws.payload !== 'string' || !Array.isArray(jws.signatures)) {
    return invalid(`${what} is not a General JSON JWS {payload, signatures}`);
  }
  const extra = Object.keys(jws).find((member) => member !== 'payload' && member !== 'signatures');
  if (extra !== undefined) return invalid(`${what} member "${extra}" is not allowed`);
  if (jws.signatures.length === 0 || jws.signatures.length > MAX_SIGNATURES) {
    return invalid(`${what} has ${jws.signatures.length} signatures, not 1-${MAX_SIGNATURES}`);
  }
  const payloadSegment = jws.payload;
  const payload = decodeJson(payloadSegment, `${what} payload`);
  if (!payload.ok) return payload;
  const signatures: JwsSignature[] = [];
  for (const [index, entry] of jws.signatures.entries()) {
    const at = `${what} signature ${index}`;
    // Only protected headers are signed: an unprotected `header` could say anything.
    if (!isRecord(entry) || typeof entry.protected !== 'string' || typeof entry.signature !== 'string' || Object.keys(entry).length !== 2) {
      return invalid(`${at} is not {protected, signature}`);
    }
    const header = checkHeader(entry.protected, kind, at);
    if (!header.ok) return header;
    const signature = decodeSignature(entry.signature, at);
    if (!signature.ok) return signature;
    signatures.push({ header: header.header, signingInput: `${entry.protected}.${payloadSegment}`, signature: signature.signature });
  }
  return { ok: true, payload: payload.value, signatures };
}
