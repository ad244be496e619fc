import { kindOf } from './values';

type Unary = { readonly arity: 1; readonly apply: (value: unknown) => unknown };
type Binary = { readonly arity: 2; readonly apply: (a: unknown, b: unknown) => unknown };

/** String predicates are undefined (row excluded, also under NOT) unless both arguments are strings. */
function stringPredicate(test: (text: string, part: string) => boolean): Binary {
  return {
    arity: 2,
    apply: (a, b) => (typeof a === 'string' && typeof b === 'string' ? test(a, b) : undefined),
  };
}

/**
 * Scalar functions of the IoT Hub query language (names are case-insensitive in queries). The
 * type checks answer false, never undefined, for a missing value, which is what makes
 * `NOT IS_DEFINED(x)` usable.
 */
export const FUNCTIONS = {
  IS_DEFINED: { arity: 1, apply: (value) => value !== undefined },
  IS_NULL: { arity: 1, apply: (value) => value === null },
  IS_BOOL: { arity: 1, apply: (value) => typeof value === 'boolean' },
  IS_NUMBER: { arity: 1, apply: (value) => kindOf(value) === 'number' },
  IS_STRING: { arity: 1, apply: (value) => typeof value === 'string' },
  IS_ARRAY: { arity: 1, apply: (value) => Array.isArray(value) },
  IS_OBJECT: { arity: 1, apply: (value) => kindOf(value) === 'object' },
  IS_PRIMITIVE: { arity: 1, apply: (value) => ['null', 'boolean', 'number', 'string'].includes(kindOf(value)) },
  STARTS_WITH: stringPredicate((text, prefix) => text.startsWith(prefix)),
  ENDS_WITH: stringPredicate((text, suffix) => text.endsWith(suffix)),
  CONTAINS: stringPredicate((text, part) => text.includes(part)),
} satisfies Record<string, Unary | Binary>;

export type FunctionName = keyof typeof FUNCTIONS;

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}
