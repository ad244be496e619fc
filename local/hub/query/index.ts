/**
 * Running IoT Hub twin queries (`POST /devices/query`) over device twin documents. The grammar
 * is shared with the function app and lives in contracts/twinQuery:
 *
 *   const query = parseQuery("SELECT deviceId FROM devices WHERE tags.location.region = 'US'"); // throws QuerySyntaxError
 *   const { itemType, items } = runQuery(query, twins);
 *
 * Semantics where IoT Hub's documentation is silent, chosen to match the Cosmos DB engine it
 * derives from: comparisons with a missing operand or operands of different JSON types are
 * unknown, unknown propagates through NOT/AND/OR (Kleene logic), and only true keeps a row.
 * Property names are case-sensitive (twin JSON keys are); keywords and function names are not.
 */
export { runQuery } from './execute';
export type { QueryResult } from './execute';
