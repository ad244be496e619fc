import { Expr, QuerySyntaxError, parseQuery } from '../../../contracts/twinQuery';

/** The expression of `SELECT <text> AS v FROM devices`. */
function selectExpr(text: string): Expr {
  const query = parseQuery(`SELECT ${text} AS v FROM devices`);
  if (query.select === '*' || query.select[0].kind !== 'value') throw new Error('expected a value column');
  return query.select[0].expr;
}

function whereOf(text: string): Expr {
  const { where } = parseQuery(`SELECT * FROM devices WHERE ${text}`);
  if (!where) throw new Error('expected a WHERE clause');
  return where;
}

describe('parseQuery: structure', () => {
  it('parses the clauses of a full query', () => {
    const query = parseQuery(
      'SELECT TOP 5 properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices ' +
        "WHERE tags.location.region = 'US' GROUP BY properties.reported.telemetryConfig.status",
    );
    expect(query.top).toBe(5);
    expect(query.select).toEqual([
      {
        kind: 'value',
        name: 'status',
        position: 13,
        expr: { kind: 'path', segments: ['properties', 'reported', 'telemetryConfig', 'status'], position: 13 },
      },
      { kind: 'aggregate', name: 'numberOfDevices', position: 67, call: { name: 'COUNT' } },
    ]);
    expect(query.where).toMatchObject({
      kind: 'comparison',
      operator: '=',
      left: { kind: 'path', segments: ['tags', 'location', 'region'] },
      right: { kind: 'literal', value: 'US' },
    });
    expect(query.groupBy.map((path) => path.segments)).toEqual([['properties', 'reported', 'telemetryConfig', 'status']]);
  });

  it('parses SELECT * without optional clauses', () => {
    expect(parseQuery('SELECT * FROM devices')).toEqual({ top: undefined, select: '*', where: undefined, groupBy: [] });
  });

  it('treats keywords and function names case-insensitively', () => {
    const lower = parseQuery("select top 2 * from devices where not is_defined(tags.a) and status in ['x'] or tags.b nin [1]");
    const upper = parseQuery("SELECT TOP 2 * FROM DEVICES WHERE NOT IS_DEFINED(tags.a) AND status IN ['x'] OR tags.b NIN [1]");
    expect(lower).toEqual(upper);
    expect(lower.where).toMatchObject({ kind: 'or', operands: [{ kind: 'and' }, { kind: 'in', negated: true }] });
  });

  it.each([
    [
      'NOT binds tighter than AND, AND tighter than OR',
      'a = 1 OR NOT b = 2 AND c = 3',
      {
        kind: 'or',
        operands: [
          { kind: 'comparison' },
          { kind: 'and', operands: [{ kind: 'not', operand: { kind: 'comparison' } }, { kind: 'comparison' }] },
        ],
      },
    ],
    [
      'parentheses override precedence',
      '(a = 1 OR b = 2) AND c = 3',
      {
        kind: 'and',
        operands: [{ kind: 'or', operands: [{ kind: 'comparison' }, { kind: 'comparison' }] }, { kind: 'comparison' }],
      },
    ],
    ['AND chains stay flat', 'a = 1 AND b = 2 AND c = 3', { kind: 'and', operands: [{}, {}, {}] }],
    ['NOT applies to the whole comparison', 'NOT a = 1', { kind: 'not', operand: { kind: 'comparison', operator: '=' } }],
    [
      'arithmetic binds tighter than comparison',
      'a + 2 * b > 10',
      {
        kind: 'comparison',
        operator: '>',
        left: {
          kind: 'arithmetic',
          first: { kind: 'path' },
          rest: [{ operator: '+', operand: { kind: 'arithmetic', rest: [{ operator: '*' }] } }],
        },
      },
    ],
    ['<> means !=', "status <> 'x'", { kind: 'comparison', operator: '!=' }],
    [
      'functions take expressions',
      "STARTS_WITH(deviceId, 'th')",
      { kind: 'call', name: 'STARTS_WITH', args: [{ kind: 'path' }, { kind: 'literal' }] },
    ],
  ])('%s', (_name, text, shape) => {
    expect(whereOf(text)).toMatchObject(shape);
  });

  it.each([
    ['properties.desired.$metadata.$lastUpdated', ['properties', 'desired', '$metadata', '$lastUpdated']],
    ['properties.reported.$version', ['properties', 'reported', '$version']],
    // After a dot every word is a property name, even reserved ones.
    ['tags.from.select.top.null', ['tags', 'from', 'select', 'top', 'null']],
    ['deviceId', ['deviceId']],
  ])('parses the path %s', (text, segments) => {
    expect(selectExpr(text)).toEqual({ kind: 'path', segments, position: 7 });
  });

  it.each<[string, unknown]>([
    ["'abc'", 'abc'],
    ['"abc"', 'abc'],
    ["''", ''],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ['"it\'s"', "it's"],
    ['\'say "hi"\'', 'say "hi"'],
    ["'back\\\\slash'", 'back\\slash'],
    ["'caf\\u00e9 \\u00E9'", 'café é'],
    ["'a\\tb\\nc\\/d'", 'a\tb\nc/d'],
    ['42', 42],
    ['-42', -42],
    ['3.25', 3.25],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['1e+2', 100],
    ['0x1F', 31],
    ['true', true],
    ['FALSE', false],
    ['Null', null],
    ["['a', 1, -2, true, null, ['x']]", ['a', 1, -2, true, null, ['x']]],
    ['[]', []],
  ])('parses the literal %s', (text, value) => {
    expect(selectExpr(text)).toEqual({ kind: 'literal', value, position: 7 });
  });

  it('names columns by alias, else last path segment, else $1, $2, ...', () => {
    const query = parseQuery(
      'SELECT deviceId, tags.location.region, COUNT(), MAX(tags.x) AS top1, SUM(tags.y) FROM devices GROUP BY deviceId, tags.location.region',
    );
    expect(query.select !== '*' && query.select.map((item) => item.name)).toEqual(['deviceId', 'region', '$1', 'top1', '$2']);
  });

  it('allows multi-line queries with any whitespace', () => {
    const query = parseQuery('SELECT *\r\n  FROM devices\n\tWHERE\n tags.a = 1');
    expect(query.where).toMatchObject({ kind: 'comparison', left: { segments: ['tags', 'a'] } });
  });
});

