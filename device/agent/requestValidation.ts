import { z } from 'zod';
import { INSTALL_MODES, TRACKER_PATTERN } from '../../contracts/firmwareUpdate';
import type { FirmwareApplyRequest, FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';

export type Validation<T> = { ok: true; request: T } | { ok: false; field: string; message: string };

/** The fields both methods name an update by, checked the same way in each. */
const updateIdentity = {
  rolloutId: z.string().min(1, 'must be a non-empty string').max(128, 'must be at most 128 characters'),
  fwVersion: z.string().min(1, 'must be a non-empty string').max(64, 'must be at most 64 characters'),
  tracker: z.string().regex(TRACKER_PATTERN, 'must be 1-200 letters, digits or . _ : ~ ^ -, starting with a letter or digit').optional(),
};

/** The signature fields' shapes; what they say is checked by the signature check, before the download. */
const signatureFields = {
  manifest: z.string({ error: 'must be a string: the signed manifest (compact JWS)' }).optional(),
  trustBundle: z
    .object(
      { payload: z.string(), signatures: z.array(z.object({ protected: z.string(), signature: z.string() })) },
      { error: 'must be a trust bundle {payload, signatures} (General JSON JWS)' },
    )
    .optional(),
};
/** A field this agent ignores, whatever it holds. */
const ignored = z
  .unknown()
  .transform((): undefined => undefined)
  .optional();

/**
 * Validates a firmwareUpdate payload; the first problem is answered with a 400 naming its field.
 * https only, unless insecure downloads were allowed explicitly (a lab, the local stack over http).
 * Unknown fields are dropped, so an app newer than this agent can add optional ones; so are `manifest`
 * and `trustBundle` when the agent does not verify signatures (no trust roots), as before them.
 */
export function validateFirmwareUpdateRequest(
  payload: unknown,
  options: { allowInsecureDownloads: boolean; verifiesSignatures?: boolean },
): Validation<FirmwareUpdateRequest> {
  const schema = z.object({
    ...updateIdentity,
    fwPackageUri: z.string().refine((uri) => isAllowedUri(uri, options.allowInsecureDownloads), {
      message: options.allowInsecureDownloads
        ? 'must be an http:// or https:// URL'
        : 'must be an https:// URL (insecure downloads are not allowed on this device)',
    }),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal digits'),
    size: z.number().int('must be a whole number of bytes').positive('must be greater than 0').max(Number.MAX_SAFE_INTEGER),
    attempt: z.number().int('must be a whole number').min(1, 'must be 1 or more').max(Number.MAX_SAFE_INTEGER).optional(),
    install: z.enum(INSTALL_MODES, { error: `must be ${INSTALL_MODES.map((mode) => JSON.stringify(mode)).join(' or ')}` }).optional(),
    manifest: options.verifiesSignatures ? signatureFields.manifest : ignored,
    trustBundle: options.verifiesSignatures ? signatureFields.trustBundle : ignored,
  });
  const result = validate(schema, payload, '{rolloutId, fwVersion, fwPackageUri, sha256, size}');
  return result.ok ? { ok: true, request: { ...result.request, sha256: result.request.sha256.toLowerCase() } } : result;
}

/** Validates a firmwareApply payload, the same way. */
export function validateFirmwareApplyRequest(payload: unknown): Validation<FirmwareApplyRequest> {
  return validate(z.object(updateIdentity), payload, '{rolloutId, fwVersion}');
}

function validate<T>(schema: z.ZodType<T>, payload: unknown, shape: string): Validation<T> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, field: 'payload', message: `must be a JSON object ${shape}` };
  }
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, request: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue.path.map(String).join('.') || 'payload';
  const message =
    issue.code === 'invalid_type' && (payload as Record<string, unknown>)[field] === undefined ? 'is required' : issue.message;
  return { ok: false, field, message };
}

function isAllowedUri(uri: string, allowInsecure: boolean): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (allowInsecure && url.protocol === 'http:');
}
