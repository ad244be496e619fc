import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { checkEd25519Jwk, ed25519PublicKey, jwkThumbprint, verifyEd25519, type Ed25519Jwk } from './ed25519Jwk';
import { KID, parseGeneral, type JwsSignature } from './jws';
import { invalid, type SignatureFailure, type SignatureResult } from './signatureResult';

/**
 * What a verifier trusts: root keys, how many of them must sign the next trust bundle, and the root and
 * signing keys disabled. A device starts from its pinned roots file (this shape, unsigned, usually
 * version 0: the file system protects it) and moves on only through root-signed trust bundles, whose
 * payload is this shape again with a higher version.
 */
export interface TrustRoot {
  kid: string;
  jwk: Ed25519Jwk;
  label?: string;
}

export interface Trust {
  format: 1;
  /** Monotonic: a bundle whose version is not above the trusted one is ignored, so an old bundle cannot un-revoke a key. */
  version: number;
  /** Epoch seconds. */
  issuedAt: number;
  /** Signatures by distinct enabled roots the next bundle needs, from these roots and from its own. */
  threshold: number;
  rootKeys: TrustRoot[];
  disabledRootKeys: string[];
  /** Signing-key thumbprints: certificates for them are refused as keyRevoked. */
  disabledSigningKeys: string[];
}

/** A General JSON trust bundle longer than this is refused before it is parsed. */
export const TRUST_BUNDLE_MAX_LENGTH = 64 * 1024;

const kid = z.string().regex(KID, 'must be a key thumbprint (43 base64url characters)');

const trustSchema = z
  .strictObject({
    format: z.literal(1),
    version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    issuedAt: z.number().int().min(0),
    threshold: z.number().int().min(1),
    rootKeys: z
      .array(z.strictObject({ kid, jwk: z.unknown(), label: z.string().max(100).optional() }))
      .min(1)
      .max(16),
    disabledRootKeys: z.array(kid).max(256),
    disabledSigningKeys: z.array(kid).max(1024),
  })
  .superRefine((trust, context) => {
    const kids = new Set<string>();
    trust.rootKeys.forEach((root, index) => {
      const checked = checkEd25519Jwk(root.jwk);
      if (!checked.ok) context.addIssue({ code: 'custom', path: ['rootKeys', index, 'jwk'], message: checked.message });
      else if (jwkThumbprint(checked.jwk) !== root.kid) {
        context.addIssue({ code: 'custom', path: ['rootKeys', index, 'kid'], message: 'is not the thumbprint of its jwk' });
      }
      if (kids.has(root.kid)) context.addIssue({ code: 'custom', path: ['rootKeys', index, 'kid'], message: 'is listed twice' });
      kids.add(root.kid);
    });
    const enabled = trust.rootKeys.filter((root) => !trust.disabledRootKeys.includes(root.kid)).length;
    if (trust.threshold > enabled) {
      context.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: `is ${trust.threshold}, more than the ${enabled} enabled root keys`,
      });
    }
  });

/** Checks a roots file or a bundle payload (JSON text or a parsed value) and returns it as Trust. */
export function parseTrust(value: unknown): { ok: true; trust: Trust } | SignatureFailure {
  let parsedJson = value;
  if (typeof value === 'string') {
    try {
      parsedJson = JSON.parse(value);
    } catch {
      return invalid('the trust roots are not JSON');
    }
  }
  const parsed = trustSchema.safeParse(parsedJson);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(`the trust roots ${issue.path.map(String).join('.') || 'value'}: ${issue.message}`);
  }
  const trust = parsed.data;
  return { ok: true, trust: { ...trust, rootKeys: trust.rootKeys.map((root) => ({ ...root, jwk: root.jwk as Ed25519Jwk })) } };
}

/** The key of an enabled root, keyRevoked for a disabled one, signatureInvalid for one not trusted at all. */
export function rootKey(trust: Trust, kid: string, what: string): { ok: true; key: KeyObject } | SignatureFailure {
  if (trust.disabledRootKeys.includes(kid))
    return { ok: false, code: 'keyRevoked', message: `${what} is signed by root key ${kid}, which is disabled` };
  const root = trust.rootKeys.find((candidate) => candidate.kid === kid);
  if (!root) return invalid(`${what} is signed by root key ${kid}, which is not trusted`);
  return { ok: true, key: ed25519PublicKey(root.jwk) };
}

/** How many distinct enabled roots of `trust` made one of `signatures`. */
function signersAmong(trust: Trust, signatures: JwsSignature[]): number {
  const signers = new Set<string>();
  for (const { header, signingInput, signature } of signatures) {
    const root = rootKey(trust, header.kid, 'the trust bundle');
    if (root.ok && verifyEd25519(root.key, signingInput, signature)) signers.add(header.kid);
  }
  return signers.size;
}

/**
 * Moves `current` on to a root-signed trust bundle (General JSON JWS), as TUF rotates roots: the bundle
 * needs `current.threshold` signatures by the roots trusted now AND its own threshold by the roots it
 * lists, so one stolen root key cannot publish a bundle and losing one cannot block rotation. A bundle
 * whose version is not above the current one is ignored (adopted: false). Bundles are adopted one
 * version after another: a device behind by two applies both, in order. Persist the result only when
 * adopted, after this returns.
 */
export function acceptTrustBundle(current: Trust, bundle: unknown): SignatureResult<{ trust: Trust; adopted: boolean }> {
  const jws = parseGeneral(bundle, 'trustBundle', TRUST_BUNDLE_MAX_LENGTH);
  if (!jws.ok) return jws;
  const candidate = parseTrust(jws.payload);
  if (!candidate.ok) return invalid(candidate.message.replace('the trust roots', 'the trust bundle'));
  if (candidate.trust.version <= current.version) return { ok: true, trust: current, adopted: false };
  const byCurrent = signersAmong(current, jws.signatures);
  if (byCurrent < current.threshold) {
    return invalid(
      `the trust bundle version ${candidate.trust.version} has ${byCurrent} valid signatures by the trusted roots, ` +
        `${current.threshold} needed`,
    );
  }
  const byOwn = signersAmong(candidate.trust, jws.signatures);
  if (byOwn < candidate.trust.threshold) {
    return invalid(
      `the trust bundle version ${candidate.trust.version} has ${byOwn} valid signatures by its own roots, ` +
        `${candidate.trust.threshold} needed`,
    );
  }
  return { ok: true, trust: candidate.trust, adopted: true };
}
