/**
 * The scalar functions of the query language, by name (case-insensitive in queries) with the
 * number of arguments each takes: what the grammar needs to accept a call. What each computes is
 * the business of whoever runs queries (the hub emulator).
 */
export const FUNCTION_ARITY = {
  IS_DEFINED: 1,
  IS_NULL: 1,
  IS_BOOL: 1,
  IS_NUMBER: 1,
  IS_STRING: 1,
  IS_ARRAY: 1,
  IS_OBJECT: 1,
  IS_PRIMITIVE: 1,
  STARTS_WITH: 2,
  ENDS_WITH: 2,
  CONTAINS: 2,
} as const satisfies Record<string, 1 | 2>;

export type FunctionName = keyof typeof FUNCTION_ARITY;

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTION_ARITY, name);
}
