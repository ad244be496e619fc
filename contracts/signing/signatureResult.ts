/**
 * What a signature check answers. The codes are the download error codes a device reports and the
 * reasons the API gives, so both sides name a refusal the same way; `message` says precisely why
 * (an unknown root and an expired certificate are both `signatureInvalid`, told apart by it).
 */
export const SIGNATURE_ERROR_CODES = ['signatureMissing', 'signatureInvalid', 'keyRevoked', 'manifestMismatch'] as const;
export type SignatureErrorCode = (typeof SIGNATURE_ERROR_CODES)[number];

export interface SignatureFailure {
  ok: false;
  code: SignatureErrorCode;
  message: string;
  /** manifestMismatch only: the manifest field that differs (version, sha256, size, compatibility). */
  field?: string;
}

export type SignatureResult<T> = ({ ok: true } & T) | SignatureFailure;

export function invalid(message: string): SignatureFailure {
  return { ok: false, code: 'signatureInvalid', message };
}
