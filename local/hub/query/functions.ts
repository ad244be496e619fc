import type { FUNCTION_ARITY, FunctionName } from '../../../contracts/twinQuery';
import { kindOf } from './values';

type Unary = (value: unknown) => unknown;
type Binary = (a: unknown, b: unknown) => unknown;
/** Each function takes as many arguments as the grammar lets a call pass it. */
type Implementations = { readonly [Name in FunctionName]: (typeof FUNCTION_ARITY)[Name] extends 1 ? Unary : Binary };

/** String predicates are undefined (row excluded, also under NOT) unless both arguments are strings. */
function stringPredicate(test: (text: string, part: string) => boolean): Binary {
  return (a, b) => (typeof a === 'string' && typeof b === 'string' ? test(a, b) : undefined);
}

/**
 * Scalar functions of the IoT Hub query language (names are case-insensitive in queries). The
 * type checks answer false, never undefined, for a missing value, which is what makes
 * `NOT IS_DEFINED(x)` usable.
 */
export const FUNCTIONS: Implementations = {
  IS_DEFINED: (value) => value !== undefined,
  IS_NULL: (value) => value === null,
  IS_BOOL: (value) => typeof value === 'boolean',
  IS_NUMBER: (value) => kindOf(value) === 'number',
  IS_STRING: (value) => typeof value === 'string',
  IS_ARRAY: (value) => Array.isArray(value),
  IS_OBJECT: (value) => kindOf(value) === 'object',
  IS_PRIMITIVE: (value) => ['null', 'boolean', 'number', 'string'].includes(kindOf(value)),
  STARTS_WITH: stringPredicate((text, prefix) => text.startsWith(prefix)),
  ENDS_WITH: stringPredicate((text, suffix) => text.endsWith(suffix)),
  CONTAINS: stringPredicate((text, part) => text.includes(part)),
};