describe('parseQuery: errors', () => {
  interface BadQuery {
    query: string;
    /** The text the error must point at; its first occurrence (or the given one) fixes line and column. */
    at: string;
    occurrence?: number;
    message: string;
  }

  const cases: BadQuery[] = [
    { query: '', at: '', message: 'expected SELECT but found end of query' },
    { query: '   \n  ', at: '', message: 'expected SELECT but found end of query' },
    { query: 'SELECT * FORM devices', at: 'FORM', message: "expected FROM but found 'FORM'" },
    { query: 'SELEC * FROM devices', at: 'SELEC', message: "expected SELECT but found 'SELEC'" },
    { query: 'SELECT deviceId FORM devices', at: 'FORM', message: "expected ',' or FROM but found 'FORM'" },
    { query: 'SELECT * FROM devices.modules', at: 'devices', message: "only 'devices' can be queried, 'devices.modules' is not supported" },
    { query: 'SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 1', at: 'devices', message: "'devices.jobs' is not supported" },
    { query: 'SELECT * FROM things', at: 'things', message: "only 'devices' can be queried, 'things' is not supported" },
    { query: 'SELECT * FROM', at: '', message: 'expected devices but found end of query' },
    { query: 'SELECT *', at: '', message: 'expected FROM but found end of query' },
    { query: 'SELECT FROM devices', at: 'FROM', message: "expected an expression but found 'FROM'" },
    { query: 'SELECT *, deviceId FROM devices', at: ',', message: "expected FROM but found ','" },
    { query: 'SELECT * FROM devices extra', at: 'extra', message: "expected WHERE, GROUP BY or end of query but found 'extra'" },
    { query: 'SELECT * FROM devices;', at: ';', message: "unexpected character ';'" },
    { query: 'SELECT * FROM devices WHERE a = 1 b = 2', at: 'b', message: "expected GROUP BY or end of query but found 'b'" },
    { query: 'SELECT * FROM devices WHERE', at: '', message: 'expected an expression but found end of query' },
    { query: 'SELECT * FROM devices WHERE a = 1 AND', at: '', message: 'expected an expression but found end of query' },
    { query: 'SELECT * FROM devices WHERE NOT', at: '', message: 'expected an expression but found end of query' },
    { query: 'SELECT * FROM devices WHERE a = = 1', at: '=', occurrence: 1, message: "expected an expression but found '='" },
    { query: 'SELECT * FROM devices WHERE a = 1 = 2', at: '=', occurrence: 1, message: "expected GROUP BY or end of query but found '='" },
    { query: 'SELECT * FROM devices WHERE (a = 1', at: '', message: "expected ')' but found end of query" },
    { query: 'SELECT * FROM devices WHERE a = 1)', at: ')', message: "expected GROUP BY or end of query but found ')'" },
    { query: 'SELECT * FROM devices WHERE tags. = 1', at: '=', message: "expected a property name after '.' but found '='" },
    { query: "SELECT * FROM devices WHERE tags.region = 'US", at: "'US", message: 'unterminated string literal' },
    { query: 'SELECT * FROM devices WHERE tags.region = "US', at: '"US', message: 'unterminated string literal' },
    { query: "SELECT * FROM devices WHERE tags.region = 'US\\", at: "'US", message: 'unterminated string literal' },
    { query: "SELECT * FROM devices WHERE a = 'x\\q'", at: '\\q', message: "invalid escape sequence '\\q' in string literal" },
    { query: "SELECT * FROM devices WHERE a = '\\u12G4'", at: '\\u', message: "invalid unicode escape '\\u12G4'" },
    { query: 'SELECT * FROM devices WHERE a = 1.2.3', at: '1.2.3', message: "malformed number '1.2.3'" },
    { query: 'SELECT * FROM devices WHERE a = 12abc', at: '12abc', message: "malformed number '12abc'" },
    { query: 'SELECT * FROM devices WHERE a = 1e', at: '1e', message: "malformed number '1e'" },
    { query: 'SELECT * FROM devices WHERE a = 1.', at: '1.', message: "malformed number '1.'" },
    { query: 'SELECT * FROM devices WHERE a = 0x', at: '0x', message: "malformed number '0x'" },
    { query: 'SELECT * FROM devices WHERE a = 1e999', at: '1e999', message: "number '1e999' is out of range" },
    { query: 'SELECT * FROM devices WHERE a = #', at: '#', message: "unexpected character '#'" },
    { query: 'SELECT * FROM devices WHERE a ! b', at: '!', message: "unexpected character '!'" },
    { query: 'SELECT * FROM devices WHERE a = \u0001', at: '\u0001', message: 'unexpected character U+0001' },
    { query: 'SELECT TOP * FROM devices', at: '*', message: "expected a non-negative integer after TOP but found '*'" },
    { query: 'SELECT TOP devices', at: 'devices', message: "expected a non-negative integer after TOP but found 'devices'" },
    { query: 'SELECT TOP 1.5 * FROM devices', at: '1.5', message: "expected a non-negative integer after TOP but found '1.5'" },
    { query: 'SELECT TOP -1 * FROM devices', at: '-', message: "expected a non-negative integer after TOP but found '-'" },
    { query: "SELECT TOP '3' * FROM devices", at: "'3'", message: "expected a non-negative integer after TOP but found string '3'" },
    { query: 'SELECT * FROM devices WHERE a IN 1', at: '1', message: "expected '[' after IN but found '1'" },
    { query: 'SELECT * FROM devices WHERE a nin (1)', at: '(', message: "expected '[' after NIN but found '('" },
    {
      query: 'SELECT * FROM devices WHERE a IN [1, ]',
      at: ']',
      message: "expected a constant (string, number, true, false, null or array) but found ']'",
    },
    {
      query: 'SELECT * FROM devices WHERE a IN [b]',
      at: 'b]',
      message: "expected a constant (string, number, true, false, null or array) but found 'b'",
    },
    { query: 'SELECT * FROM devices WHERE a IN [1 2]', at: '2', message: "expected ',' or ']' but found '2'" },
    { query: 'SELECT * FROM devices WHERE FOO(a)', at: 'FOO', message: "unknown function 'FOO'" },
    { query: 'SELECT * FROM devices WHERE IS_DEFINED(a, b)', at: 'IS_DEFINED', message: 'IS_DEFINED takes 1 argument but was given 2' },
    { query: 'SELECT * FROM devices WHERE STARTS_WITH(a)', at: 'STARTS_WITH', message: 'STARTS_WITH takes 2 arguments but was given 1' },
    { query: 'SELECT * FROM devices WHERE IS_DEFINED(a', at: '', message: "expected ',' or ')' but found end of query" },
    { query: 'SELECT * FROM devices WHERE COUNT() > 1', at: 'COUNT', message: 'aggregate COUNT() can only be used as a SELECT item' },
    {
      query: 'SELECT COUNT(deviceId) FROM devices',
      at: 'deviceId',
      message: "expected ')' (COUNT takes no argument) but found 'deviceId'",
    },
    { query: 'SELECT SUM() FROM devices', at: ')', message: "expected an expression but found ')'" },
    { query: 'SELECT deviceId AS FROM devices', at: 'FROM', message: "expected an alias name after AS but found 'FROM'" },
    { query: 'SELECT deviceId AS 1 FROM devices', at: '1', message: "expected an alias name after AS but found '1'" },
    { query: 'SELECT tags.x, properties.reported.x FROM devices', at: 'properties', message: "duplicate output name 'x'" },
    { query: 'SELECT deviceId, COUNT() AS n FROM devices', at: 'deviceId', message: "'deviceId' is not in GROUP BY" },
    { query: 'SELECT deviceId FROM devices GROUP BY status', at: 'deviceId', message: "'deviceId' is not in GROUP BY" },
    { query: 'SELECT status, tags.a + 1 AS b FROM devices GROUP BY status', at: 'tags.a', message: "'tags.a' is not in GROUP BY" },
    { query: 'SELECT * FROM devices GROUP BY status', at: 'GROUP', message: 'SELECT * cannot be combined with GROUP BY' },
    { query: 'SELECT status FROM devices GROUP status', at: 'status', occurrence: 1, message: "expected BY but found 'status'" },
    { query: 'SELECT status FROM devices GROUP BY', at: '', message: 'expected a property path but found end of query' },
    { query: 'SELECT COUNT() FROM devices GROUP BY LOWER(status)', at: 'LOWER', message: "expected a property path but found 'LOWER'" },
    { query: 'SELECT status FROM devices GROUP BY status extra', at: 'extra', message: "expected ',' or end of query but found 'extra'" },
    {
      query: `SELECT * FROM devices WHERE ${'('.repeat(500)}a = 1${')'.repeat(500)}`,
      at: '(',
      occurrence: 100,
      message: 'nested more than 100 levels deep',
    },
    {
      query: `SELECT * FROM devices WHERE ${'NOT '.repeat(200)}a = 1`,
      at: 'NOT',
      occurrence: 100,
      message: 'nested more than 100 levels deep',
    },
    { query: `SELECT * FROM devices WHERE a IN ${'['.repeat(200)}`, at: '[', occurrence: 100, message: 'nested more than 100 levels deep' },
    { query: "SELECT * FROM devices WHERE status = 'it''s'", at: "'s'", message: "expected GROUP BY or end of query but found string 's'" },
  ];

  it.each(cases)('rejects $query', ({ query, at, occurrence = 0, message }) => {
    let position = query.length;
    if (at !== '') {
      position = -1;
      for (let i = 0; i <= occurrence; i++) position = query.indexOf(at, position + 1);
    }
    expect(position).toBeGreaterThanOrEqual(0);
    const line = query.slice(0, position).split('\n').length;
    const column = position - query.lastIndexOf('\n', position - 1);

    let thrown: unknown;
    try {
      parseQuery(query);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(QuerySyntaxError);
    const error = thrown as QuerySyntaxError;
    expect({ position: error.position, line: error.line, column: error.column }).toEqual({ position, line, column });
    expect(error.message).toContain(`Syntax error at line ${line}, column ${column}: `);
    expect(error.message).toContain(message);
    expect(error.name).toBe('QuerySyntaxError');
  });

  it('reports line and column on later lines', () => {
    const query = "SELECT deviceId\nFROM devices\nWHERE tags.region = 'US'\n  AND FOO(x)";
    expect(() => parseQuery(query)).toThrow("Syntax error at line 4, column 7: unknown function 'FOO'");
    const error = (() => {
      try {
        parseQuery(query);
      } catch (caught) {
        return caught as QuerySyntaxError;
      }
      throw new Error('expected a syntax error');
    })();
    expect([error.line, error.column, error.position]).toEqual([4, 7, query.indexOf('FOO')]);
  });

  it('reports the first error in reading order', () => {
    expect(() => parseQuery("SELEC * FROM devices WHERE a = 'unterminated")).toThrow(
      "Syntax error at line 1, column 1: expected SELECT but found 'SELEC'",
    );
  });

  it('accepts nesting up to the limit', () => {
    expect(() => parseQuery(`SELECT * FROM devices WHERE ${'('.repeat(100)}a = 1${')'.repeat(100)}`)).not.toThrow();
  });

  it('accepts very long flat chains without deep recursion', () => {
    const terms = Array.from({ length: 20000 }, (_, i) => `tags.t${i} = ${i}`);
    const query = parseQuery(`SELECT * FROM devices WHERE ${terms.join(' OR ')}`);
    expect(query.where).toMatchObject({ kind: 'or' });
    expect(query.where?.kind === 'or' && query.where.operands.length).toBe(20000);
  });
});
