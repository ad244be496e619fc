import { z } from 'zod';
import { verifyEd25519 } from './ed25519Jwk';
import { parseCompact } from './jws';
import { invalid, type SignatureFailure, type SignatureResult } from './signatureResult';
import { verifyCertificate, type CertificateCheck, type SigningKeyCertificate } from './signingKeyCertificate';

/** What a device is, as a manifest's compatibility entries name it. */
export interface DeviceModel {
  /** Absent in a compatibility entry: any manufacturer's device of that model. */
  manufacturer?: string;
  model: string;
}

const NAME_MAX_LENGTH = 128;

/** `acme/x100`, or `x100` without a manufacturer: how messages and command lines name a model. */
export function modelName({ manufacturer, model }: DeviceModel): string {
  return manufacturer === undefined ? model : `${manufacturer}/${model}`;
}

/**
 * `acme/x100` or `x100` (the command lines' spelling) as a DeviceModel; throws naming what is wrong.
 * The model is everything after the first slash, so a model name may hold slashes.
 */
export function parseDeviceModel(value: string): DeviceModel {
  const slash = value.indexOf('/');
  const [manufacturer, model] = slash < 0 ? [undefined, value] : [value.slice(0, slash), value.slice(slash + 1)];
  if (manufacturer === '') throw new Error(`'${value}': the manufacturer before the slash is empty (write [manufacturer/]model)`);
  if (model === '') throw new Error(`'${value}': the model is empty (write [manufacturer/]model)`);
  for (const [what, name] of [
    ['manufacturer', manufacturer],
    ['model', model],
  ] as const)
    if (name !== undefined && name.length > NAME_MAX_LENGTH)
      throw new Error(`'${value}': the ${what} is longer than ${NAME_MAX_LENGTH} characters`);
  return manufacturer === undefined ? { model } : { manufacturer, model };
}

/**
 * A signed firmware manifest: a compact JWS by a signing key, carrying that key's certificate in its
 * protected header (`fwk`), so one string holds everything a verifier needs beside its roots. The image
 * itself is then checked against `sha256` and `size` by whoever holds it (the device while downloading).
 */
export interface SignedFirmwareManifest {
  format: 1;
  version: string;
  /** SHA-256 of the image, 64 lowercase hex digits. */
  sha256: string;
  size: number;
  file?: string;
  /** Absent: any device. Otherwise the device's model (and manufacturer, when an entry names one) must match an entry. */
  compatibility?: DeviceModel[];
  /** Epoch seconds. */
  iat: number;
}

/** A manifest with its certificate inside is about 1.2 KB; longer input is refused before it is parsed. */
export const MANIFEST_MAX_LENGTH = 16 * 1024;

/** The payload schema: verifiers parse with it, and the signer checks what it signs with it. */
export const signedManifestSchema = z.strictObject({
  format: z.literal(1),
  version: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hexadecimal digits'),
  size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  file: z.string().min(1).max(255).optional(),
  compatibility: z
    .array(
      z.strictObject({
        manufacturer: z.string().min(1).max(NAME_MAX_LENGTH).optional(),
        model: z.string().min(1).max(NAME_MAX_LENGTH),
      }),
    )
    .min(1)
    .max(64)
    .optional(),
  iat: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

/** What the manifest must say: the request's firmware, and the device's model when the device checks. */
export interface ManifestExpectation extends Partial<DeviceModel> {
  version: string;
  sha256: string;
  size: number;
}

export interface ManifestCheck extends CertificateCheck {
  /** The compact JWS; undefined or '' when the request carries none (signatureMissing). */
  manifest: unknown;
  expect?: ManifestExpectation;
}

export interface VerifiedManifest {
  manifest: SignedFirmwareManifest;
  certificate: SigningKeyCertificate;
  signingKid: string;
  rootKid: string;
}

function mismatch(field: string, message: string): SignatureFailure {
  return { ok: false, code: 'manifestMismatch', field, message };
}

/** The scope names the device: an entry of its model, for its manufacturer or for any. */
function isFor(scope: DeviceModel[], device: DeviceModel): boolean {
  return scope.some(
    (entry) => entry.model === device.model && (entry.manufacturer === undefined || entry.manufacturer === device.manufacturer),
  );
}

/** The first field where the manifest says something else than `expected`, or undefined. */
function checkExpectation(manifest: SignedFirmwareManifest, expected: ManifestExpectation): SignatureFailure | undefined {
  if (manifest.version !== expected.version)
    return mismatch('version', `the manifest signs version ${manifest.version}, not ${expected.version}`);
  if (manifest.sha256 !== expected.sha256.toLowerCase())
    return mismatch('sha256', `the manifest signs sha256 ${manifest.sha256}, not ${expected.sha256}`);
  if (manifest.size !== expected.size) return mismatch('size', `the manifest signs a size of ${manifest.size} bytes, not ${expected.size}`);
  // A manifest for any device, or an expectation without a model (the API knows no device), is not scoped.
  const { compatibility } = manifest;
  if (compatibility !== undefined && expected.model !== undefined) {
    const device = { manufacturer: expected.manufacturer, model: expected.model };
    if (!isFor(compatibility, device))
      return mismatch('compatibility', `the manifest is for ${compatibility.map(modelName).join(', ')}, not ${modelName(device)}`);
  }
  return undefined;
}

/**
 * The one check the API, the device and the CLI run on a signed manifest, in order: present
 * (signatureMissing), envelope, certificate (see verifyCertificate), header kid = certified key, signature
 * by the certified key, payload schema (all signatureInvalid unless revoked), then `expect`
 * (manifestMismatch naming the field).
 */
export function verifySignedManifest({ manifest, expect, ...check }: ManifestCheck): SignatureResult<VerifiedManifest> {
  if (manifest === undefined || manifest === null || manifest === '') {
    return { ok: false, code: 'signatureMissing', message: 'the firmware has no signed manifest' };
  }
  const jws = parseCompact(manifest, 'manifest', MANIFEST_MAX_LENGTH);
  if (!jws.ok) return jws;
  if (typeof jws.header.fwk !== 'string') return invalid('the manifest header carries no signing-key certificate (fwk)');
  const certified = verifyCertificate(jws.header.fwk, check);
  if (!certified.ok) return certified;
  const signingKid = certified.certificate.kid;
  if (jws.header.kid !== signingKid)
    return invalid(`the manifest names signing key ${jws.header.kid}, its certificate is for ${signingKid}`);
  if (!verifyEd25519(certified.key, jws.signingInput, jws.signature)) {
    return invalid(`the manifest's signature does not verify with signing key ${signingKid}`);
  }
  const parsed = signedManifestSchema.safeParse(jws.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid(`the manifest payload ${issue.path.map(String).join('.') || 'value'}: ${issue.message}`);
  }
  const failure = expect && checkExpectation(parsed.data, expect);
  if (failure) return failure;
  return { ok: true, manifest: parsed.data, certificate: certified.certificate, signingKid, rootKid: certified.rootKid };
}
