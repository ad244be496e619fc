import { z } from 'zod';
import { TRACKER_PATTERN } from '../../contracts/firmwareUpdate';
import type { FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';

export type RequestValidation = { ok: true; request: FirmwareUpdateRequest } | { ok: false; field: string; message: string };

/**
 * Validates a firmwareUpdate payload; the first problem is answered with a 400 naming its field.
 * https only, unless insecure downloads were allowed explicitly (a lab, the local stack over http).
 */
export function validateFirmwareUpdateRequest(payload: unknown, options: { allowInsecureDownloads: boolean }): RequestValidation {
  const schema = z.object({
    rolloutId: z.string().min(1, 'must be a non-empty string').max(128, 'must be at most 128 characters'),
    fwVersion: z.string().min(1, 'must be a non-empty string').max(64, 'must be at most 64 characters'),
    fwPackageUri: z.string().refine((uri) => isAllowedUri(uri, options.allowInsecureDownloads), {
      message: options.allowInsecureDownloads
        ? 'must be an http:// or https:// URL'
        : 'must be an https:// URL (insecure downloads are not allowed on this device)',
    }),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal digits'),
    size: z.number().int('must be a whole number of bytes').positive('must be greater than 0').max(Number.MAX_SAFE_INTEGER),
    tracker: z.string().regex(TRACKER_PATTERN, 'must be 1-200 letters, digits or . _ : ~ ^ -, starting with a letter or digit').optional(),
  });
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, field: 'payload', message: 'must be a JSON object {rolloutId, fwVersion, fwPackageUri, sha256, size}' };
  }
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, request: { ...parsed.data, sha256: parsed.data.sha256.toLowerCase() } };
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
