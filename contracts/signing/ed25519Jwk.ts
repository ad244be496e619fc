import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isRecord } from '../guards';

/** A public Ed25519 key as a JWK (RFC 8037), with only the members that define it. */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/** Unpadded base64url, nothing else: Buffer.from(…, 'base64url') would skip stray characters and padding. */
export const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Encodings of the points of order 1, 2, 4 and 8 (libsodium's blocklist), compared with the sign bit of
 * the last byte cleared. OpenSSL accepts them as public keys, and under the identity point the signature
 * R = identity, S = 0 verifies for every message, so a certified small-order key could sign anything.
 */
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Buffer.from(hex, 'hex'));

function hasSmallOrder(x: Buffer): boolean {
  const masked = Buffer.from(x);
  masked[31] &= 0x7f;
  return SMALL_ORDER.some((point) => point.equals(masked));
}

/**
 * Checks that `value` is a usable public Ed25519 JWK and returns its canonical form, or says why not:
 * another key type (node:crypto's verify(null) would happily use an RSA key), a private key (`d`, which
 * means the key leaked), a malformed or small-order `x`.
 */
export function checkEd25519Jwk(value: unknown): { ok: true; jwk: Ed25519Jwk } | { ok: false; message: string } {
  if (!isRecord(value)) return { ok: false, message: 'is not a JWK object' };
  if (value.kty !== 'OKP' || value.crv !== 'Ed25519') {
    return {
      ok: false,
      message: `is a ${String(value.kty)}${value.crv === undefined ? '' : `/${String(value.crv)}`} key, not OKP/Ed25519`,
    };
  }
  if ('d' in value) return { ok: false, message: 'contains a private key (d): it must never leave the signer' };
  if (typeof value.x !== 'string' || !BASE64URL.test(value.x)) return { ok: false, message: 'has no base64url x' };
  const x = Buffer.from(value.x, 'base64url');
  if (x.length !== 32) return { ok: false, message: `has an x of ${x.length} bytes, not 32` };
  if (hasSmallOrder(x)) return { ok: false, message: 'is a small-order point, which verifies forged signatures' };
  return { ok: true, jwk: { kty: 'OKP', crv: 'Ed25519', x: value.x } };
}

/** RFC 7638 thumbprint: base64url SHA-256 of {"crv","kty","x"} in that order. Every key id is one. */
export function jwkThumbprint(jwk: Ed25519Jwk): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The KeyObject of a checked JWK; the type is asserted again, as every verify depends on it. */
export function ed25519PublicKey(jwk: Ed25519Jwk): KeyObject {
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Ed25519 verify of `signingInput`; false for anything but a 64-byte signature by an ed25519 key. */
export function verifyEd25519(key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (key.asymmetricKeyType !== 'ed25519' || signature.length !== 64) return false;
  return verify(null, Buffer.from(signingInput, 'ascii'), key, signature);
}
