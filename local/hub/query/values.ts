/**
 * Comparison semantics shared by WHERE, IN, GROUP BY and MIN/MAX. Follows IoT Hub (and the
 * Cosmos DB engine it grew from): values of different JSON types are incomparable, and an
 * incomparable or missing operand makes the comparison undefined rather than false.
 */

export type ValueKind = 'undefined' | 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** The JSON type of a value; anything JSON cannot carry (NaN, functions, bigint) counts as undefined. */
export function kindOf(value: unknown): ValueKind {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isFinite(value) ? 'number' : 'undefined';
    case 'boolean':
      return 'boolean';
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'array' : 'object';
    default:
      return 'undefined';
  }
}

/** `=`: undefined when either side is undefined or the JSON types differ; objects and arrays compare deeply. */
export function equalValues(a: unknown, b: unknown): boolean | undefined {
  const type = typeof a;
  // Strings, numbers and booleans settle here without the (comparatively costly) full kindOf.
  if (type === 'string' || type === 'number' || type === 'boolean') return type === typeof b ? a === b : undefined;
  const kind = kindOf(a);
  if (kind === 'undefined' || kind !== kindOf(b)) return undefined;
  return kind === 'null' || deepEqual(a, b);
}

/**
 * Ordering for `<`, `<=`, `>`, `>=`: numbers numerically, strings ordinally (UTF-16 code units),
 * false before true, null equal to null. Objects, arrays and mixed types have no order.
 */
export function compareValues(a: unknown, b: unknown): number | undefined {
  const type = typeof a;
  if (type !== typeof b) return undefined;
  switch (type) {
    case 'number':
    case 'string': {
      const left = a as number | string;
      const right = b as number | string;
      // The final test leaves NaN unordered.
      return left < right ? -1 : left > right ? 1 : left === right ? 0 : undefined;
    }
    case 'boolean':
      return Number(a) - Number(b);
    default:
      return a === null && b === null ? 0 : undefined;
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  if (kind === 'array') {
    const left = a as unknown[];
    const right = b as unknown[];
    return left.length === right.length && left.every((item, i) => deepEqual(item, right[i]));
  }
  if (kind === 'object') {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && deepEqual(left[key], right[key]));
  }
  return a === b;
}
