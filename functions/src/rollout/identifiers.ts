/**
 * Identifier rules shared by request validation, the HTTP routes and the instance-id scheme.
 */

/** IoT Hub's device id rule: 1-128 ASCII alphanumerics plus - . + % _ # * ? ! ( ) , : = @ $ ' */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/;
export const DEVICE_ID_RULE = "1-128 characters of A-Z a-z 0-9 and - . + % _ # * ? ! ( ) , : = @ $ '";

/**
 * Rollout ids: 1-64 of [A-Za-z0-9-_.], starting with a letter or digit. The first-character rule
 * keeps out `.` and `..` (which URL normalisation would eat in /api/rollouts/{id}), ids that look
 * like CLI flags, and the leading `@` Durable Functions forbids in instance ids. None of these
 * characters is `:`, which the instance-id scheme uses as its separator.
 */
export const ROLLOUT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ROLLOUT_ID_RULE = '1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit';

export function isValidDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}

export function isValidRolloutId(value: string): boolean {
  return ROLLOUT_ID_PATTERN.test(value);
}

/** Locale-independent ordering of ids, so sorting gives the same result on every host. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
