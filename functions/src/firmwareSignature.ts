/**
 * Signed firmware on the app's side: the trust it verifies manifests against (app settings), the check
 * POST /api/rollouts runs on a rollout's firmware, and the trust bundle every firmwareUpdate call hands
 * to devices. The check is the devices' own (contracts/signing), judged by the app's clock at creation.
 */
import { readFileSync } from 'node:fs';
import type { TrustBundleJws } from '../../contracts/firmwareUpdate';
import type { FirmwareSpec } from '../../contracts/rolloutApi';
import { verifySignedManifest } from '../../contracts/signing/signedManifest';
import { acceptTrustBundle, parseTrust, type Trust } from '../../contracts/signing/trust';
import type { SpecProblem } from './rollout';
import { FIRMWARE_TRUST, FIRMWARE_TRUST_BUNDLE, InvalidSettingError, REQUIRE_SIGNED_FIRMWARE, switchSetting } from './settings';

export interface FirmwareTrustSettings {
  requireSigned: boolean;
  /** The roots, moved on by the bundle when one is set; null when no trust is configured. */
  trust: Trust | null;
  bundle: TrustBundleJws | null;
}

/** JSON inline (starting with `{`) or the path of a file holding it. */
function jsonSetting(name: string, env: NodeJS.ProcessEnv): unknown {
  const value = (env[name] ?? '').trim();
  if (value === '') return undefined;
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (error) {
      throw new InvalidSettingError(name, `cannot read the file ${value} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidSettingError(name, value === text ? 'it is not JSON' : `the file ${value} is not JSON`);
  }
}

/** The three settings, checked together; InvalidSettingError names the one to fix. */
export function firmwareTrustSettings(env: NodeJS.ProcessEnv = process.env): FirmwareTrustSettings {
  const requireSigned = switchSetting(REQUIRE_SIGNED_FIRMWARE, env);
  const roots = jsonSetting(FIRMWARE_TRUST, env);
  const bundle = jsonSetting(FIRMWARE_TRUST_BUNDLE, env);
  if (roots === undefined) {
    if (requireSigned) throw new InvalidSettingError(REQUIRE_SIGNED_FIRMWARE, `it is on but ${FIRMWARE_TRUST} is not set`);
    if (bundle !== undefined) throw new InvalidSettingError(FIRMWARE_TRUST_BUNDLE, `it is set but ${FIRMWARE_TRUST} is not`);
    return { requireSigned, trust: null, bundle: null };
  }
  const pinned = parseTrust(roots);
  if (!pinned.ok) throw new InvalidSettingError(FIRMWARE_TRUST, pinned.message);
  if (bundle === undefined) return { requireSigned, trust: pinned.trust, bundle: null };
  const accepted = acceptTrustBundle(pinned.trust, bundle);
  if (!accepted.ok) throw new InvalidSettingError(FIRMWARE_TRUST_BUNDLE, accepted.message);
  if (!accepted.adopted) {
    throw new InvalidSettingError(FIRMWARE_TRUST_BUNDLE, `its version is not above the roots' version ${pinned.trust.version}`);
  }
  return { requireSigned, trust: accepted.trust, bundle: bundle as TrustBundleJws };
}

/**
 * What is wrong with a rollout's firmware signature, as field problems: a missing manifest when signed
 * firmware is required; with trust configured, any manifest given must verify (a forged one is never
 * passed on, whether or not signatures are required) and sign the spec's version, sha256 and size.
 * Without trust, a manifest is passed on unchecked: the devices verify it.
 */
export function firmwareSignatureProblems(firmware: FirmwareSpec, settings: FirmwareTrustSettings, now: Date): SpecProblem[] {
  if (firmware.manifest === undefined) {
    return settings.requireSigned
      ? [{ field: 'firmware.manifest', message: `is required: this app accepts signed firmware only (${REQUIRE_SIGNED_FIRMWARE} is on)` }]
      : [];
  }
  if (settings.trust === null) return [];
  const expect = { version: firmware.version, sha256: firmware.sha256, size: firmware.size };
  const verified = verifySignedManifest({ manifest: firmware.manifest, trust: settings.trust, now, expect });
  if (verified.ok) return [];
  const field = verified.code === 'manifestMismatch' && verified.field ? `firmware.${verified.field}` : 'firmware.manifest';
  return [{ field, message: `${verified.code}: ${verified.message}` }];
}

/**
 * The trust bundle handed to devices with every firmwareUpdate call, read when the call is made, so a
 * revocation reaches the next devices of a rollout already running (and the bundle stays out of the
 * orchestration histories). Null when none is set, or when the settings stopped being valid after the
 * rollout started (told to `warn`): devices then verify with the trust they hold.
 */
export function trustBundleForDevices(warn: (message: string) => void, env: NodeJS.ProcessEnv = process.env): TrustBundleJws | null {
  try {
    return firmwareTrustSettings(env).bundle;
  } catch (error) {
    if (!(error instanceof InvalidSettingError)) throw error;
    warn(error.message);
    return null;
  }
}
