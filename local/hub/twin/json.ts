/**
 * JSON value types and own-property helpers for twin documents.
 *
 * Twin keys come from clients, so "__proto__", "constructor" and friends are ordinary property
 * names here: reads go through Object.hasOwn and writes define own properties, never [[Set]].
 */
export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A plain object (JSON.parse output, object literal or null-prototype dictionary), not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function getOwn<T>(record: { [key: string]: T }, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function setOwn<T>(record: { [key: string]: T }, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep copy, so views and stored state never share mutable nodes with callers. */
export function cloneJson<T extends JsonValue>(value: T): T;
export function cloneJson(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item));
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const key of Object.keys(value)) setOwn(copy, key, cloneJson(value[key]));
    return copy;
  }
  return value;
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F): what .NET char.IsControl reports. */
export function isControlChar(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}
