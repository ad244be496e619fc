/**
 * The grammar of IoT Hub's query language (`POST /devices/query`), as this project speaks it: the
 * hub emulator parses every query with it before running it (local/hub/query), and the function
 * app checks the WHERE condition of a rollout's target with it before sending it to IoT Hub.
 *
 *   const query = parseQuery("SELECT deviceId FROM devices WHERE tags.location.region = 'US'"); // throws QuerySyntaxError
 *   const where = parseCondition("tags.location.region = 'US'"); // errors point into the condition
 *
 * Keywords and function names are case-insensitive; property names are case-sensitive.
 */
export { QuerySyntaxError, lineAndColumn } from './QuerySyntaxError';
export { parseCondition, parseQuery } from './parser';
export type { AggregateCall, ArithmeticOperator, ComparisonOperator, Expr, JsonValue, PathExpr, Query, SelectItem } from './ast';
export { FUNCTION_ARITY } from './functions';
export type { FunctionName } from './functions';
