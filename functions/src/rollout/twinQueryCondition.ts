/**
 * The check of `target.query`, the condition of an IoT Hub twin query's WHERE clause. The activity
 * sends it as `SELECT ... FROM devices WHERE (<condition>)`; it is parsed with the query
 * language's grammar (contracts/twinQuery, the one the hub emulator parses with) as the inside of
 * that parenthesis, so a condition IoT Hub would reject is refused here, with the line and column
 * of the mistake in the text as sent, instead of failing the rollout later.
 */
import { QuerySyntaxError, lineAndColumn, parseCondition } from '../../../contracts/twinQuery';

export const MAX_QUERY_CONDITION_LENGTH = 4000;

// Line breaks and tabs are whitespace in a query; other control characters never belong in one,
// not even inside a string literal, where the grammar would take them.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** The problems found in a condition, as messages; empty when it is a valid condition. */
export function queryConditionProblems(condition: string): string[] {
  const problems: string[] = [];
  if (condition.length > MAX_QUERY_CONDITION_LENGTH) {
    problems.push(`must be at most ${MAX_QUERY_CONDITION_LENGTH} characters (has ${condition.length})`);
  }
  const control = CONTROL_CHARACTER.exec(condition);
  if (control !== null) {
    // Reported instead of parsing: a control character is the mistake whatever follows it.
    const { line, column } = lineAndColumn(condition, control.index);
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    problems.push(`must not contain control characters (U+${code} at line ${line}, column ${column})`);
    return problems;
  }
  try {
    parseCondition(condition);
  } catch (error) {
    if (!(error instanceof QuerySyntaxError)) throw error;
    problems.push(`must be only the condition of a twin query's WHERE clause, such as tags.model = 'thermo-x' (${error.message})`);
  }
  return problems;
}
