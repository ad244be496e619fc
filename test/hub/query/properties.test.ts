import fc from 'fast-check';
import { QuerySyntaxError, parseQuery } from '../../../contracts/twinQuery';
import { runQuery } from '../../../local/hub/query';
import { FLEET } from './fleet';

// ---------------------------------------------------------------------------------------------
// A condition language of the test's own, with a printer and a deliberately naive evaluator, so
// the parser + compiler are checked against an independent reading of the semantics.
// ---------------------------------------------------------------------------------------------

type Scalar = null | boolean | number | string;
type Value = Scalar | Value[] | { [key: string]: Value };
type Path = readonly string[];
type Operand = { kind: 'path'; path: Path } | { kind: 'const'; value: Value };

type Cond =
  | { kind: 'cmp'; op: '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand; parens: boolean }
  | { kind: 'in'; negated: boolean; path: Path; values: Scalar[]; parens: boolean }
  | {
      kind: 'is';
      fn: 'IS_DEFINED' | 'IS_NULL' | 'IS_BOOL' | 'IS_NUMBER' | 'IS_STRING' | 'IS_OBJECT' | 'IS_ARRAY';
      path: Path;
      parens: boolean;
    }
  | { kind: 'affix'; fn: 'STARTS_WITH' | 'ENDS_WITH'; text: Operand; part: Operand; parens: boolean }
  | { kind: 'bare'; operand: Operand; parens: boolean }
  | { kind: 'not'; operand: Cond; parens: boolean }
  | { kind: 'and' | 'or'; left: Cond; right: Cond; parens: boolean };

type Row = Record<string, unknown>;

const PATHS: Path[] = [
  ['a'],
  ['flag'],
  ['tags', 'b'],
  ['tags', 'c', 'd'],
  ['properties', 'reported', 'e'],
  ['properties', 'reported', '$version'],
  ['missing'],
];
const SCALARS: Scalar[] = [null, true, false, 0, 1, 2, -1.5, 'x', 'y', '', "it's", 'x"y'];

const scalar = fc.constantFrom(...SCALARS);
/** What a query can spell: scalars and arrays. */
const constant: fc.Arbitrary<Value> = fc.oneof(
  { weight: 10, arbitrary: scalar },
  { weight: 1, arbitrary: fc.constantFrom<Value>([1, 'x'], []) },
);
/** What a twin can hold: constants and objects. */
const value: fc.Arbitrary<Value> = fc.oneof({ weight: 10, arbitrary: constant }, { weight: 1, arbitrary: fc.constant({ k: 1 }) });
const path = fc.constantFrom(...PATHS);
const operand: fc.Arbitrary<Operand> = fc.oneof(
  { weight: 3, arbitrary: path.map((p): Operand => ({ kind: 'path', path: p })) },
  { weight: 2, arbitrary: constant.map((v): Operand => ({ kind: 'const', value: v })) },
);

const { cond } = fc.letrec<{ cond: Cond; leaf: Cond }>((tie) => ({
  leaf: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('cmp' as const),
        op: fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>=' as const),
        left: path.map((p): Operand => ({ kind: 'path', path: p })),
        right: operand,
        parens: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('in' as const),
        negated: fc.boolean(),
        path,
        values: fc.array(scalar, { maxLength: 4 }),
        parens: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('is' as const),
        fn: fc.constantFrom('IS_DEFINED', 'IS_NULL', 'IS_BOOL', 'IS_NUMBER', 'IS_STRING', 'IS_OBJECT', 'IS_ARRAY' as const),
        path,
        parens: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('affix' as const),
        fn: fc.constantFrom('STARTS_WITH', 'ENDS_WITH' as const),
        text: operand,
        part: operand,
        parens: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bare' as const), operand, parens: fc.boolean() }) },
  ),
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.record({ kind: fc.constant('not' as const), operand: tie('cond'), parens: fc.boolean() }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('cond'), right: tie('cond'), parens: fc.boolean() }),
  ),
}));

