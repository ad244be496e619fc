import { createHash, createPrivateKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { checkEd25519Jwk, ed25519PublicKey, jwkThumbprint, verifyEd25519, type Ed25519Jwk } from '../../contracts/signing/ed25519Jwk';
import { base64urlJson } from '../../contracts/signing/jws';
import { modelName, parseDeviceModel, verifySignedManifest, type ManifestExpectation } from '../../contracts/signing/signedManifest';
import { verifyCertificate } from '../../contracts/signing/signingKeyCertificate';
import { acceptTrustBundle, parseTrust, type Trust } from '../../contracts/signing/trust';
import { certifySigningKey, issueTrustBundle, makeTrustRoots, signCompact, signManifest } from '../../local/firmware/signing';

interface Key {
  kid: string;
  jwk: Ed25519Jwk;
  privateKey: KeyObject;
}

function newKey(): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const checked = checkEd25519Jwk(publicKey.export({ format: 'jwk' }));
  if (!checked.ok) throw new Error(checked.message);
  return { kid: jwkThumbprint(checked.jwk), jwk: checked.jwk, privateKey };
}

/** A compact JWS with any header at all, signed by `key` (for the headers the signer never writes). */
function forge(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

const segments = (jws: string): string[] => jws.split('.');
const decode = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

const T0 = new Date('2026-06-01T00:00:00Z');
const NOW = new Date('2026-06-10T12:00:00Z');
const SHA = createHash('sha256').update('image 2.0.0').digest('hex');
const IMAGE = { version: '2.0.0', sha256: SHA, size: 1000, file: 'firmware-2.0.0.bin' };
const EXPECT: ManifestExpectation = { version: '2.0.0', sha256: SHA, size: 1000 };

const [r1, r2, r3, r4, r5] = [newKey(), newKey(), newKey(), newKey(), newKey()];
const [s1, s2] = [newKey(), newKey()];
const roots = (...keys: Key[]) => keys.map(({ kid, jwk }) => ({ kid, jwk }));
const TRUST: Trust = makeTrustRoots({ roots: roots(r1, r2, r3), threshold: 2, now: T0 });

const certify = (root: Key, key: Key, now = T0, days = 30): string =>
  certifySigningKey({ rootKey: root.privateKey, signingKey: key.jwk, now, days });
const signed = (key: Key, certificate: string, image: Record<string, unknown> = IMAGE, now = T0): string =>
  signManifest({ image, signingKey: key.privateKey, certificate, now });
const CERT = certify(r1, s1);
const MANIFEST = signed(s1, CERT);

const check = (manifest: unknown, trust: Trust = TRUST, now = NOW, expect: ManifestExpectation | undefined = EXPECT) =>
  verifySignedManifest({ manifest, trust, now, ...(expect ? { expect } : {}) });

/** A manifest whose header is `header` (fwk defaults to CERT), properly signed by s1. */
const withHeader = (header: Record<string, unknown>): string =>
  forge({ alg: 'EdDSA', typ: 'fleetwave-manifest+jws', kid: s1.kid, fwk: CERT, ...header }, decode(segments(MANIFEST)[1]), s1.privateKey);

describe('signed manifests: root -> signing-key certificate -> manifest', () => {
  test('a valid chain is accepted, with what it signs and who signed it', () => {
    expect(check(MANIFEST)).toEqual({
      ok: true,
      manifest: { format: 1, ...IMAGE, iat: Math.floor(T0.getTime() / 1000) },
      certificate: expect.objectContaining({ kid: s1.kid, jwk: s1.jwk, use: 'firmware' }),
      signingKid: s1.kid,
      rootKid: r1.kid,
    });
  });

  test('a chain to a root other than the first is accepted just the same', () => {
    expect(check(signed(s1, certify(r3, s1)))).toMatchObject({ ok: true, rootKid: r3.kid });
  });

  test('no manifest is signatureMissing', () => {
    for (const manifest of [undefined, null, '']) expect(check(manifest)).toMatchObject({ ok: false, code: 'signatureMissing' });
  });

  test('a payload changed after signing (re-encoded, signature kept) is signatureInvalid', () => {
    const [header, payload, signature] = segments(MANIFEST);
    const tampered = base64urlJson({ ...decode(payload), size: 1001 });
    expect(check([header, tampered, signature].join('.'), TRUST, NOW, undefined)).toMatchObject({
      ok: false,
      code: 'signatureInvalid',
      message: expect.stringContaining('does not verify with signing key'),
    });
  });

  test('a header changed after signing (fwk swapped for another certificate of the same key) is signatureInvalid', () => {
    const [, payload, signature] = segments(MANIFEST);
    const header = base64urlJson({ ...decode(segments(MANIFEST)[0]), fwk: certify(r2, s1) });
    expect(check([header, payload, signature].join('.'))).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining('does not verify'),
    });
  });

  test("a manifest signed by a key other than the certificate's is signatureInvalid", () => {
    // s2 signs, claiming to be s1 with s1's certificate.
    const claimed = forge(
      { alg: 'EdDSA', typ: 'fleetwave-manifest+jws', kid: s1.kid, fwk: CERT },
      decode(segments(MANIFEST)[1]),
      s2.privateKey,
    );
    expect(check(claimed)).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining(`does not verify with signing key ${s1.kid}`),
    });
    // s2 signs under its own kid, with s1's certificate.
    const own = forge(
      { alg: 'EdDSA', typ: 'fleetwave-manifest+jws', kid: s2.kid, fwk: CERT },
      decode(segments(MANIFEST)[1]),
      s2.privateKey,
    );
    expect(check(own)).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining(`names signing key ${s2.kid}, its certificate is for ${s1.kid}`),
    });
    expect(() => signed(s2, CERT)).toThrow(`the certificate is for signing key ${s1.kid}, the private key is ${s2.kid}`);
  });

  test('a certificate by a root the verifier does not trust is signatureInvalid', () => {
    expect(check(signed(s1, certify(r4, s1)))).toMatchObject({
      code: 'signatureInvalid',
      message: `the certificate is signed by root key ${r4.kid}, which is not trusted`,
    });
    // The root's kid in the header, the signature by another key: the kid is not trusted as a string.
    const impostor = forge({ alg: 'EdDSA', typ: 'fleetwave-signing-key+jwt', kid: r1.kid }, decode(segments(CERT)[1]), r4.privateKey);
    expect(check(signed(s1, impostor))).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining(`does not verify with root key ${r1.kid}`),
    });
  });

  describe('the certified key', () => {
    const certPayload = (overrides: Record<string, unknown>) => ({ ...decode(segments(CERT)[1]), ...overrides });
    const withCertified = (overrides: Record<string, unknown>): string =>
      signed(s1, signCompact('certificate', certPayload(overrides), r1.privateKey));

    test("a kid that is not the key's thumbprint is signatureInvalid", () => {
      // The signer refuses to sign under such a certificate, so the manifest is forged (by s1, naming s2 as the certificate does).
      const certificate = signCompact('certificate', certPayload({ kid: s2.kid }), r1.privateKey);
      const manifest = forge(
        { alg: 'EdDSA', typ: 'fleetwave-manifest+jws', kid: s2.kid, fwk: certificate },
        decode(segments(MANIFEST)[1]),
        s1.privateKey,
      );
      expect(check(manifest)).toMatchObject({
        code: 'signatureInvalid',
        message: `the certificate's kid ${s2.kid} is not the thumbprint of its key`,
      });
    });

    test.each([
      ['RSA', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), 'is a RSA key, not OKP/Ed25519'],
      ['EC', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), 'is a EC/P-256 key, not OKP/Ed25519'],
      ['Ed448', generateKeyPairSync('ed448').publicKey.export({ format: 'jwk' }), 'is a OKP/Ed448 key, not OKP/Ed25519'],
      ['with d', s1.privateKey.export({ format: 'jwk' }), 'contains a private key (d)'],
    ])('a %s JWK is signatureInvalid', (_name, jwk, why) => {
      expect(check(withCertified({ jwk }))).toMatchObject({ ok: false, code: 'signatureInvalid', message: expect.stringContaining(why) });
    });

    test('a small-order key (the identity point) with the R = identity, S = 0 signature is signatureInvalid', () => {
      const identity: Ed25519Jwk = {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from([1, ...new Array<number>(31).fill(0)]).toString('base64url'),
      };
      const weakKid = jwkThumbprint(identity);
      const certificate = signCompact('certificate', certPayload({ kid: weakKid, jwk: identity }), r1.privateKey);
      const header = base64urlJson({ alg: 'EdDSA', typ: 'fleetwave-manifest+jws', kid: weakKid, fwk: certificate });
      const input = `${header}.${base64urlJson({ format: 1, ...IMAGE, iat: 1 })}`;
      const forged = Buffer.concat([Buffer.from([1]), Buffer.alloc(63)]);
      // What makes the deny-list necessary: node:crypto accepts the forgery under that key.
      expect(verify(null, Buffer.from(input), ed25519PublicKey(identity), forged)).toBe(true);
      expect(check(`${input}.${forged.toString('base64url')}`)).toMatchObject({
        code: 'signatureInvalid',
        message: 'the certified key is a small-order point, which verifies forged signatures',
      });
    });
  });

  test.each([
    ['alg none', { alg: 'none' }, 'alg is "none", only "EdDSA" is accepted'],
    ['alg HS256', { alg: 'HS256' }, 'alg is "HS256"'],
    ['alg ES256', { alg: 'ES256' }, 'alg is "ES256"'],
    ['crit', { crit: ['b64'], b64: false }, 'header has crit'],
    ['an embedded jwk', { jwk: s1.jwk }, 'header member "jwk" is not allowed'],
    ['no fwk', { fwk: undefined }, 'carries no signing-key certificate (fwk)'],
  ])('a manifest header with %s is signatureInvalid', (_name, header, why) => {
    expect(check(withHeader(header))).toMatchObject({ code: 'signatureInvalid', message: expect.stringContaining(why) });
  });

  test('each object has its own typ: a certificate is no manifest, a manifest no certificate', () => {
    expect(check(CERT)).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining('typ is "fleetwave-signing-key+jwt", not "fleetwave-manifest+jws"'),
    });
    const certifiedManifest = signCompact('manifest', decode(segments(CERT)[1]), r1.privateKey);
    expect(verifyCertificate(certifiedManifest, { trust: TRUST, now: NOW })).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining('typ is "fleetwave-manifest+jws"'),
    });
  });

  test.each([
    ['2 segments', () => segments(MANIFEST).slice(0, 2).join('.'), 'has 2 segments, not 3'],
    ['4 segments', () => `${MANIFEST}.x`, 'has 4 segments, not 3'],
    ['a non-base64url character', () => MANIFEST.replace('.', '.$'), 'payload is not base64url'],
    ['padding', () => `${MANIFEST}==`, 'signature is not base64url'],
    ['a header that is not JSON', () => `bm90IGpzb24.${segments(MANIFEST)[1]}.${segments(MANIFEST)[2]}`, 'header is not JSON'],
    [
      'a header that is an array',
      () => `${base64urlJson([1])}.${segments(MANIFEST)[1]}.${segments(MANIFEST)[2]}`,
      'header is not a JSON object',
    ],
    ['16 KB and more', () => `${MANIFEST}${'A'.repeat(16 * 1024)}`, 'more than 16384'],
    ['10 MB', () => 'A.'.repeat(5 * 1024 * 1024), 'more than 16384'],
    ['a number', () => 42, 'is not a string'],
  ])('%s is signatureInvalid, no crash', (_name, make, why) => {
    expect(check(make())).toMatchObject({ ok: false, code: 'signatureInvalid', message: expect.stringContaining(why) });
  });

  test('a signed payload outside the schema is signatureInvalid naming the field', () => {
    expect(
      check(
        forge(
          { alg: 'EdDSA', typ: 'fleetwave-manifest+jws', kid: s1.kid, fwk: CERT },
          { format: 1, ...IMAGE, sha256: 'ABC', iat: 1 },
          s1.privateKey,
        ),
      ),
    ).toMatchObject({ code: 'signatureInvalid', message: 'the manifest payload sha256: must be 64 lowercase hexadecimal digits' });
  });

  test('a revoked signing key and a disabled root are keyRevoked', () => {
    expect(check(MANIFEST, { ...TRUST, disabledSigningKeys: [s1.kid] })).toEqual({
      ok: false,
      code: 'keyRevoked',
      message: `signing key ${s1.kid} is disabled`,
    });
    expect(check(MANIFEST, { ...TRUST, disabledRootKeys: [r1.kid] })).toEqual({
      ok: false,
      code: 'keyRevoked',
      message: `the certificate is signed by root key ${r1.kid}, which is disabled`,
    });
  });

  test('certificate validity is judged at now, 300 s either way', () => {
    const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
    const exp = 30 * 86_400;
    expect(check(MANIFEST, TRUST, at(-300))).toMatchObject({ ok: true });
    expect(check(MANIFEST, TRUST, at(-301))).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining('is not valid before 2026-06-01T00:00:00.000Z'),
    });
    expect(check(MANIFEST, TRUST, at(exp + 299))).toMatchObject({ ok: true });
    expect(check(MANIFEST, TRUST, at(exp + 300))).toMatchObject({
      code: 'signatureInvalid',
      message: expect.stringContaining('expired at 2026-07-01T00:00:00.000Z'),
    });
    expect(verifyCertificate(CERT, { trust: TRUST, now: at(exp), skewSeconds: 0 })).toMatchObject({ code: 'signatureInvalid' });
  });

  test('signing keys rotate with no change to the trust: old and new manifests both verify', () => {
    const newer = signed(s2, certify(r2, s2, NOW), { ...IMAGE, version: '2.1.0' }, NOW);
    expect(check(MANIFEST)).toMatchObject({ ok: true, signingKid: s1.kid });
    expect(check(newer, TRUST, NOW, { ...EXPECT, version: '2.1.0' })).toMatchObject({ ok: true, signingKid: s2.kid, rootKid: r2.kid });
  });

  test.each([
    ['version', { version: '2.0.1' }, 'the manifest signs version 2.0.0, not 2.0.1'],
    ['sha256', { sha256: 'f'.repeat(64) }, `the manifest signs sha256 ${SHA}, not ${'f'.repeat(64)}`],
    ['size', { size: 999 }, 'the manifest signs a size of 1000 bytes, not 999'],
  ])('a request whose %s differs from the manifest is manifestMismatch naming it', (field, change, message) => {
    expect(check(MANIFEST, TRUST, NOW, { ...EXPECT, ...change })).toEqual({ ok: false, code: 'manifestMismatch', field, message });
  });

  test('a device model is written [manufacturer/]model; an empty or overlong part is refused naming it', () => {
    expect(parseDeviceModel('acme/x100')).toEqual({ manufacturer: 'acme', model: 'x100' });
    expect(parseDeviceModel('x100')).toEqual({ model: 'x100' });
    expect(parseDeviceModel('acme/x100/rev2')).toEqual({ manufacturer: 'acme', model: 'x100/rev2' });
    expect(() => parseDeviceModel('')).toThrow("'': the model is empty");
    expect(() => parseDeviceModel('acme/')).toThrow("'acme/': the model is empty");
    expect(() => parseDeviceModel('/x100')).toThrow("'/x100': the manufacturer before the slash is empty");
    expect(() => parseDeviceModel(`acme/${'m'.repeat(129)}`)).toThrow('the model is longer than 128 characters');
    expect(modelName(parseDeviceModel('acme/x100'))).toBe('acme/x100');
  });

  test('sha256 compares without regard to case; compatibility scopes the image to models', () => {
    expect(check(MANIFEST, TRUST, NOW, { ...EXPECT, sha256: SHA.toUpperCase() })).toMatchObject({ ok: true });
    const scoped = signManifest({
      image: IMAGE,
      signingKey: s1.privateKey,
      certificate: CERT,
      now: T0,
      compatibility: [{ manufacturer: 'acme', model: 'x100' }, { model: 'x200' }],
    });
    expect(check(scoped, TRUST, NOW, { ...EXPECT, manufacturer: 'acme', model: 'x100' })).toMatchObject({ ok: true });
    expect(check(scoped, TRUST, NOW, { ...EXPECT, manufacturer: 'other', model: 'x200' })).toMatchObject({ ok: true });
    expect(check(scoped, TRUST, NOW, { ...EXPECT, manufacturer: 'other', model: 'x100' })).toEqual({
      ok: false,
      code: 'manifestMismatch',
      field: 'compatibility',
      message: 'the manifest is for acme/x100, x200, not other/x100',
    });
    expect(check(scoped, TRUST, NOW, EXPECT)).toMatchObject({ ok: true });
  });
});

