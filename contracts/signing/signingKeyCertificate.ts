import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { checkEd25519Jwk, ed25519PublicKey, jwkThumbprint, verifyEd25519, type Ed25519Jwk } from './ed25519Jwk';
import { KID, parseCompact } from './jws';
import { invalid, type SignatureResult } from './signatureResult';
import { rootKey, type Trust } from './trust';

/**
 * A signing-key certificate: a compact JWS by one root key whose payload is the signing key. Signing keys
 * rotate with no change on devices (a new certificate); revoking one takes a trust bundle listing it.
 */
export interface SigningKeyCertificate {
  /** Thumbprint of jwk, recomputed on every check. */
  kid: string;
  jwk: Ed25519Jwk;
  /** Epoch seconds. */
  iat: number;
  nbf: number;
  exp: number;
  use: 'firmware';
}

export const CERTIFICATE_MAX_LENGTH = 2048;

/**
 * Validity is judged against the verifier's clock, give or take this much, both ways: device clocks
 * drift, and a certificate issued a moment ago must not bounce off a device a little behind. The API
 * checks with its own (reliable) clock when a rollout starts; compromise is answered by revocation.
 */
export const CLOCK_SKEW_SECONDS = 300;

const epochSeconds = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const payloadSchema = z
  .strictObject({
    kid: z.string().regex(KID),
    jwk: z.unknown(),
    iat: epochSeconds,
    nbf: epochSeconds,
    exp: epochSeconds,
    use: z.literal('firmware'),
  })
  .refine((payload) => payload.exp > payload.nbf, { message: 'exp must be after nbf', path: ['exp'] });

export interface CertificateCheck {
  trust: Trust;
  now: Date;
  /** Default CLOCK_SKEW_SECONDS. */
  skewSeconds?: number;
}

/**
 * Verifies a certificate against the trusted roots, in this order: envelope, root (disabled: keyRevoked;
 * unknown: signatureInvalid), root signature, payload, certified key (Ed25519, public, not small-order,
 * kid = its thumbprint), validity at `now` ± skew, signing key not disabled (keyRevoked).
 */
export function verifyCertificate(
  certificate: unknown,
  { trust, now, skewSeconds = CLOCK_SKEW_SECONDS }: CertificateCheck,
): SignatureResult<{ certificate: SigningKeyCertificate; rootKid: string; key: KeyObject }> {
  const jws = parseCompact(certificate, 'certificate', CERTIFICATE_MAX_LENGTH);
  if (!jws.ok) return jws;
  const rootKid = jws.header.kid;
  const root = rootKey(trust, rootKid, 'the certificate');
  if (!root.ok) return root;
  if (!verifyEd25519(root.key, jws.signingInput, jws.signature))
    return invalid(`the certificate's signature does not verify with root key ${rootKid}`);
  const parsed = payloadSchema.safeParse(jws.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(`the certificate payload ${issue.path.map(String).join('.') || 'value'}: ${issue.message}`);
  }
  const payload = parsed.data;
  const jwk = checkEd25519Jwk(payload.jwk);
  if (!jwk.ok) return invalid(`the certified key ${jwk.message}`);
  if (jwkThumbprint(jwk.jwk) !== payload.kid) return invalid(`the certificate's kid ${payload.kid} is not the thumbprint of its key`);
  const seconds = Math.floor(now.getTime() / 1000);
  if (payload.nbf - skewSeconds > seconds) {
    return invalid(`the certificate for signing key ${payload.kid} is not valid before ${new Date(payload.nbf * 1000).toISOString()}`);
  }
  if (payload.exp + skewSeconds <= seconds) {
    return invalid(`the certificate for signing key ${payload.kid} expired at ${new Date(payload.exp * 1000).toISOString()}`);
  }
  if (trust.disabledSigningKeys.includes(payload.kid))
    return { ok: false, code: 'keyRevoked', message: `signing key ${payload.kid} is disabled` };
  return { ok: true, certificate: { ...payload, jwk: jwk.jwk }, rootKid, key: ed25519PublicKey(jwk.jwk) };
}
