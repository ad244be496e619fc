/**
 * A lexical check of `target.query`, the condition of an IoT Hub twin query's WHERE clause. The
 * activity wraps it as `SELECT ... FROM devices WHERE (<condition>)`, so the condition must not
 * bring its own clauses; IoT Hub still has the last word on the grammar. Strings are skipped with
 * the query language's own rules (single or double quotes, backslash escapes) so that
 * `tags.note = 'select from'` is fine.
 */

export const MAX_QUERY_CONDITION_LENGTH = 4000;

const CLAUSE_KEYWORDS: ReadonlySet<string> = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP']);
const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/y;
// Line breaks and tabs are whitespace in a query; other control characters never are.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const CLOSING: Readonly<Record<string, string>> = { ')': '(', ']': '[' };

/** The problems found in a (trimmed) condition, as messages; empty when it looks acceptable. */
export function queryConditionProblems(condition: string): string[] {
  const problems: string[] = [];
  if (condition.length > MAX_QUERY_CONDITION_LENGTH) {
    problems.push(`must be at most ${MAX_QUERY_CONDITION_LENGTH} characters (has ${condition.length})`);
  }
  if (CONTROL_CHARACTER.test(condition)) problems.push('must not contain control characters');

  const open: string[] = [];
  let keyword: string | undefined;
  let unbalanced = false;
  let terminated = true;
  let i = 0;
  while (i < condition.length) {
    const char = condition[i];
    if (char === "'" || char === '"') {
      const end = endOfString(condition, i);
      if (end < 0) {
        problems.push(`has an unterminated string starting at character ${i + 1}`);
        terminated = false;
        break;
      }
      i = end + 1;
      continue;
    }
    IDENTIFIER.lastIndex = i;
    if (IDENTIFIER.test(condition)) {
      const word = condition.slice(i, IDENTIFIER.lastIndex).toUpperCase();
      // After a dot it is a property name (tags.from), not a clause.
      if (keyword === undefined && CLAUSE_KEYWORDS.has(word) && previousNonSpace(condition, i) !== '.') keyword = word;
      i = IDENTIFIER.lastIndex;
      continue;
    }
    if (char === '(' || char === '[') open.push(char);
    else if (char === ')' || char === ']') unbalanced ||= open.pop() !== CLOSING[char];
    i += 1;
  }
  if (keyword !== undefined) {
    problems.push(`must be only the condition of the WHERE clause (such as tags.model = 'thermo-x'), without ${keyword === 'GROUP' ? 'GROUP BY' : keyword}`);
  }
  // An unterminated string swallows the rest, so the nesting after it is unknown.
  if (terminated && (unbalanced || open.length > 0)) problems.push('has unbalanced parentheses or brackets');
  return problems;
}

/** Index of the closing quote of the string starting at `start`, or -1 when unterminated. */
function endOfString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function previousNonSpace(text: string, index: number): string | undefined {
  for (let i = index - 1; i >= 0; i -= 1) {
    if (!/\s/.test(text[i])) return text[i];
  }
  return undefined;
}