const rowArbitrary: fc.Arbitrary<Row> = fc
  .record(
    {
      a: value,
      flag: value,
      b: value,
      c: fc.oneof(fc.record({ d: value }, { requiredKeys: [] }), value),
      e: value,
    },
    { requiredKeys: [] },
  )
  .map(({ a, flag, b, c, e }) => {
    const row: Row = { deviceId: 'generated', tags: {}, properties: { reported: { $version: 3 } } };
    if (a !== undefined) row.a = a;
    if (flag !== undefined) row.flag = flag;
    const tags = row.tags as Row;
    if (b !== undefined) tags.b = b;
    if (c !== undefined) tags.c = c;
    if (e !== undefined) ((row.properties as Row).reported as Row).e = e;
    return row;
  });

// --- printer ---------------------------------------------------------------------------------

interface Style {
  /** Keyword casing. */
  casing: 'upper' | 'lower' | 'mixed';
  /** Prefer double quotes for strings. */
  doubleQuotes: boolean;
  /** Separator between tokens. */
  space: ' ' | '  ' | '\n' | '\t ';
}

const styleArbitrary: fc.Arbitrary<Style> = fc.record({
  casing: fc.constantFrom('upper', 'lower', 'mixed'),
  doubleQuotes: fc.boolean(),
  space: fc.constantFrom(' ', '  ', '\n', '\t '),
});

function keyword(word: string, style: Style): string {
  if (style.casing === 'upper') return word.toUpperCase();
  if (style.casing === 'lower') return word.toLowerCase();
  return [...word].map((char, i) => (i % 2 ? char.toLowerCase() : char.toUpperCase())).join('');
}

function quote(text: string, doubleQuotes: boolean): string {
  const q = doubleQuotes ? '"' : "'";
  return q + text.replace(/\\/g, '\\\\').replaceAll(q, `\\${q}`) + q;
}

function printValue(v: Value, style: Style): string {
  if (v === null) return keyword('null', style);
  if (typeof v === 'boolean') return keyword(String(v), style);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return quote(v, style.doubleQuotes);
  if (Array.isArray(v)) return `[${v.map((item) => printValue(item, style)).join(', ')}]`;
  throw new Error('object constants cannot be written in the query language');
}

function printOperand(o: Operand, style: Style): string {
  return o.kind === 'path' ? o.path.join('.') : printValue(o.value, style);
}

const PRECEDENCE = { or: 1, and: 2, not: 3, atom: 4 } as const;

function precedenceOf(c: Cond): number {
  return c.kind === 'or' || c.kind === 'and' || c.kind === 'not' ? PRECEDENCE[c.kind] : PRECEDENCE.atom;
}

/** Parenthesises only where precedence needs it, plus wherever the generator asked for it. */
function print(c: Cond, style: Style, required = 0): string {
  const s = style.space;
  let text: string;
  switch (c.kind) {
    case 'cmp':
      text = `${printOperand(c.left, style)}${s}${c.op}${s}${printOperand(c.right, style)}`;
      break;
    case 'in':
      text = `${c.path.join('.')}${s}${keyword(c.negated ? 'nin' : 'in', style)}${s}${printValue(c.values, style)}`;
      break;
    case 'is':
      text = `${keyword(c.fn, style)}(${c.path.join('.')})`;
      break;
    case 'affix':
      text = `${keyword(c.fn, style)}(${printOperand(c.text, style)},${s}${printOperand(c.part, style)})`;
      break;
    case 'bare':
      text = printOperand(c.operand, style);
      break;
    case 'not':
      text = `${keyword('not', style)}${s}${print(c.operand, style, PRECEDENCE.not)}`;
      break;
    case 'and':
    case 'or':
      text = `${print(c.left, style, PRECEDENCE[c.kind])}${s}${keyword(c.kind, style)}${s}${print(c.right, style, PRECEDENCE[c.kind])}`;
      break;
  }
  return c.parens || precedenceOf(c) < required ? `(${text})` : text;
}

// --- reference evaluator ---------------------------------------------------------------------

type Truth = 'T' | 'F' | 'U';