describe('trust bundles: root rotation and revocation', () => {
  const bundle = (version: number, listed: Key[], signers: Key[], changes: Partial<Trust> = {}) =>
    JSON.stringify(
      issueTrustBundle({
        trust: { version, threshold: 2, rootKeys: roots(...listed), disabledRootKeys: [], disabledSigningKeys: [], ...changes },
        signers: signers.map((key) => key.privateKey),
        now: NOW,
      }),
    );

  test('a bundle signed by a threshold of the current and of its own roots is adopted; its new root certifies', () => {
    const rotated = acceptTrustBundle(TRUST, bundle(1, [r2, r3, r4], [r2, r3, r4], { disabledRootKeys: [r1.kid] }));
    expect(rotated).toMatchObject({ ok: true, adopted: true, trust: { version: 1, disabledRootKeys: [r1.kid] } });
    if (!rotated.ok) return;
    expect(check(signed(s1, certify(r4, s1)), rotated.trust)).toMatchObject({ ok: true, rootKid: r4.kid });
    expect(check(MANIFEST, rotated.trust)).toMatchObject({ code: 'keyRevoked' });
  });

  test.each([
    ['one current root', [r4, r2], [r2, r4, r5], 'has 1 valid signatures by the trusted roots, 2 needed'],
    ['only new roots', [r4, r5], [r4, r5], 'has 0 valid signatures by the trusted roots, 2 needed'],
    ['one root twice', [r2, r2], [r2, r3], 'has 1 valid signatures by the trusted roots, 2 needed'],
    ['too few of its own roots', [r1, r2], [r1, r4, r5], 'has 1 valid signatures by its own roots, 2 needed'],
  ])('a bundle signed by %s is refused and the trust is unchanged', (_name, signers, listed, why) => {
    expect(acceptTrustBundle(TRUST, bundle(1, listed, signers))).toEqual({
      ok: false,
      code: 'signatureInvalid',
      message: `the trust bundle version 1 ${why}`,
    });
  });

  test('a signature that does not verify is not counted', () => {
    const good = JSON.parse(bundle(1, [r1, r2, r3], [r1, r2])) as {
      payload: string;
      signatures: { protected: string; signature: string }[];
    };
    const other = JSON.parse(bundle(1, [r1, r2, r3, r4], [r2])) as typeof good;
    const mixed = { payload: good.payload, signatures: [good.signatures[0], other.signatures[0]] };
    expect(acceptTrustBundle(TRUST, mixed)).toMatchObject({
      ok: false,
      message: expect.stringContaining('has 1 valid signatures by the trusted roots'),
    });
  });

  test('a bundle whose version is not above the trusted one is ignored: a revocation stays', () => {
    const v1 = bundle(1, [r1, r2, r3], [r1, r2]);
    const v2 = bundle(2, [r1, r2, r3], [r1, r2], { disabledSigningKeys: [s1.kid] });
    const first = acceptTrustBundle(TRUST, v1);
    expect(first).toMatchObject({ ok: true, adopted: true, trust: { version: 1 } });
    if (!first.ok) return;
    // A device two versions behind takes them one after the other.
    const second = acceptTrustBundle(first.trust, v2);
    expect(second).toMatchObject({ ok: true, adopted: true, trust: { version: 2, disabledSigningKeys: [s1.kid] } });
    if (!second.ok) return;
    expect(acceptTrustBundle(second.trust, v1)).toEqual({ ok: true, adopted: false, trust: second.trust });
    expect(acceptTrustBundle(second.trust, v2)).toEqual({ ok: true, adopted: false, trust: second.trust });
    expect(check(MANIFEST, second.trust)).toMatchObject({ code: 'keyRevoked' });
  });

  test('the envelope is checked as strictly: unprotected headers, wrong typ, bad payloads', () => {
    const good = JSON.parse(bundle(1, [r1, r2, r3], [r1, r2])) as { payload: string; signatures: Record<string, unknown>[] };
    const cases: [unknown, string][] = [
      [{ ...good, signatures: good.signatures.map((entry) => ({ ...entry, header: { kid: r3.kid } })) }, 'is not {protected, signature}'],
      [{ ...good, signatures: [] }, 'has 0 signatures'],
      [{ ...good, extra: 1 }, 'member "extra" is not allowed'],
      [{ ...good, payload: `${good.payload}=` }, 'payload is not base64url'],
      [JSON.parse(JSON.stringify(good).replace(good.payload, base64urlJson({ format: 1 }))), 'the trust bundle version'],
      ['{', 'is not JSON'],
      [`"${'x'.repeat(70_000)}"`, 'more than 65536'],
      [CERT, 'is not JSON'],
    ];
    for (const [value, why] of cases)
      expect(acceptTrustBundle(TRUST, value)).toMatchObject({ ok: false, code: 'signatureInvalid', message: expect.stringContaining(why) });
  });

  test('a roots file is checked too: every kid is its key thumbprint, the threshold reachable', () => {
    expect(parseTrust({ ...TRUST, rootKeys: [{ kid: r2.kid, jwk: r1.jwk }] })).toMatchObject({
      message: 'the trust roots rootKeys.0.kid: is not the thumbprint of its jwk',
    });
    expect(parseTrust({ ...TRUST, threshold: 3, disabledRootKeys: [r1.kid] })).toMatchObject({
      message: 'the trust roots threshold: is 3, more than the 2 enabled root keys',
    });
    expect(parseTrust(JSON.stringify(TRUST))).toEqual({ ok: true, trust: TRUST });
  });
});

