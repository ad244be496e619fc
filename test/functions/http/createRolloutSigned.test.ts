jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRollout, specHash } from '../../../functions/src/http/rollouts';
import type { RolloutInput } from '../../../functions/src/orchestrators/rollout';
import { firmwareUpdateRequest } from '../../../functions/src/orchestrators/batch';
import { parseRolloutSpec, specFingerprint } from '../../../functions/src/rollout';
import { FIRMWARE_TRUST, FIRMWARE_TRUST_BUNDLE, REQUIRE_SIGNED_FIRMWARE } from '../../../functions/src/settings';
import { newKey, SigningKit } from '../../support/signingFixture';
import { FIRMWARE } from '../support/fixtures';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => api.instances.clear());
afterEach(() => {
  for (const name of [REQUIRE_SIGNED_FIRMWARE, FIRMWARE_TRUST, FIRMWARE_TRUST_BUNDLE]) delete process.env[name];
});

const kit = new SigningKit();
const IMAGE = { version: FIRMWARE.version, sha256: FIRMWARE.sha256, size: FIRMWARE.size };
const SIGNED = { ...FIRMWARE, manifest: kit.manifest(IMAGE) };
const rollout = (firmware: object) => ({ rolloutId: 'fw-signed', firmware, target: { deviceIds: ['d1'] } });

function post(body: unknown): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: 'POST',
    url: 'https://fleet.example.com/api/rollouts',
    body: { string: JSON.stringify(body) },
    headers: { 'content-type': 'application/json' },
  });
  return createRollout(request, api.context('createRollout'));
}

type Problems = { error: string; problems: { field: string; message: string }[] };

function settings(values: { require?: string; trust?: string; bundle?: string }): void {
  if (values.require !== undefined) process.env[REQUIRE_SIGNED_FIRMWARE] = values.require;
  if (values.trust !== undefined) process.env[FIRMWARE_TRUST] = values.trust;
  if (values.bundle !== undefined) process.env[FIRMWARE_TRUST_BUNDLE] = values.bundle;
}

const ROOTS = JSON.stringify(kit.trust);

async function expectRejected(firmware: object, field: string, message: RegExp): Promise<void> {
  const response = await post(rollout(firmware));
  expect(response.status).toBe(400);
  expect(response.jsonBody as Problems).toEqual({
    error: 'validationFailed',
    message: expect.any(String),
    problems: [{ field, message: expect.stringMatching(message) }],
  });
  expect(api.instances.size).toBe(0);
}

describe('POST /api/rollouts with FLEETWAVE_REQUIRE_SIGNED_FIRMWARE on', () => {
  beforeEach(() => settings({ require: 'on', trust: ROOTS }));

  test('a manifest that verifies and signs the firmware: 202, the manifest kept in the spec', async () => {
    const response = await post(rollout(SIGNED));
    expect(response.status).toBe(202);
    const input = api.instances.get('fw-signed')!.input as RolloutInput;
    expect(input.spec.firmware).toEqual(SIGNED);
  });

  test.each(
    (
      [
        ['no manifest', FIRMWARE, 'firmware.manifest', /is required: this app accepts signed firmware only/],
        [
          'a forged manifest (signed by an uncertified key)',
          { ...FIRMWARE, manifest: kit.forged(IMAGE) },
          'firmware.manifest',
          /^signatureInvalid: .*does not verify/,
        ],
        [
          'a manifest whose certificate expired',
          { ...FIRMWARE, manifest: kit.expired(IMAGE) },
          'firmware.manifest',
          /^signatureInvalid: .*expired at/,
        ],
        ['a manifest that is not a JWS', { ...FIRMWARE, manifest: 'not.a.jws' }, 'firmware.manifest', /^signatureInvalid: /],
        [
          'a manifest for another sha256',
          { ...FIRMWARE, sha256: 'a'.repeat(64), manifest: SIGNED.manifest },
          'firmware.sha256',
          /^manifestMismatch: the manifest signs sha256/,
        ],
        [
          'a manifest for another size',
          { ...FIRMWARE, size: 7, manifest: SIGNED.manifest },
          'firmware.size',
          /^manifestMismatch: .*size of 1048576 bytes, not 7/,
        ],
        [
          'a manifest for another version',
          { ...FIRMWARE, version: '9.9.9', manifest: SIGNED.manifest },
          'firmware.version',
          /^manifestMismatch: .*version 2.1.0, not 9.9.9/,
        ],
      ] satisfies [string, object, string, RegExp][]
    ).map(([name, firmware, field, message]) => ({ name, firmware, field, message })),
  )('$name: 400 naming $field, nothing started', async ({ firmware, field, message }) => {
    await expectRejected(firmware, field, message);
  });

  test('a manifest by a signing key the trust bundle revokes: 400 keyRevoked', async () => {
    settings({ bundle: JSON.stringify(kit.bundle(1, [kit.signer.kid])) });
    await expectRejected(SIGNED, 'firmware.manifest', /^keyRevoked: signing key .* is disabled/);
  });

  test('the roots and the bundle can be files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetwave-trust-'));
    writeFileSync(join(dir, 'roots.json'), ROOTS);
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(kit.bundle(1, [kit.signer.kid])));
    settings({ trust: join(dir, 'roots.json'), bundle: join(dir, 'bundle.json') });
    await expectRejected(SIGNED, 'firmware.manifest', /^keyRevoked/);
  });

  test('a non-string manifest is a 400 from the spec itself', async () => {
    await expectRejected({ ...FIRMWARE, manifest: 42 }, 'firmware.manifest', /must be a string: the signed manifest/);
  });
});

