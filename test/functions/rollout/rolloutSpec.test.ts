import fc from 'fast-check';
import { BODY_FIELD, parseRolloutSpec, queryConditionProblems } from '../../../functions/src/rollout';
import type { ParseRolloutSpecOptions, RolloutSpec, SpecProblem } from '../../../functions/src/rollout';
import { SHA256, bodyWith, validBody, validRequestArb } from './fixtures';

function problemsOf(body: unknown, options?: ParseRolloutSpecOptions): SpecProblem[] {
  const result = parseRolloutSpec(body, options);
  if (result.ok) throw new Error(`expected problems, got a spec: ${JSON.stringify(result.spec)}`);
  return result.problems;
}

function specOf(body: unknown, options?: ParseRolloutSpecOptions): RolloutSpec {
  const result = parseRolloutSpec(body, options);
  if (!result.ok) throw new Error(`expected a spec, got ${JSON.stringify(result.problems)}`);
  return result.spec;
}

type Expected = ReadonlyArray<readonly [field: string, message: RegExp]>;

const wave = (percent: unknown, name?: unknown) => (name === undefined ? { percent } : { name, percent });

const badRequests: ReadonlyArray<readonly [name: string, body: unknown, expected: Expected]> = [
  ['null body', null, [[BODY_FIELD, /must be an object/]]],
  ['array body', [validBody()], [[BODY_FIELD, /must be an object/]]],
  ['string body', '{"firmware":{}}', [[BODY_FIELD, /must be an object/]]],
  [
    'empty object',
    {},
    [
      ['firmware', /is required/],
      ['target', /is required/],
    ],
  ],
  ['typo in a top-level field', bodyWith((b) => (b.maxConcurency = 10)), [['maxConcurency', /unknown field.*maxConcurrency/]]],
  ['unknown field that is not an identifier', bodyWith((b) => (b['fire ware'] = 1)), [['["fire ware"]', /unknown field/]]],
  [
    'firmware with every field missing',
    bodyWith((b) => (b.firmware = {})),
    [
      ['firmware.version', /is required/],
      ['firmware.uri', /is required/],
      ['firmware.sha256', /is required/],
      ['firmware.size', /is required/],
    ],
  ],
  ['firmware not an object', bodyWith((b) => ((b as Record<string, unknown>).firmware = 'v2')), [['firmware', /must be an object/]]],
  ['sha256 too short', bodyWith((b) => (b.firmware.sha256 = 'abc123')), [['firmware.sha256', /64 hexadecimal/]]],
  ['sha256 not hex', bodyWith((b) => (b.firmware.sha256 = 'g'.repeat(64))), [['firmware.sha256', /64 hexadecimal/]]],
  ['http uri without the option', bodyWith((b) => (b.firmware.uri = 'http://fw.example.com/a.bin')), [['firmware.uri', /https:\/\//]]],
  ['relative uri', bodyWith((b) => (b.firmware.uri = '/fw/a.bin')), [['firmware.uri', /absolute https:\/\//]]],
  ['uri without slashes', bodyWith((b) => (b.firmware.uri = 'https:fw.example.com/a.bin')), [['firmware.uri', /absolute https:\/\//]]],
  ['ftp uri', bodyWith((b) => (b.firmware.uri = 'ftp://fw.example.com/a.bin')), [['firmware.uri', /absolute https:\/\//]]],
  [
    'uri with credentials',
    bodyWith((b) => (b.firmware.uri = 'https://admin:secret@fw.example.com/a.bin')),
    [['firmware.uri', /credentials/]],
  ],
  ['uri with a space', bodyWith((b) => (b.firmware.uri = 'https://fw.example.com/a b.bin')), [['firmware.uri', /spaces/]]],
  ['uri too long', bodyWith((b) => (b.firmware.uri = `https://fw.example.com/${'a'.repeat(2100)}`)), [['firmware.uri', /at most 2048/]]],
  [
    'size zero and a version with a trailing space',
    bodyWith((b) => {
      b.firmware.size = 0;
      b.firmware.version = '2.1.0 ';
    }),
    [
      ['firmware.size', /integer of at least 1/],
      ['firmware.version', /without leading or trailing spaces/],
    ],
  ],
  ['size fractional', bodyWith((b) => (b.firmware.size = 1.5)), [['firmware.size', /integer/]]],
  ['size as a string', bodyWith((b) => (b.firmware.size = '1024')), [['firmware.size', /integer/]]],
  ['size beyond safe integers', bodyWith((b) => (b.firmware.size = 2 ** 53)), [['firmware.size', /integer/]]],
  ['version empty', bodyWith((b) => (b.firmware.version = '')), [['firmware.version', /1-64 printable/]]],
  ['version too long', bodyWith((b) => (b.firmware.version = '1'.repeat(65))), [['firmware.version', /1-64 printable/]]],
  ['version non-ASCII', bodyWith((b) => (b.firmware.version = '2.1.0-β')), [['firmware.version', /printable ASCII/]]],
  ['unknown firmware field', bodyWith((b) => (b.firmware.checksum = 'x')), [['firmware.checksum', /unknown field.*sha256/]]],
  ['target with query and deviceIds', bodyWith((b) => (b.target.deviceIds = ['d1'])), [['target', /exactly one of query or deviceIds/]]],
  ['target with neither', bodyWith((b) => (b.target = {})), [['target', /either query .* or deviceIds/]]],
  [
    'target with a typo is unknown and missing both',
    bodyWith((b) => (b.target = { deviceIDs: ['d1'] })),
    [
      ['target.deviceIDs', /unknown field/],
      ['target', /either query/],
    ],
  ],
  [
    'query as a full SELECT',
    bodyWith((b) => (b.target.query = "SELECT * FROM devices WHERE tags.model = 'x'")),
    [['target.query', /only the condition.*line 1, column 1: expected an expression but found 'SELECT'/]],
  ],
  [
    'query starting with WHERE',
    bodyWith((b) => (b.target.query = "WHERE tags.model = 'x'")),
    [['target.query', /line 1, column 1: expected an expression but found 'WHERE'/]],
  ],
  [
    'query with GROUP BY',
    bodyWith((b) => (b.target.query = 'tags.a = 1 GROUP BY tags.b')),
    [['target.query', /line 1, column 12: expected end of condition but found 'GROUP'/]],
  ],
  [
    'query with ORDER BY',
    bodyWith((b) => (b.target.query = 'tags.a = 1 ORDER BY tags.b')),
    [['target.query', /line 1, column 12: expected end of condition but found 'ORDER'/]],
  ],
  ['query blank', bodyWith((b) => (b.target.query = '   ')), [['target.query', /must not be empty/]]],
  ['query too long', bodyWith((b) => (b.target.query = `tags.a = '${'x'.repeat(4000)}'`)), [['target.query', /at most 4000/]]],
  [
    'query with an unterminated string',
    bodyWith((b) => (b.target.query = "tags.a = 'x")),
    [['target.query', /line 1, column 10: unterminated string literal/]],
  ],
  [
    'query with an unclosed parenthesis',
    bodyWith((b) => (b.target.query = '(tags.a = 1 OR tags.b = 2')),
    [['target.query', /column 26: expected '\)' but found end of condition/]],
  ],
  // The activity sends `WHERE (<condition>)`: a condition must not close that parenthesis and open its own clause.
  [
    'query closing the parenthesis around it',
    bodyWith((b) => (b.target.query = 'tags.a = 1) OR (tags.b = 2')),
    [['target.query', /column 11: expected end of condition but found '\)'/]],
  ],
  [
    'query with a dangling operator',
    bodyWith((b) => (b.target.query = 'tags.a =')),
    [['target.query', /line 1, column 9: expected an expression but found end of condition/]],
  ],
  [
    'query with ==',
    bodyWith((b) => (b.target.query = 'tags.a == 1')),
    [['target.query', /line 1, column 9: expected an expression but found '='/]],
  ],
  [
    'query with AND AND',
    bodyWith((b) => (b.target.query = 'tags.a = 1 AND AND tags.b = 2')),
    [['target.query', /line 1, column 16: expected an expression but found 'AND'/]],
  ],
  [
    'query with curly quotes',
    bodyWith((b) => (b.target.query = 'tags.a = \u2018x\u2019')),
    [['target.query', /line 1, column 10: unexpected character '\u2018'/]],
  ],
  [
    'query with a parameter',
    bodyWith((b) => (b.target.query = 'tags.a = @p')),
    [['target.query', /line 1, column 10: unexpected character '@'/]],
  ],
  [
    'query with an unknown function',
    bodyWith((b) => (b.target.query = 'LOWER(tags.a) = 1')),
    [['target.query', /line 1, column 1: unknown function 'LOWER'/]],
  ],
  [
    'query with an error on a later line, positions in the text as sent (not trimmed, not wrapped)',
    bodyWith((b) => (b.target.query = "\n  tags.a = 'x'\n  AND tags.b >")),
    [['target.query', /line 3, column 15: expected an expression but found end of condition/]],
  ],
  [
    'query with a control character in a string',
    bodyWith((b) => (b.target.query = "tags.a = 'x\u0001'")),
    [['target.query', /must not contain control characters \(U\+0001 at line 1, column 12\)/]],
  ],
  ['query not a string', bodyWith((b) => (b.target.query = 42)), [['target.query', /must be a string/]]],
  ['deviceIds empty', bodyWith((b) => (b.target = { deviceIds: [] })), [['target.deviceIds', /at least one/]]],
  [
    'deviceIds with an invalid id, a non-string and a duplicate',
    bodyWith((b) => (b.target = { deviceIds: ['thermo-1', 'bad/id', 7, 'thermo-1', 'x'.repeat(129)] })),
    [
      ['target.deviceIds[1]', /1-128 characters/],
      ['target.deviceIds[2]', /must be a string/],
      ['target.deviceIds[3]', /duplicates target\.deviceIds\[0\]/],
      ['target.deviceIds[4]', /1-128 characters/],
    ],
  ],
  ['deviceIds not an array', bodyWith((b) => (b.target = { deviceIds: 'thermo-1' })), [['target.deviceIds', /array of device ids/]]],
  ['no waves', bodyWith((b) => (b.waves = [])), [['waves', /1 to 20 waves/]]],
  [
    '21 waves',
    bodyWith((b) => (b.waves = Array.from({ length: 21 }, (_, i) => wave(Math.round(((i + 1) * 100) / 21))))),
    [['waves', /1 to 20 waves/]],
  ],
  [
    'waves not increasing',
    bodyWith((b) => (b.waves = [wave(50), wave(50), wave(100)])),
    [['waves[1].percent', /greater than waves\[0\]\.percent \(50\)/]],
  ],
  ['last wave not 100', bodyWith((b) => (b.waves = [wave(10), wave(50)])), [['waves[1].percent', /must be 100 in the last wave/]]],
  [
    'wave percents out of range or too precise',
    bodyWith((b) => (b.waves = [wave(0), wave(12.345), wave(101)])),
    [
      ['waves[0].percent', /from 0\.01 to 100 with at most two decimals/],
      ['waves[1].percent', /two decimals/],
      ['waves[2].percent', /from 0\.01 to 100/],
    ],
  ],
  // 1e-9 % of any fleet is 0 devices: shares are counted in basis points (0.01 %), so a wave needs at least one.
  [
    'a wave percent below the resolution',
    bodyWith((b) => (b.waves = [wave(1e-9), wave(100)])),
    [['waves[0].percent', /from 0\.01 to 100.*resolution of 0\.01/]],
  ],
  [
    'duplicate wave names, explicit and by default',
    bodyWith((b) => (b.waves = [wave(1, 'canary'), wave(10, 'canary'), wave(50, 'wave-4'), wave(100)])),
    [
      ['waves[1].name', /duplicates waves\[0\]\.name "canary"/],
      ['waves[3].name', /default "wave-4" is taken by waves\[2\]/],
    ],
  ],
  [
    'wave with a typo, a bad name and a bad percent elsewhere',
    bodyWith((b) => (b.waves = [{ pct: 10 }, wave('50%', ' canary'), wave(100)])),
    [
      ['waves[0].pct', /unknown field.*percent/],
      ['waves[0].percent', /is required/],
      ['waves[1].name', /without leading or trailing spaces/],
      ['waves[1].percent', /must be a number/],
    ],
  ],
  ['maxConcurrency zero', bodyWith((b) => (b.maxConcurrency = 0)), [['maxConcurrency', /from 1 to 1000/]]],
  ['maxConcurrency too high', bodyWith((b) => (b.maxConcurrency = 1001)), [['maxConcurrency', /from 1 to 1000/]]],
  [
    'failure threshold all wrong',
    bodyWith((b) => (b.failureThreshold = { percent: 101, minDevices: 0, action: 'stop' })),
    [
      ['failureThreshold.percent', /from 0 to 100/],
      ['failureThreshold.minDevices', /at least 1/],
      ['failureThreshold.action', /"pause", "abort"/],
    ],
  ],
  [
    'failure threshold without percent',
    bodyWith((b) => (b.failureThreshold = { minDevices: 3 })),
    [['failureThreshold.percent', /is required/]],
  ],
  ['approval unknown', bodyWith((b) => (b.approval = 'yes')), [['approval', /"auto", "manual" or an object/]]],
  ['approval a number', bodyWith((b) => (b.approval = 1)), [['approval', /"auto", "manual" or an object/]]],
  ['approval object without mode', bodyWith((b) => (b.approval = {})), [['approval.mode', /is required/]]],
  ['approval mode unknown', bodyWith((b) => (b.approval = { mode: 'sometimes' })), [['approval.mode', /"auto", "manual"/]]],
  ...[0, -5, 30 * 24 * 60 + 0.5, '60', null].map(
    (timeoutMinutes) =>
      [
        `approval timeoutMinutes ${JSON.stringify(timeoutMinutes)}`,
        bodyWith((b) => (b.approval = { mode: 'manual', timeoutMinutes, onTimeout: 'pause' })),
        [['approval.timeoutMinutes', /greater than 0 and at most 43200/]],
      ] as const,
  ),
  [
    'approval timeout without onTimeout',
    bodyWith((b) => (b.approval = { mode: 'manual', timeoutMinutes: 60 })),
    [['approval.onTimeout', /is required with timeoutMinutes: one of "cancel", "approve", "pause"/]],
  ],
  [
    'approval onTimeout unknown',
    bodyWith((b) => (b.approval = { mode: 'manual', timeoutMinutes: 60, onTimeout: 'escalate' })),
    [['approval.onTimeout', /"cancel", "approve", "pause"/]],
  ],
  [
    'approval onTimeout without timeoutMinutes',
    bodyWith((b) => (b.approval = { mode: 'manual', onTimeout: 'cancel' })),
    [['approval.onTimeout', /applies only with timeoutMinutes/]],
  ],
  [
    'approval timeout with mode auto',
    bodyWith((b) => (b.approval = { mode: 'auto', timeoutMinutes: 60, onTimeout: 'cancel' })),
    [['approval.timeoutMinutes', /applies only with mode "manual"/]],
  ],
  [
    'approval unknown field',
    bodyWith((b) => (b.approval = { mode: 'manual', timeout: 60 })),
    [['approval.timeout', /unknown field \(known fields: mode, timeoutMinutes, onTimeout\)/]],
  ],
  ['soak negative', bodyWith((b) => (b.soakSeconds = -1)), [['soakSeconds', /from 0 to 86400/]]],
  ['soak over a day', bodyWith((b) => (b.soakSeconds = 86_401)), [['soakSeconds', /from 0 to 86400/]]],
  [
    'device timeouts all wrong',
    bodyWith(
      (b) => (b.deviceTimeouts = { methodSeconds: 4, offlineRetryMinutes: 'soon', downloadMinutes: 0, applyMinutes: 1441, retries: 3 }),
    ),
    [
      ['deviceTimeouts.methodSeconds', /from 5 to 300/],
      ['deviceTimeouts.offlineRetryMinutes', /greater than 0 and at most 10080/],
      ['deviceTimeouts.downloadMinutes', /greater than 0 and at most 1440/],
      ['deviceTimeouts.applyMinutes', /at most 1440/],
      ['deviceTimeouts.retries', /unknown field/],
    ],
  ],
  ['rolloutId ..', bodyWith((b) => (b.rolloutId = '..')), [['rolloutId', /starting with a letter or digit/]]],
  ['rolloutId empty', bodyWith((b) => (b.rolloutId = '')), [['rolloutId', /1-64 characters/]]],
  ['rolloutId too long', bodyWith((b) => (b.rolloutId = 'r'.repeat(65))), [['rolloutId', /1-64 characters/]]],
  ['rolloutId with a colon', bodyWith((b) => (b.rolloutId = 'fw:2')), [['rolloutId', /1-64 characters/]]],
  [
    'problems everywhere at once',
    {
      rolloutId: '@x',
      firmware: { version: '2.1.0', uri: 'http://fw/a.bin', sha256: SHA256.slice(1), size: -5 },
      target: { query: 'tags.a = 1', deviceIds: ['d1'] },
      waves: [wave(60), wave(40)],
      maxConcurrency: '50',
      approval: 'later',
      colour: 'blue',
    },
    [
      ['rolloutId', /starting with a letter or digit/],
      ['firmware.uri', /https:\/\//],
      ['firmware.sha256', /64 hexadecimal/],
      ['firmware.size', /at least 1/],
      ['target', /exactly one/],
      ['waves[1].percent', /greater than waves\[0\]\.percent/],
      ['waves[1].percent', /must be 100 in the last wave/],
      ['maxConcurrency', /from 1 to 1000/],
      ['approval', /"auto", "manual"/],
      ['colour', /unknown field/],
    ],
  ],
];

describe('parseRolloutSpec: bad requests name every problem by field', () => {
  test('the table is large enough to mean something', () => {
    expect(badRequests.length).toBeGreaterThanOrEqual(25);
    expect(badRequests.filter(([, , expected]) => expected.length > 1).length).toBeGreaterThanOrEqual(5);
  });

  test.each(badRequests)('%s', (_name, body, expected) => {
    const problems = problemsOf(body);
    expect(problems.map((p) => p.field).sort()).toEqual(expected.map(([field]) => field).sort());
    for (const [field, message] of expected) {
      expect(problems.filter((p) => p.field === field).map((p) => p.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(message)]),
      );
    }
  });
});

describe('parseRolloutSpec: accepted requests', () => {
  test('applies every default', () => {
    expect(specOf(validBody())).toEqual({
      firmware: { version: '2.1.0', uri: 'https://fw.example.com/thermo-x/2.1.0.bin', sha256: SHA256, size: 1_048_576 },
      target: { query: "tags.model = 'thermo-x'" },
      waves: [{ name: 'wave-1', percent: 100 }],
      maxConcurrency: 50,
      failureThreshold: { percent: 10, minDevices: 5, action: 'pause' },
      approval: { mode: 'auto' },
      soakSeconds: 0,
      deviceTimeouts: { methodSeconds: 30, offlineRetryMinutes: 60, downloadMinutes: 30, applyMinutes: 15 },
    });
    expect('rolloutId' in specOf(validBody())).toBe(false);
  });

  test('fills partial objects field by field and names unnamed waves by position', () => {
    const spec = specOf(
      bodyWith((b) => {
        b.rolloutId = 'fw-2.1.0_canary';
        b.waves = [wave(1, 'canary'), wave(25.5), wave(100)];
        b.failureThreshold = { percent: 2.5 };
        b.deviceTimeouts = { downloadMinutes: 90 };
        b.approval = 'manual';
      }),
    );
    expect(spec.rolloutId).toBe('fw-2.1.0_canary');
    expect(spec.waves).toEqual([
      { name: 'canary', percent: 1 },
      { name: 'wave-2', percent: 25.5 },
      { name: 'wave-3', percent: 100 },
    ]);
    expect(spec.failureThreshold).toEqual({ percent: 2.5, minDevices: 5, action: 'pause' });
    expect(spec.deviceTimeouts).toEqual({ methodSeconds: 30, offlineRetryMinutes: 60, downloadMinutes: 90, applyMinutes: 15 });
    expect(spec.approval).toEqual({ mode: 'manual' });
  });

  test('approval: the strings are shorthands for the object form, which may add a timeout', () => {
    const approvalOf = (approval: unknown) => specOf(bodyWith((b) => (b.approval = approval))).approval;
    expect(approvalOf('auto')).toEqual({ mode: 'auto' });
    expect(approvalOf('manual')).toEqual({ mode: 'manual' });
    expect(approvalOf({ mode: 'auto' })).toEqual({ mode: 'auto' });
    expect(approvalOf({ mode: 'manual' })).toEqual({ mode: 'manual' });
    for (const onTimeout of ['cancel', 'approve', 'pause'])
      expect(approvalOf({ onTimeout, timeoutMinutes: 120, mode: 'manual' })).toEqual({ mode: 'manual', timeoutMinutes: 120, onTimeout });
    // Fractional minutes for quick demos, up to 30 days.
    expect(approvalOf({ mode: 'manual', timeoutMinutes: 0.25, onTimeout: 'approve' })).toMatchObject({ timeoutMinutes: 0.25 });
    expect(approvalOf({ mode: 'manual', timeoutMinutes: 43_200, onTimeout: 'pause' })).toMatchObject({ timeoutMinutes: 43_200 });
  });

  test('normalises sha256 to lower case and trims the query', () => {
    const spec = specOf(
      bodyWith((b) => {
        b.firmware.sha256 = SHA256.toUpperCase();
        b.target.query = "\n  tags.model = 'thermo-x'  \n";
      }),
    );
    expect(spec.firmware.sha256).toBe(SHA256);
    expect(spec.target).toEqual({ query: "tags.model = 'thermo-x'" });
  });

  test('keeps device ids as given', () => {
    const deviceIds = ['thermo#2', "o'brien?", 'a(1):=@$!*,+%_.-'];
    expect(specOf(bodyWith((b) => (b.target = { deviceIds }))).target).toEqual({ deviceIds });
  });

  test('accepts 100,000 device ids and refuses one more', () => {
    const ids = Array.from({ length: 100_001 }, (_, i) => `device-${i}`);
    expect(specOf(bodyWith((b) => (b.target = { deviceIds: ids.slice(0, 100_000) }))).target).toEqual({ deviceIds: ids.slice(0, 100_000) });
    expect(problemsOf(bodyWith((b) => (b.target = { deviceIds: ids })))).toEqual([
      { field: 'target.deviceIds', message: 'must list at most 100000 device ids' },
    ]);
  });

  test('http:// firmware only with allowInsecureFirmwareUri', () => {
    const body = bodyWith((b) => (b.firmware.uri = 'http://127.0.0.1:8080/fw.bin'));
    expect(problemsOf(body).map((p) => p.field)).toEqual(['firmware.uri']);
    expect(specOf(body, { allowInsecureFirmwareUri: true }).firmware.uri).toBe('http://127.0.0.1:8080/fw.bin');
    expect(
      problemsOf(
        bodyWith((b) => (b.firmware.uri = 'ftp://x/fw.bin')),
        { allowInsecureFirmwareUri: true },
      )[0].message,
    ).toMatch(/http:\/\/ or https:\/\//);
  });

  test('keywords inside strings and as property names are part of the condition', () => {
    const query = 'tags.note = \'select from where\' AND properties.reported.from = "group by" AND tags.where.select = 1';
    expect(specOf(bodyWith((b) => (b.target.query = query))).target).toEqual({ query });
    expect(queryConditionProblems("tags.a = 'it\\'s (fine'")).toEqual([]);
    expect(queryConditionProblems('tags.a IN [1, 2] AND (tags.b = 1 OR tags.c = 2)')).toEqual([]);
    expect(queryConditionProblems("NOT IS_DEFINED(tags.x) OR STARTS_WITH(deviceId, 'th') AND -tags.n * 2 <> 4")).toEqual([]);
    expect(queryConditionProblems('tags.a = 1\u0000')).toEqual(['must not contain control characters (U+0000 at line 1, column 11)']);
  });

  test('boundaries that are allowed', () => {
    const spec = specOf(
      bodyWith((b) => {
        b.waves = [wave(0.01), wave(99.99), wave(100)];
        b.maxConcurrency = 1000;
        b.failureThreshold = { percent: 0, minDevices: 1, action: 'abort' };
        b.soakSeconds = 86_400;
        b.deviceTimeouts = { methodSeconds: 300, offlineRetryMinutes: 10_080, downloadMinutes: 0.5, applyMinutes: 1440 };
        b.firmware.version = 'v'.repeat(64);
        b.rolloutId = 'r'.repeat(64);
      }),
    );
    expect(spec.waves.map((w) => w.percent)).toEqual([0.01, 99.99, 100]);
    expect(spec.failureThreshold).toEqual({ percent: 0, minDevices: 1, action: 'abort' });
    expect(spec.deviceTimeouts.downloadMinutes).toBe(0.5);
  });
});

describe('parseRolloutSpec: properties', () => {
  test('never throws, whatever the input, and every problem names a field', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withSparseArray: true }), (body) => {
        const result = parseRolloutSpec(body);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const problem of result.problems) {
            expect(problem.field.length).toBeGreaterThan(0);
            expect(problem.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test('never throws on near-valid bodies with fields replaced by anything', () => {
    const field = fc.constantFrom(
      'rolloutId',
      'firmware',
      'target',
      'waves',
      'maxConcurrency',
      'failureThreshold',
      'approval',
      'soakSeconds',
      'deviceTimeouts',
    );
    fc.assert(
      fc.property(validRequestArb, field, fc.anything(), (body, key, value) => {
        const result = parseRolloutSpec({ ...body, [key]: value });
        if (!result.ok)
          expect(result.problems.every((p) => p.field === key || p.field.startsWith(`${key}.`) || p.field.startsWith(`${key}[`))).toBe(
            true,
          );
      }),
      { numRuns: 500 },
    );
  });

  test('accepts every valid body, and a parsed spec parses to itself', () => {
    fc.assert(
      fc.property(validRequestArb, (body) => {
        const spec = specOf(body);
        expect(specOf(spec)).toEqual(spec);
        expect(spec.waves.at(-1)?.percent).toBe(100);
        expect(spec.firmware.sha256).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 300 },
    );
  });

  test('does not modify the body it is given', () => {
    fc.assert(
      fc.property(validRequestArb, (body) => {
        const copy = structuredClone(body);
        parseRolloutSpec(body);
        expect(body).toEqual(copy);
      }),
      { numRuns: 100 },
    );
  });
});