describe('keys and sizes', () => {
  test('RFC 8032 test vector 1 through the JWK import path gives the published signature', () => {
    const hex = (value: string) => Buffer.from(value, 'hex').toString('base64url');
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a') };
    const privateKey = createPrivateKey({
      key: { ...jwk, d: hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60') },
      format: 'jwk',
    });
    const expected =
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    expect(sign(null, Buffer.alloc(0), privateKey).toString('hex')).toBe(expected);
    const checked = checkEd25519Jwk(jwk);
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(verifyEd25519(ed25519PublicKey(checked.jwk), '', Buffer.from(expected, 'hex'))).toBe(true);
  });

  test('a firmwareUpdate payload with a signed manifest and a 3-root bundle with 10 revoked keys fits one 4 KB method unit', () => {
    const revoked = Array.from({ length: 10 }, () => newKey().kid);
    const trustBundle = issueTrustBundle({
      trust: { version: 7, threshold: 2, rootKeys: roots(r1, r2, r3), disabledRootKeys: [], disabledSigningKeys: revoked },
      signers: [r1.privateKey, r2.privateKey, r3.privateKey],
      now: NOW,
    });
    const payload = {
      rolloutId: 'rollout-2026-06-10-canary-wave',
      fwVersion: '2.0.0',
      fwPackageUri: 'https://firmware.example.com/images/firmware-2.0.0.bin',
      sha256: SHA,
      size: 1000,
      tracker: `rollout-2026-06-10-canary-wave:${'x'.repeat(60)}`,
      install: 'staged',
      manifest: MANIFEST,
      trustBundle,
    };
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    expect(bytes).toBeLessThan(4096);
    expect(acceptTrustBundle(TRUST, payload.trustBundle)).toMatchObject({ ok: true, adopted: true });
  });
});
