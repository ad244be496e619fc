import fc from 'fast-check';
import { QuerySyntaxError, parseCondition, parseQuery } from '../../contracts/twinQuery';

/** What IoT Hub receives for a condition (resolveTargets projects other columns; the grammar is the same). */
const WRAPPER = 'SELECT * FROM devices WHERE (';
const wrapped = (condition: string): string => `${WRAPPER}${condition})`;

function syntaxError(parse: () => unknown): QuerySyntaxError | undefined {
  try {
    parse();
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error;
    throw error;
  }
  return undefined;
}

/** The tree with every position moved by `offset`, to compare a condition's tree with the wrapped query's. */
function shifted(value: unknown, offset: number): unknown {
  if (Array.isArray(value)) return value.map((item) => shifted(item, offset));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, item]) => [key, key === 'position' ? (item as number) + offset : shifted(item, offset)]);
  return Object.fromEntries(entries);
}

/** The message without its "Syntax error at line L, column C: " head. */
const detail = (error: QuerySyntaxError): string => error.message.replace(/^Syntax error at line \d+, column \d+: /, '');

describe('parseCondition: a WHERE condition as IoT Hub receives it, SELECT ... FROM devices WHERE (<condition>)', () => {
  test('errors point into the condition as written: line and column of its own text, not of the wrapped query', () => {
    const condition = "tags.ring = 'canary'\n  AND tags.model =";
    const error = syntaxError(() => parseCondition(condition));
    expect(error).toBeInstanceOf(QuerySyntaxError);
    expect([error?.position, error?.line, error?.column]).toEqual([condition.length, 2, 19]);
    expect(error?.message).toBe('Syntax error at line 2, column 19: expected an expression but found end of condition');
  });

  test('the parenthesis around the condition counts towards the nesting limit, as in the wrapped query', () => {
    const nested = (depth: number): string => `${'('.repeat(depth)}a = 1${')'.repeat(depth)}`;
    expect(() => parseCondition(nested(99))).not.toThrow();
    expect(() => parseQuery(wrapped(nested(99)))).not.toThrow();
    const tooDeep = syntaxError(() => parseCondition(nested(100)));
    expect(tooDeep?.message).toBe('Syntax error at line 1, column 100: expression is nested more than 100 levels deep');
    expect(syntaxError(() => parseQuery(wrapped(nested(100))))?.position).toBe(WRAPPER.length + 99);
  });

  test('a condition cannot close the parenthesis around it, though the wrapped text would parse', () => {
    const condition = "tags.ring = 'canary') OR (true";
    expect(() => parseQuery(wrapped(condition))).not.toThrow();
    const error = syntaxError(() => parseCondition(condition));
    expect(error?.message).toBe("Syntax error at line 1, column 21: expected end of condition but found ')'");
  });

  test('agrees with the wrapped query: accepts what it accepts, with the same tree, and finds the same errors', () => {
    const fragments = [
      'tags.a',
      'b',
      '.',
      '=',
      '!=',
      '<>',
      '<',
      '>=',
      '==',
      '1',
      '-',
      '+',
      '*',
      "'x'",
      '"y"',
      "'",
      'true',
      'null',
      'AND',
      'OR',
      'NOT',
      'IN',
      'NIN',
      '[',
      ']',
      ',',
      '(',
      ')',
      'IS_DEFINED',
      'STARTS_WITH',
      'COUNT',
      'SELECT',
      'FROM',
      'WHERE',
      'GROUP',
      'BY',
      'ORDER',
      '@p',
      '\u2018x\u2019',
      '\n',
    ];
    // Fragments joined with or without a space, so that some run together (`1b`, `tags.ab`, `=<`).
    const condition = fc
      .array(fc.tuple(fc.constantFrom(...fragments), fc.constantFrom(' ', '')), { minLength: 1, maxLength: 12 })
      .map((parts) => parts.map(([fragment, gap]) => fragment + gap).join(''));
    fc.assert(
      fc.property(condition, (text) => {
        const own = syntaxError(() => parseCondition(text));
        const whole = syntaxError(() => parseQuery(wrapped(text)));
        if (own === undefined) {
          expect(whole).toBeUndefined();
          expect(shifted(parseCondition(text), WRAPPER.length)).toEqual(parseQuery(wrapped(text)).where);
        }
        if (whole !== undefined) expect(own).toBeDefined();
        // Up to the condition's last token both read the same tokens in the same state, so an error
        // found inside the condition is the wrapped query's error at the same place; only where the
        // condition must end does the wrapped query expect its ')' instead (and takes a ')' there).
        if (own === undefined || own.position >= text.length || detail(own) === "expected end of condition but found ')'") return;
        expect(whole?.position).toBe(own.position + WRAPPER.length);
        expect([detail(whole!), detail(whole!).replace("expected ')'", 'expected end of condition')]).toContain(detail(own));
      }),
      { numRuns: 3000 },
    );
  });
});
