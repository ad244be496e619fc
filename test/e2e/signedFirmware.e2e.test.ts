import { execFile } from 'node:child_process';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import type { FirmwareUpdateReport } from '../../contracts/firmwareUpdate';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { watchRollout } from '../../local/cli/rollouts/watchRollout';
import { freePorts } from '../../local/probes/freePorts';
import type { RunningLocalStack } from '../../local/stack/startLocalStack';
import { readPrivateKey, signManifest } from '../../local/firmware/signing';
import { demoRolloutSpec as spec, localStack as stack, moreDevices } from '../support/localStackFixture';
import { newKey } from '../support/signingFixture';

const DEVICES = 8;
const run = promisify(execFile);
/** The built CLI (npm test builds first). */
const CLI = resolve(__dirname, '../../dist/local/cli/main.js');

/** Every device's reported firmware: what it runs and its last update. */
function reportedByDevice(s: RunningLocalStack) {
  return [...s.hub.registry.list()].map((record) => {
    type Reported = { firmware?: { currentFwVersion?: string }; iothubDM?: { firmwareUpdate?: FirmwareUpdateReport } };
    const reported = record.twin.reported.properties as Reported;
    return { deviceId: record.identity.deviceId, fw: reported.firmware?.currentFwVersion, update: reported.iothubDM?.firmwareUpdate };
  });
}

/** The stack's signed manifest with its signature replaced by one from a key nobody certified. */
function forgedManifest(s: RunningLocalStack): string {
  const [header, payload] = s.firmware.image.manifest!.split('.');
  const impostor = newKey().privateKey;
  return `${header}.${payload}.${sign(null, Buffer.from(`${header}.${payload}`, 'ascii'), impostor).toString('base64url')}`;
}

const signedSpec = (s: RunningLocalStack, extra: Record<string, unknown> = {}) =>
  spec(s, { firmware: { ...spec(s).firmware, manifest: s.firmware.image.manifest }, waves: [{ percent: 100 }], ...extra });

