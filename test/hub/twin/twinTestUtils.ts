import { IotHubError } from '../../../local/hub/errors/IotHubError';
import type { JsonObject, JsonValue } from '../../../local/hub/twin';

export const T1 = '2024-05-01T10:00:00.000Z';
export const T2 = '2024-05-02T11:00:00.000Z';
export const T3 = '2024-05-03T12:00:00.000Z';

export interface ExpectedError {
  status: number;
  errorCode: number;
  codeName: string;
  message?: string | RegExp;
}

/** Runs `fn`, asserts it threw an IotHubError with these fields, and returns the error. */
export function expectIotHubError(fn: () => unknown, expected: ExpectedError): IotHubError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(IotHubError);
  const error = caught as IotHubError;
  expect({ status: error.status, errorCode: error.errorCode, codeName: error.codeName }).toEqual({
    status: expected.status,
    errorCode: expected.errorCode,
    codeName: expected.codeName,
  });
  if (typeof expected.message === 'string') expect(error.message).toBe(expected.message);
  else if (expected.message) expect(error.message).toMatch(expected.message);
  return error;
}

export const ARGUMENT_INVALID = { status: 400, errorCode: 400004, codeName: 'ArgumentInvalid' } as const;
export const ARGUMENT_NULL = { status: 400, errorCode: 400005, codeName: 'ArgumentNull' } as const;
export const SECTION_TOO_LARGE = { status: 403, errorCode: 403100, codeName: 'DeviceModelMaxPropertiesExceeded' } as const;

/**
 * An object whose twin size (docs' rule: key bytes + string bytes) is exactly `total`, built from
 * three-letter keys and ASCII strings of at most 4096 bytes.
 */
export function objectOfSize(total: number, prefix = 'k'): JsonObject {
  const result: JsonObject = {};
  let remaining = total;
  for (let i = 0; remaining > 0; i++) {
    const key = `${prefix}${String(i).padStart(2, '0')}`;
    const valueLength = Math.min(4096, remaining - key.length);
    if (valueLength < 0) throw new Error(`cannot build an object of size ${total}`);
    result[key] = 'x'.repeat(valueLength);
    remaining -= key.length + valueLength;
  }
  return result;
}

/** Nested object `{k1: {k2: … {kN: leaf}}}`: N keys deep, so N-1 nested objects. */
export function nested(depth: number, leaf: JsonValue = 'value'): JsonObject {
  let value: JsonValue = leaf;
  for (let level = depth; level >= 1; level--) value = { [`k${level}`]: value };
  return value as JsonObject;
}
