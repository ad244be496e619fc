import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE_APPLY_METHOD, FIRMWARE_UPDATE_METHOD, type FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';
import type { DeviceModel } from '../../contracts/signing/signedManifest';
import { agentTestBed } from '../support/agentFixture';
import { firmwareRequest } from '../support/firmwareFixture';
import { newKey, SigningKit } from '../support/signingFixture';

describe('signed firmware on the agent (--trust-root, --require-signed), over the local hub', () => {
  const { fw, agents, image: imageOf, invoke, reported } = agentTestBed({ imageBytes: 64 * 1024 });
  const kit = new SigningKit();
  const signed = (rolloutId: string, overrides: Partial<FirmwareUpdateRequest> = {}) =>
    firmwareRequest(imageOf(), rolloutId, { manifest: kit.manifest(imageOf()), ...overrides });
  const update = (deviceId: string, payload: unknown) => invoke(deviceId, FIRMWARE_UPDATE_METHOD, payload);
  const verifying = (deviceId: string, options: { requireSigned?: boolean; stateDir?: string; deviceModel?: DeviceModel } = {}) =>
    agents.agent(deviceId, { trustRoots: kit.trust, requireSigned: options.requireSigned ?? true, ...options });

  /** The device refused before downloading: failed with `code`, nothing in its downloads, still on 1.0.0. */
  async function expectRefused(deviceId: string, stateDir: string, code: string, message: RegExp): Promise<void> {
    expect(agents.statuses.get(deviceId)?.slice(-2)).toEqual(['waiting', 'downloadFailed']);
    const twin = await reported(deviceId);
    expect(twin.iothubDM?.firmwareUpdate).toMatchObject({
      status: 'downloadFailed',
      error: { code, message: expect.stringMatching(message) },
    });
    expect(twin.firmware?.currentFwVersion).toBe('1.0.0');
    expect(readdirSync(join(stateDir, 'downloads'))).toEqual([]);
  }

  test('a valid signed update downloads and installs', async () => {
    const { agent } = await verifying('signed-ok');
    expect(await update('signed-ok', signed('r-ok'))).toEqual({ status: 200, payload: { status: 'accepted', rolloutId: 'r-ok' } });
    await agent.settled();
    expect(agents.statuses.get('signed-ok')).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    expect((await reported('signed-ok')).firmware?.currentFwVersion).toBe('2.0.0');
  });

  test('unsigned firmware with --require-signed: downloadFailed signatureMissing, nothing downloaded or installed', async () => {
    const { agent, stateDir, installer } = await verifying('signed-missing');
    await update('signed-missing', firmwareRequest(imageOf(), 'r-missing'));
    await agent.settled();
    await expectRefused('signed-missing', stateDir, 'signatureMissing', /no signed manifest, and this device requires one/);
    expect(installer.activeSlot()).toBe('a');
  });

  test.each([
    ['forged (signed by an uncertified key)', () => kit.forged(imageOf()), {}, 'signatureInvalid', /does not verify with signing key/],
    ['signed by a key whose certificate expired', () => kit.expired(imageOf()), {}, 'signatureInvalid', /expired at/],
    [
      'signed by a key the bundle it came with revokes',
      () => kit.manifest(imageOf()),
      { trustBundle: kit.bundle(1, [kit.signer.kid]) },
      'keyRevoked',
      /is disabled/,
    ],
    ['for another image (sha256)', () => kit.manifest({ ...imageOf(), sha256: 'b'.repeat(64) }), {}, 'manifestMismatch', /signs sha256 b+/],
    ['for another version', () => kit.manifest({ ...imageOf(), version: '2.0.1' }), {}, 'manifestMismatch', /version 2.0.1, not 2.0.0/],
  ] as const)('a manifest %s: refused with its code, the firmware server never asked', async (name, manifest, extra, code, message) => {
    const deviceId = `signed-${code}-${name.length}`;
    const { agent, stateDir } = await verifying(deviceId);
    const server = await fw.slowServer(readFileSync(join(fw.dir, imageOf().file)), { sliceBytes: 64 * 1024, pauseMs: 1 });
    try {
      await update(deviceId, firmwareRequest(imageOf(), `r-${deviceId}`, { fwPackageUri: server.url, manifest: manifest(), ...extra }));
      await agent.settled();
      await expectRefused(deviceId, stateDir, code, message);
      expect(server.ranges).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test('a newer trust bundle is adopted and kept across a restart; an older one is ignored', async () => {
    const revoked = newKey();
    const byRevoked = () => kit.manifest(imageOf(), revoked, kit.certify(revoked));
    const first = await verifying('signed-bundle');
    // v2 revokes the key: adopted (persisted), then the manifest it signed is refused.
    await update('signed-bundle', signed('r-b1', { manifest: byRevoked(), trustBundle: kit.bundle(2, [revoked.kid]) }));
    await first.agent.settled();
    await expectRefused('signed-bundle', first.stateDir, 'keyRevoked', new RegExp(`signing key ${revoked.kid} is disabled`));
    expect(JSON.parse(readFileSync(join(first.stateDir, 'trust.json'), 'utf8'))).toMatchObject({
      version: 2,
      disabledSigningKeys: [revoked.kid],
    });
    await first.agent.stop();

    // After a restart with the same pinned roots, the revocation still holds with no bundle in the request ...
    const second = await verifying('signed-bundle', { stateDir: first.stateDir });
    await update('signed-bundle', signed('r-b2', { manifest: byRevoked() }));
    await second.agent.settled();
    await expectRefused('signed-bundle', first.stateDir, 'keyRevoked', /is disabled/);
    // ... and an older bundle that does not revoke the key is ignored: it cannot un-revoke it.
    await update('signed-bundle', signed('r-b3', { manifest: byRevoked(), trustBundle: kit.bundle(1) }));
    await second.agent.settled();
    await expectRefused('signed-bundle', first.stateDir, 'keyRevoked', /is disabled/);
    expect(JSON.parse(readFileSync(join(first.stateDir, 'trust.json'), 'utf8'))).toMatchObject({ version: 2 });
    // Firmware signed by a key still trusted installs, the older bundle riding along being no error.
    await update('signed-bundle', signed('r-b4', { trustBundle: kit.bundle(1) }));
    await second.agent.settled();
    expect((await reported('signed-bundle')).firmware?.currentFwVersion).toBe('2.0.0');
  });

  test('a bundle not signed by enough trusted roots is refused and not adopted', async () => {
    const { agent, stateDir } = await verifying('signed-badbundle');
    await update('signed-badbundle', signed('r-bad', { trustBundle: new SigningKit().bundle(5) }));
    await agent.settled();
    await expectRefused('signed-badbundle', stateDir, 'signatureInvalid', /0 valid signatures by the trusted roots, 2 needed/);
    expect(existsSync(join(stateDir, 'trust.json'))).toBe(false);
  });

  test('with trust roots but without --require-signed, unsigned firmware still installs', async () => {
    const { agent } = await verifying('signed-optional', { requireSigned: false });
    await update('signed-optional', firmwareRequest(imageOf(), 'r-optional'));
    await agent.settled();
    expect((await reported('signed-optional')).firmware?.currentFwVersion).toBe('2.0.0');
  });

  test('without --trust-root a manifest is ignored, even a forged one: behaviour as before', async () => {
    const { agent, stateDir } = await agents.agent('signed-unaware');
    await update('signed-unaware', signed('r-unaware', { manifest: kit.forged(imageOf()), trustBundle: kit.bundle(1) }));
    await agent.settled();
    expect((await reported('signed-unaware')).firmware?.currentFwVersion).toBe('2.0.0');
    const persisted = JSON.parse(readFileSync(join(stateDir, 'agent-state.json'), 'utf8')) as { update: { request: object } };
    expect(persisted.update.request).not.toHaveProperty('manifest');
  });

  test('a signed staged install waits at downloadComplete and firmwareApply installs it', async () => {
    const { agent } = await verifying('signed-staged');
    const answer = await update('signed-staged', signed('r-staged', { install: 'staged' }));
    expect(answer.payload).toEqual({ status: 'accepted', rolloutId: 'r-staged', install: 'staged' });
    await agent.settled();
    expect(agents.statuses.get('signed-staged')).toEqual(['waiting', 'downloading', 'downloadComplete']);
    await invoke('signed-staged', FIRMWARE_APPLY_METHOD, { rolloutId: 'r-staged', fwVersion: '2.0.0' });
    await agent.settled();
    expect((await reported('signed-staged')).firmware?.currentFwVersion).toBe('2.0.0');
  });

  test('a device told its model (--model) reports it and refuses an image signed for other models; its own model installs', async () => {
    const forX100 = kit.forModels(imageOf(), [{ manufacturer: 'acme', model: 'x100' }, { model: 'z9' }]);
    const x200 = await verifying('signed-x200', { deviceModel: { manufacturer: 'acme', model: 'x200' } });
    await x200.agent.settled();
    expect((await reported('signed-x200')).firmware).toEqual({ currentFwVersion: '1.0.0', manufacturer: 'acme', model: 'x200' });
    const server = await fw.slowServer(readFileSync(join(fw.dir, imageOf().file)), { sliceBytes: 64 * 1024, pauseMs: 1 });
    try {
      await update('signed-x200', firmwareRequest(imageOf(), 'r-x200', { fwPackageUri: server.url, manifest: forX100 }));
      await x200.agent.settled();
      await expectRefused('signed-x200', x200.stateDir, 'manifestMismatch', /^the manifest is for acme\/x100, z9, not acme\/x200$/);
      expect(server.ranges).toEqual([]);
    } finally {
      await server.close();
    }
    // Any manufacturer's z9 may install it, as may acme's x100.
    for (const [deviceId, deviceModel] of [
      ['signed-x100', { manufacturer: 'acme', model: 'x100' }],
      ['signed-z9', { manufacturer: 'other', model: 'z9' }],
    ] as const) {
      const { agent } = await verifying(deviceId, { deviceModel });
      await update(deviceId, firmwareRequest(imageOf(), `r-${deviceId}`, { manifest: forX100 }));
      await agent.settled();
      expect((await reported(deviceId)).firmware).toEqual({ currentFwVersion: '2.0.0', ...deviceModel });
    }
  });

  test('a model no longer given is taken out of the twin when the agent starts again', async () => {
    const first = await verifying('signed-unmodelled', { deviceModel: { model: 'x100' } });
    await first.agent.settled();
    expect((await reported('signed-unmodelled')).firmware).toEqual({ currentFwVersion: '1.0.0', model: 'x100' });
    await first.agent.stop();
    const second = await verifying('signed-unmodelled', { stateDir: first.stateDir });
    await second.agent.settled();
    expect((await reported('signed-unmodelled')).firmware).toEqual({ currentFwVersion: '1.0.0' });
  });

  test('a manifest that is not a string is a 400 naming manifest on a verifying agent', async () => {
    await verifying('signed-400');
    expect(await update('signed-400', signed('r-400', { manifest: 42 as unknown as string }))).toEqual({
      status: 400,
      payload: { status: 'invalid', field: 'manifest', message: 'manifest must be a string: the signed manifest (compact JWS)' },
    });
  });
});