describe('signed firmware end to end on the local stack', () => {
  jest.setTimeout(240_000);

  test('the app requiring signed firmware refuses an unsigned rollout; a signed one installs on every device', async () => {
    const s = await stack(DEVICES, {}, { signedFirmware: true });
    try {
      const api = new RolloutApiClient(s.apiUrl);
      await expect(api.start(spec(s, { rolloutId: 'unsigned' }))).rejects.toThrow(/firmware\.manifest.*is required/);

      // Signed, started the way a user does: the image's manifest and its signed manifest, as the firmware tools write them.
      const dir = mkdtempSync(join(tmpdir(), 'fleetwave-signed-cli-'));
      const { version, sha256, size, uri, manifest } = s.firmware.image;
      writeFileSync(join(dir, 'firmware.json'), JSON.stringify({ version, sha256, size }));
      writeFileSync(join(dir, 'firmware.manifest.jws'), `${manifest}\n`);
      const cli = [
        'rollout',
        'start',
        '--api',
        s.apiUrl,
        '--manifest',
        join(dir, 'firmware.json'),
        '--uri',
        uri,
        '--query',
        "tags.fleet = 'demo'",
      ];
      const { stdout } = await run(process.execPath, [CLI, ...cli, '--signed-manifest', join(dir, 'firmware.manifest.jws'), '--watch']);
      expect(stdout).toMatch(/completed/);
      const [final] = (await api.list()).items;
      expect(final.state).toBe('completed');
      expect(final.totals).toMatchObject({ targeted: DEVICES, succeeded: DEVICES, failed: 0 });
      const devices = reportedByDevice(s);
      expect(devices).toHaveLength(DEVICES);
      for (const device of devices)
        expect([device.deviceId, device.fw, device.update?.status]).toEqual([device.deviceId, '2.0.0', 'applyComplete']);
    } finally {
      await s.close();
    }
  });

  test('a forged manifest that reaches the devices (the app has no trust to check it) is refused by all, nothing downloaded', async () => {
    // The app passes manifests on unchecked when it has no trust configured: the devices are the last line.
    const passThrough = { FLEETWAVE_REQUIRE_SIGNED_FIRMWARE: 'off', FLEETWAVE_FIRMWARE_TRUST: '' };
    const s = await stack(DEVICES, {}, { signedFirmware: true, appSettings: passThrough });
    try {
      const api = new RolloutApiClient(s.apiUrl);
      const forged = spec(s, {
        rolloutId: 'forged',
        firmware: { ...spec(s).firmware, manifest: forgedManifest(s) },
        waves: [{ percent: 100 }],
        failureThreshold: { percent: 100, action: 'abort' },
      });
      const final = await watchRollout(api, (await api.start(forged)).id, { quiet: true });
      expect(final.state).toBe('completedWithFailures');
      expect(final.totals).toMatchObject({ targeted: DEVICES, succeeded: 0, failed: DEVICES });
      for (const device of reportedByDevice(s)) {
        expect(device).toMatchObject({
          fw: '1.0.0',
          update: { rolloutId: 'forged', status: 'downloadFailed', error: { code: 'signatureInvalid' } },
        });
        expect(device.update?.error?.message).toMatch(/does not verify with signing key/);
        // It never started downloading (a null time is deleted from the twin, as reported properties merge).
        expect(device.update?.startedDownloadingTime ?? null).toBeNull();
      }
      for (const { agent } of s.fleet.devices) expect(agent?.currentFwVersion).toBe('1.0.0');

      // The genuine manifest then installs everywhere through the same app.
      const genuine = await watchRollout(api, (await api.start(signedSpec(s))).id, { quiet: true });
      expect(genuine.state).toBe('completed');
      for (const device of reportedByDevice(s)) expect(device.fw).toBe('2.0.0');
    } finally {
      await s.close();
    }
  });

  test('an image signed for one model: devices of another refuse it (manifestMismatch); a rollout targets them by their reported model', async () => {
    const s = await stack(4, {}, { signedFirmware: true });
    const x200State = mkdtempSync(join(tmpdir(), 'fleetwave-x200-'));
    const x200 = await moreDevices(s, {
      count: 2,
      prefix: 'x200-',
      tags: { fleet: 'demo', ring: 'broad' },
      seed: 'x200',
      stateRoot: x200State,
      trustRoots: s.firmware.signing!.trust,
      requireSigned: true,
      deviceModel: { manufacturer: 'acme', model: 'x200' },
    });
    try {
      const api = new RolloutApiClient(s.apiUrl);
      const signing = s.firmware.signing!;
      const forX100 = signManifest({
        image: s.firmware.image,
        signingKey: readPrivateKey(signing.signingKeyPath, 'the signing key'),
        certificate: readFileSync(signing.certificatePath, 'utf8'),
        now: new Date(),
        compatibility: [{ manufacturer: 'acme', model: 'x100' }],
      });
      const scoped = await watchRollout(
        api,
        (await api.start(signedSpec(s, { rolloutId: 'x100-only', firmware: { ...spec(s).firmware, manifest: forX100 } }))).id,
        { quiet: true },
      );
      // The simulated fleet's agents are told no model: they cannot check one and install it.
      expect(scoped.totals).toMatchObject({ targeted: 6, succeeded: 4, failed: 2 });
      const failed = await api.devices('x100-only', { state: 'failed' });
      expect(failed.items.map((row) => [row.deviceId, row.error?.code, row.error?.message])).toEqual(
        ['x200-1', 'x200-2'].map((deviceId) => [deviceId, 'manifestMismatch', 'the manifest is for acme/x100, not acme/x200']),
      );
      for (const device of reportedByDevice(s).filter((d) => d.deviceId.startsWith('x200-'))) {
        expect(device.fw).toBe('1.0.0');
        expect(device.update?.startedDownloadingTime ?? null).toBeNull();
      }

      // Their own image (here: the stack's, for any model), targeted by what they report they are.
      const byModel = await watchRollout(
        api,
        (await api.start(signedSpec(s, { rolloutId: 'x200', target: { query: "properties.reported.firmware.model = 'x200'" } }))).id,
        { quiet: true },
      );
      expect(byModel).toMatchObject({ state: 'completed', totals: { targeted: 2, succeeded: 2 } });
      for (const device of reportedByDevice(s)) expect([device.deviceId, device.fw]).toEqual([device.deviceId, '2.0.0']);
    } finally {
      await x200.stop();
      await s.close();
      rmSync(x200State, { recursive: true, force: true });
    }
  });

  test('`fleetwave demo` (npm start, run to the end) rolls out signed firmware; its keys are made once, then reused', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleetwave-demo-'));
    const demo = async (...extra: string[]) => {
      const [https, mqtt, amqp, firmware, host] = await freePorts(5);
      const ports = ['--https-port', https, '--mqtt-port', mqtt, '--amqp-port', amqp, '--firmware-port', firmware, '--host-port', host].map(
        String,
      );
      const flags = ['--devices', '4', '--data-dir', dataDir, '--fail-download', '0', '--fail-apply', '0', ...ports, ...extra];
      // Colours are on under CI (picocolors): the text is what is asserted.
      return stripVTControlCharacters((await run(process.execPath, [CLI, 'demo', ...flags])).stdout);
    };
    try {
      expect(await demo()).toMatch(/completed +firmware 2\.0\.0\n +4 targeted: 4 succeeded/);
      const roots = readFileSync(join(dataDir, 'signing', 'roots.json'), 'utf8');
      expect(JSON.parse(roots)).toMatchObject({ version: 0, rootKeys: [{ kid: expect.any(String) }] });
      expect(await demo('--keep-data')).toMatch(/completed/);
      expect(readFileSync(join(dataDir, 'signing', 'roots.json'), 'utf8')).toBe(roots);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
