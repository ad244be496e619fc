import { ErrorBodyStyle, IotHubError } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import { isControlChar, isPlainObject, JsonObject, JsonValue, setOwn, utf8Length } from './json';
import { TWIN_LIMITS, TwinSectionName } from './limits';

/**
 * Read-only keys a client may echo back at the root of a desired/reported patch after a GET
 * (az cli and the .NET service SDK send the fetched twin back). IoT Hub ignores them there, so we
 * drop them; anywhere else a '$' key is invalid.
 */
const IGNORED_ROOT_KEYS = new Set(['$version', '$metadata']);

/**
 * Checks a patch (or replacement document) for one section the way IoT Hub does and returns a
 * fresh copy of it, without ignored root keys. Throws IotHubError 400 / 400004 ArgumentInvalid
 * (400005 ArgumentNull for a null patch).
 * Section size limits need the merged result and are enforced when the patch is applied.
 * `style` picks the error body: 'nested' for the HTTPS twin endpoints and MQTT.
 */
export function validatePatch(section: TwinSectionName, patch: unknown, style: ErrorBodyStyle = 'nested'): JsonObject {
  if (patch === null || patch === undefined) {
    throw IotHubErrorFactory.argumentNull(`The ${section} patch cannot be null.`, style);
  }
  if (!isPlainObject(patch)) throw invalid(`The ${section} patch must be a JSON object.`, style);
  const root: Record<string, unknown> = {};
  for (const key of Object.keys(patch)) {
    if (section !== 'tags' && IGNORED_ROOT_KEYS.has(key)) continue;
    setOwn(root, key, patch[key]);
  }
  return validateObject(root, 1, style);
}

/** `level` is the nesting level of this object's keys: 1 for the section root. */
function validateObject(object: Record<string, unknown>, level: number, style: ErrorBodyStyle): JsonObject {
  const result: JsonObject = {};
  for (const key of Object.keys(object)) {
    validateKey(key, style);
    setOwn(result, key, validateValue(key, object[key], level, false, style));
  }
  return result;
}

function validateValue(key: string, value: unknown, level: number, inArray: boolean, style: ErrorBodyStyle): JsonValue {
  if (value === null) {
    if (inArray) throw invalid(`Arrays cannot contain 'null' as value. Error in Property/Tag ${key}`, style);
    return null;
  }
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return validateNumber(key, value, style);
    case 'string':
      if (utf8Length(value) > TWIN_LIMITS.maxStringValueBytes) {
        throw invalid(
          `Property or Tag value should be maximum ${TWIN_LIMITS.maxStringValueBytes} bytes. Error in Property/Tag ${value}`,
          style,
        );
      }
      return value;
  }
  const isArray = Array.isArray(value);
  if (isArray || isPlainObject(value)) {
    // Checked before descending, so this walk (the first over a client's document) never recurses past the limit.
    if (level > TWIN_LIMITS.maxDepth) {
      throw invalid(`Property or Tag nesting depth should be maximum ${TWIN_LIMITS.maxDepth}. Error in Property/Tag ${key}`, style);
    }
    return isArray ? value.map((item) => validateValue(key, item, level + 1, true, style)) : validateObject(value, level + 1, style);
  }
  throw invalid(`Property ${key} has a value of unsupported type. Valid types are number, string, boolean, null, object and array`, style);
}

function validateNumber(key: string, value: number, style: ErrorBodyStyle): number {
  if (!Number.isFinite(value)) {
    throw invalid(
      `Property ${key} has a value of unsupported type. Valid types are number, string, boolean, null, object and array`,
      style,
    );
  }
  // JSON.parse erases the integer/float distinction .NET keeps; any integral value is range-checked.
  if (Number.isInteger(value) && (value < TWIN_LIMITS.minInteger || value > TWIN_LIMITS.maxInteger)) {
    throw invalid(
      `Property ${key} has an out of bound value. Valid values are between ${TWIN_LIMITS.minInteger} and ${TWIN_LIMITS.maxInteger}`,
      style,
    );
  }
  return value;
}

function validateKey(key: string, style: ErrorBodyStyle): void {
  if (key.length === 0) throw invalid('Property or Tag name cannot be empty.', style);
  if (utf8Length(key) > TWIN_LIMITS.maxKeyBytes) {
    throw invalid(`Property or Tag name should be maximum ${TWIN_LIMITS.maxKeyBytes} bytes. Error in Property/Tag ${key}`, style);
  }
  if (hasInvalidKeyChar(key)) {
    throw invalid(
      `Property or Tag name has invalid characters. Error in Property/Tag ${key}. Must not contain Control Characters, '.', '$', '#', or ' '.`,
      style,
    );
  }
}

/** The docs list control characters, '.', '$' and SP; the service also refuses '#' (see its message). */
export function hasInvalidKeyChar(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (isControlChar(code) || code === 0x2e || code === 0x24 || code === 0x23 || code === 0x20) return true;
  }
  return false;
}

function invalid(message: string, style: ErrorBodyStyle): IotHubError {
  return IotHubErrorFactory.argumentInvalid(message, style);
}
