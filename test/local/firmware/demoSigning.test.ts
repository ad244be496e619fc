import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignedManifest } from '../../../contracts/signing/signedManifest';
import { ensureDemoSigning } from '../../../local/firmware/demoSigning';

const IMAGE = { version: '2.0.0', sha256: createHash('sha256').update('x').digest('hex'), size: 1, file: 'firmware-2.0.0.bin' };

describe("the local stack's signing material", () => {
  test('made once in its dir, private keys 0600, and what it signs verifies against its roots', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetwave-demo-signing-'));
    const signing = ensureDemoSigning(dir);
    expect(statSync(join(dir, 'root.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(signing.signingKeyPath).mode & 0o777).toBe(0o600);
    const result = verifySignedManifest({ manifest: signing.sign(IMAGE), trust: signing.trust, now: new Date(), expect: IMAGE });
    expect(result).toMatchObject({ ok: true, rootKid: signing.trust.rootKeys[0].kid });
  });

  test('reused when present: the same roots, keys and certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetwave-demo-signing-'));
    const first = ensureDemoSigning(dir);
    const files = ['roots.json', 'root.key.pem', 'signing.key.pem', 'signing.cert.jws'].map((name) =>
      readFileSync(join(dir, name), 'utf8'),
    );
    const again = ensureDemoSigning(dir);
    expect(again.trust).toEqual(first.trust);
    expect(
      ['roots.json', 'root.key.pem', 'signing.key.pem', 'signing.cert.jws'].map((name) => readFileSync(join(dir, name), 'utf8')),
    ).toEqual(files);
  });

  test('a certificate no longer valid is issued again by the same root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetwave-demo-signing-'));
    const first = ensureDemoSigning(dir, new Date('2020-01-01T00:00:00Z'));
    const stale = readFileSync(first.certificatePath, 'utf8');
    const now = ensureDemoSigning(dir);
    expect(readFileSync(now.certificatePath, 'utf8')).not.toBe(stale);
    expect(now.trust).toEqual(first.trust);
    expect(verifySignedManifest({ manifest: now.sign(IMAGE), trust: now.trust, now: new Date() })).toMatchObject({ ok: true });
  });

  test('a damaged roots file is refused naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetwave-demo-signing-'));
    ensureDemoSigning(dir);
    writeFileSync(join(dir, 'roots.json'), '{"format": 1}');
    expect(() => ensureDemoSigning(dir)).toThrow(`${join(dir, 'roots.json')}: the trust roots`);
  });
});
