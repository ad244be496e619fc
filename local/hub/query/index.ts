/**
 * The IoT Hub query language (`POST /devices/query`) over device twin documents.
 *
 *   const query = parseQuery("SELECT deviceId FROM devices WHERE tags.location.region = 'US'"); // throws QuerySyntaxError
 *   const { itemType, items } = runQuery(query, twins);
 *
 * Semantics where IoT Hub's documentation is silent, chosen to match the Cosmos DB engine it
 * derives from: comparisons with a missing operand or operands of different JSON types are
 * unknown, unknown propagates through NOT/AND/OR (Kleene logic), and only true keeps a row.
 * Property names are case-sensitive (twin JSON keys are); keywords and function names are not.
 */
export { QuerySyntaxError } from './QuerySyntaxError';
export { parseQuery } from './parser';
export { runQuery } from './execute';
export type { QueryResult } from './execute';
export type { AggregateCall, ArithmeticOperator, ComparisonOperator, Expr, PathExpr, Query, SelectItem } from './ast';
export type { FunctionName } from './functions';
export type { JsonValue } from './values';