function lookup(row: Row, p: Path): unknown {
  let current: unknown = row;
  for (const key of p) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !(key in current)) return undefined;
    current = (current as Row)[key];
  }
  return current;
}

function typeName(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function equal(a: unknown, b: unknown): Truth {
  if (a === undefined || b === undefined || typeName(a) !== typeName(b)) return 'U';
  return JSON.stringify(a) === JSON.stringify(b) ? 'T' : 'F';
}

function order(a: unknown, b: unknown): number | undefined {
  if (typeName(a) !== typeName(b)) return undefined;
  if (typeof a === 'number') return a === b ? 0 : a < (b as number) ? -1 : 1;
  if (typeof a === 'string') return a === b ? 0 : a < (b as string) ? -1 : 1;
  if (typeof a === 'boolean') return (a ? 1 : 0) - ((b as boolean) ? 1 : 0);
  if (a === null) return 0;
  return undefined;
}

const truth = (b: boolean): Truth => (b ? 'T' : 'F');
const not = (t: Truth): Truth => (t === 'T' ? 'F' : t === 'F' ? 'T' : 'U');

function evaluate(c: Cond, row: Row): Truth {
  const val = (o: Operand) => (o.kind === 'path' ? lookup(row, o.path) : o.value);
  switch (c.kind) {
    case 'cmp': {
      const a = val(c.left);
      const b = val(c.right);
      if (c.op === '=') return equal(a, b);
      if (c.op === '!=' || c.op === '<>') return not(equal(a, b));
      const o = order(a, b);
      if (o === undefined) return 'U';
      return truth(c.op === '<' ? o < 0 : c.op === '<=' ? o <= 0 : c.op === '>' ? o > 0 : o >= 0);
    }
    case 'in': {
      const v = lookup(row, c.path);
      let result: Truth = 'F';
      for (const candidate of c.values) {
        const e = equal(v, candidate);
        if (e === 'T') result = 'T';
        else if (e === 'U' && result === 'F') result = 'U';
      }
      if (v === undefined) result = 'U';
      return c.negated ? not(result) : result;
    }
    case 'is': {
      const v = lookup(row, c.path);
      const type = typeName(v);
      const expected = {
        IS_DEFINED: type !== 'undefined',
        IS_NULL: type === 'null',
        IS_BOOL: type === 'boolean',
        IS_NUMBER: type === 'number',
        IS_STRING: type === 'string',
        IS_OBJECT: type === 'object',
        IS_ARRAY: type === 'array',
      };
      return truth(expected[c.fn]);
    }
    case 'affix': {
      const text = val(c.text);
      const part = val(c.part);
      if (typeof text !== 'string' || typeof part !== 'string') return 'U';
      return truth(c.fn === 'STARTS_WITH' ? text.startsWith(part) : text.endsWith(part));
    }
    case 'bare': {
      const v = val(c.operand);
      return v === true ? 'T' : v === false ? 'F' : 'U';
    }
    case 'not':
      return not(evaluate(c.operand, row));
    case 'and': {
      const l = evaluate(c.left, row);
      const r = evaluate(c.right, row);
      return l === 'F' || r === 'F' ? 'F' : l === 'U' || r === 'U' ? 'U' : 'T';
    }
    case 'or': {
      const l = evaluate(c.left, row);
      const r = evaluate(c.right, row);
      return l === 'T' || r === 'T' ? 'T' : l === 'U' || r === 'U' ? 'U' : 'F';
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('property: printed random conditions select the same rows as the reference', () => {
  it('parse(print(condition)) agrees with the reference evaluation', () => {
    let mixedOutcomes = 0;
    let runs = 0;
    fc.assert(
      fc.property(cond, fc.array(rowArbitrary, { minLength: 1, maxLength: 12 }), styleArbitrary, (condition, rows, style) => {
        const text = `${keyword('select', style)} * ${keyword('from', style)} devices${style.space}${keyword('where', style)}${style.space}${print(condition, style)}`;
        const indexed = rows.map((row, i) => ({ ...row, deviceId: `d${i}` }));
        const expected = indexed.filter((row) => evaluate(condition, row) === 'T').map((row) => row.deviceId);
        const actual = runQuery(parseQuery(text), indexed).items.map((item) => (item as Row).deviceId);
        expect(actual).toEqual(expected);
        runs++;
        if (expected.length > 0 && expected.length < indexed.length) mixedOutcomes++;
      }),
      { numRuns: 1000 },
    );
    // Guard against a generator that only produces conditions selecting all rows or none.
    expect(runs).toBe(1000);
    expect(mixedOutcomes).toBeGreaterThan(100);
  });

  it('NOT never selects a row whose condition is unknown', () => {
    fc.assert(
      fc.property(cond, rowArbitrary, (condition, row) => {
        const text = `SELECT * FROM devices WHERE NOT (${print(condition, { casing: 'upper', doubleQuotes: false, space: ' ' })})`;
        const selected = runQuery(parseQuery(text), [row]).items.length === 1;
        expect(selected).toBe(evaluate(condition, row) === 'F');
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: parseQuery only ever throws QuerySyntaxError', () => {
  const VALID = [
    'SELECT * FROM devices',
    "SELECT * FROM devices WHERE tags.location.region = 'US' AND properties.reported.batteryLevel >= 10",
    "SELECT TOP 3 deviceId, tags.location.region AS region FROM devices WHERE NOT (status = 'disabled' OR tags.x IN ['a', \"b\", 1.5e3])",
    'SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS n FROM devices GROUP BY properties.reported.telemetryConfig.status',
    "SELECT SUM(tags.criticality), AVG(properties.reported.batteryLevel) FROM devices WHERE IS_DEFINED(tags.criticality) AND STARTS_WITH(deviceId, 'th')",
    'SELECT deviceId FROM devices WHERE tags.criticality * 2 - 1 > -3 AND tags.criticality % 2 <> 0',
  ];
  const VOCABULARY = [
    'SELECT',
    'select',
    'TOP',
    'FROM',
    'devices',
    'devices.modules',
    'WHERE',
    'GROUP',
    'BY',
    'AS',
    'AND',
    'OR',
    'NOT',
    'IN',
    'NIN',
    'true',
    'false',
    'null',
    'COUNT',
    'SUM',
    'IS_DEFINED',
    'STARTS_WITH',
    'FOO',
    'deviceId',
    'tags',
    'properties',
    '$metadata',
    '*',
    ',',
    '.',
    '(',
    ')',
    '[',
    ']',
    '=',
    '!=',
    '<>',
    '<',
    '<=',
    '>',
    '>=',
    '+',
    '-',
    '/',
    '%',
    '!',
    ';',
    '#',
    '0',
    '42',
    '-1',
    '1.5',
    '1e3',
    '1e',
    '0x1F',
    '0x',
    '1.2.3',
    "'x'",
    '"y"',
    "'unterminated",
    "'\\q'",
    "'\\u00'",
    '\\',
    '\n',
    '',
  ];

  function check(text: string): 'parsed' | 'rejected' {
    let query;
    try {
      query = parseQuery(text);
    } catch (error) {
      expect(error).toBeInstanceOf(QuerySyntaxError);
      const { line, column, position, message } = error as QuerySyntaxError;
      expect(position).toBeGreaterThanOrEqual(0);
      expect(position).toBeLessThanOrEqual(text.length);
      expect(line).toBe(text.slice(0, position).split('\n').length);
      expect(column).toBeGreaterThanOrEqual(1);
      expect(message.startsWith(`Syntax error at line ${line}, column ${column}: `)).toBe(true);
      return 'rejected';
    }
    // Whatever parses must also run without throwing.
    const result = runQuery(query, FLEET);
    expect(Array.isArray(result.items)).toBe(true);
    return 'parsed';
  }

  it('on arbitrary strings', () => {
    const outcomes = { parsed: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ maxLength: 60 })), (text) => {
        outcomes[check(text)]++;
      }),
      { numRuns: 2000 },
    );
    expect(outcomes.rejected).toBe(2000);
  });

  it('on token soup, alone or after a valid prefix', () => {
    const outcomes = { parsed: 0, rejected: 0 };
    const prefix = fc.constantFrom(
      '',
      'SELECT',
      'SELECT * FROM devices WHERE',
      'SELECT deviceId,',
      'SELECT COUNT() AS n FROM devices GROUP BY',
    );
    const tokens = fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 25 });
    fc.assert(
      fc.property(prefix, tokens, fc.constantFrom(' ', ''), (start, soup, separator) => {
        outcomes[check(`${start} ${soup.join(separator)}`)]++;
      }),
      { numRuns: 3000 },
    );
    expect(outcomes.parsed).toBeGreaterThan(10);
    expect(outcomes.rejected).toBeGreaterThan(2000);
  });

  it('on valid queries with a random edit', () => {
    const outcomes = { parsed: 0, rejected: 0 };
    const edit = fc.record({
      query: fc.constantFrom(...VALID),
      at: fc.nat(),
      removed: fc.nat({ max: 6 }),
      inserted: fc.oneof(fc.constantFrom(...VOCABULARY), fc.string({ maxLength: 3 })),
    });
    fc.assert(
      fc.property(edit, ({ query, at, removed, inserted }) => {
        const cut = at % (query.length + 1);
        outcomes[check(query.slice(0, cut) + inserted + query.slice(cut + removed))]++;
      }),
      { numRuns: 3000 },
    );
    // Some edits keep the query valid, most break it: both paths were exercised.
    expect(outcomes.parsed).toBeGreaterThan(50);
    expect(outcomes.rejected).toBeGreaterThan(500);
  });

  it('parses every unedited sample query', () => {
    for (const query of VALID) expect(check(query)).toBe('parsed');
  });
});

describe('property: literal round trips', () => {
  const ROW = [{ deviceId: 'r' }];

  function selectLiteral(literal: string): unknown {
    const { items } = runQuery(parseQuery(`SELECT ${literal} AS v FROM devices`), ROW);
    return (items[0] as Row).v;
  }

  /** Escapes sequences are ASCII, so every other UTF-16 unit can be rewritten as \uXXXX. */
  function unicodeEscaped(literal: string): string {
    return literal.replace(/[^\x20-\x7e]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }

  it('strings with quotes, backslashes and any code point, in either quote style', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 30 }),
          fc.string({ unit: fc.constantFrom("'", '"', '\\', 'a', ' ', 'u', '\n'), maxLength: 30 }),
        ),
        fc.boolean(),
        fc.boolean(),
        (text, doubleQuotes, escapeUnicode) => {
          let literal = quote(text, doubleQuotes);
          if (escapeUnicode) literal = unicodeEscaped(literal);
          expect(selectLiteral(literal)).toBe(text);
          const rows = [
            { deviceId: 'same', tags: { s: text } },
            { deviceId: 'other', tags: { s: `${text}x` } },
          ];
          const { items } = runQuery(parseQuery(`SELECT deviceId FROM devices WHERE tags.s = ${literal}`), rows);
          expect(items).toEqual([{ deviceId: 'same' }]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('numbers in decimal and exponent notation', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (n, exponent) => {
        const literal = exponent ? n.toExponential() : String(n);
        const expected = n === 0 ? 0 : n; // the query language has no negative zero literal
        expect(selectLiteral(literal)).toBe(expected);
        const rows = [
          { deviceId: 'same', tags: { n } },
          { deviceId: 'other', tags: { n: String(n) } },
        ];
        expect(runQuery(parseQuery(`SELECT deviceId FROM devices WHERE tags.n = ${literal}`), rows).items).toEqual([{ deviceId: 'same' }]);
      }),
      { numRuns: 1000 },
    );
  });

  it('integers, including hexadecimal', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(selectLiteral(String(n))).toBe(n);
        if (n >= 0) expect(selectLiteral(`0x${n.toString(16)}`)).toBe(n);
      }),
      { numRuns: 500 },
    );
  });
});