describe('POST /api/rollouts with FLEETWAVE_REQUIRE_SIGNED_FIRMWARE off', () => {
  test('unsigned firmware is accepted and its spec hash is the one it always had', async () => {
    settings({ require: 'off', trust: ROOTS });
    expect((await post(rollout(FIRMWARE))).status).toBe(202);
    const input = api.instances.get('fw-signed')!.input as RolloutInput;
    const parsed = parseRolloutSpec(rollout(FIRMWARE));
    if (!parsed.ok) throw new Error('fixture invalid');
    expect(input.spec.firmware).not.toHaveProperty('manifest');
    expect(input.specHash).toBe(specHash(parsed.spec));
    // The fingerprint of a spec without a manifest is what it was before the field existed.
    expect(specFingerprint(parsed.spec)).not.toContain('manifest');
  });

  test('with trust configured, a forged manifest is still refused, never passed on', async () => {
    settings({ trust: ROOTS });
    await expectRejected({ ...FIRMWARE, manifest: kit.forged(IMAGE) }, 'firmware.manifest', /^signatureInvalid/);
  });

  test('with trust configured, a valid manifest is passed on', async () => {
    settings({ trust: ROOTS });
    expect((await post(rollout(SIGNED))).status).toBe(202);
    expect((api.instances.get('fw-signed')!.input as RolloutInput).spec.firmware.manifest).toBe(SIGNED.manifest);
  });

  test('without trust, a manifest is passed on unchecked (the devices verify it)', async () => {
    const forged = { ...FIRMWARE, manifest: kit.forged(IMAGE) };
    expect((await post(rollout(forged))).status).toBe(202);
    expect((api.instances.get('fw-signed')!.input as RolloutInput).spec.firmware.manifest).toBe(forged.manifest);
  });
});

describe('the signed-firmware settings', () => {
  test.each([
    [{ require: 'maybe', trust: ROOTS }, /FLEETWAVE_REQUIRE_SIGNED_FIRMWARE is invalid: 'maybe' is not on or off/],
    [{ require: 'on' }, /FLEETWAVE_REQUIRE_SIGNED_FIRMWARE is invalid: it is on but FLEETWAVE_FIRMWARE_TRUST is not set/],
    [{ trust: '{"format": 1}' }, /FLEETWAVE_FIRMWARE_TRUST is invalid: the trust roots /],
    [
      { trust: '/nonexistent/roots.json' },
      /FLEETWAVE_FIRMWARE_TRUST is invalid: cannot read the file \/nonexistent\/roots.json \(ENOENT\)/,
    ],
    [{ trust: '{oops' }, /FLEETWAVE_FIRMWARE_TRUST is invalid: it is not JSON/],
    [
      { bundle: JSON.stringify(kit.bundle(1)) },
      /FLEETWAVE_FIRMWARE_TRUST_BUNDLE is invalid: it is set but FLEETWAVE_FIRMWARE_TRUST is not/,
    ],
    [
      { trust: ROOTS, bundle: JSON.stringify(new SigningKit().bundle(1)) },
      /FLEETWAVE_FIRMWARE_TRUST_BUNDLE is invalid: .*0 valid signatures/,
    ],
  ])('misconfiguration %#: 500 naming the setting, nothing started', async (values, message) => {
    settings(values);
    const response = await post(rollout(SIGNED));
    expect(response.status).toBe(500);
    expect(response.jsonBody).toMatchObject({ error: 'invalidAppSetting', message: expect.stringMatching(message) });
    expect(api.instances.size).toBe(0);
  });

  test('ON, True and an empty value are read as switches', async () => {
    settings({ require: 'ON', trust: ROOTS });
    await expectRejected(FIRMWARE, 'firmware.manifest', /is required/);
    settings({ require: ' ' });
    expect((await post(rollout(FIRMWARE))).status).toBe(202);
  });
});

test("the firmwareUpdate method payload carries the rollout's manifest, and nothing new without one", () => {
  expect(firmwareUpdateRequest('r1', SIGNED, 't1')).toEqual({
    rolloutId: 'r1',
    fwVersion: FIRMWARE.version,
    fwPackageUri: FIRMWARE.uri,
    sha256: FIRMWARE.sha256,
    size: FIRMWARE.size,
    tracker: 't1',
    manifest: SIGNED.manifest,
  });
  expect(Object.keys(firmwareUpdateRequest('r1', FIRMWARE, 't1')).sort()).toEqual([
    'fwPackageUri',
    'fwVersion',
    'rolloutId',
    'sha256',
    'size',
    'tracker',
  ]);
});

test('a firmwareUpdate payload with a manifest and a bundle of 3 roots and 10 revoked keys fits one 4 KB method meter unit', () => {
  const revoked = Array.from({ length: 10 }, () => newKey().kid);
  const payload = { ...firmwareUpdateRequest('r1', SIGNED, `rollout-${'x'.repeat(60)}:batch:1`), trustBundle: kit.bundle(1, revoked) };
  expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(4096);
});
