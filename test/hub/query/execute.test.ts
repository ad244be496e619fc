import { parseQuery } from '../../../contracts/twinQuery';
import { runQuery } from '../../../local/hub/query';
import { ALL_IDS, FLEET } from './fleet';

function selectedIds(where: string): string[] {
  const result = runQuery(parseQuery(`SELECT * FROM devices WHERE ${where}`), FLEET);
  expect(result.itemType).toBe('Twin');
  return result.items.map((item) => (item as { deviceId: string }).deviceId);
}

function raw(query: string): unknown[] {
  const result = runQuery(parseQuery(query), FLEET);
  expect(result.itemType).toBe('Raw');
  return result.items;
}

const except = (...ids: string[]) => ALL_IDS.filter((id) => !ids.includes(id));

describe('runQuery: WHERE', () => {
  const T1 = 'thermo-001';
  const T2 = 'thermo-002';
  const P1 = 'pump-001';
  const P2 = 'pump-002';
  const G = 'gateway-01';
  const S = 'sensor-new';
  const O = "o'brien-sensor";
  const L = 'legacy-01';

  it.each<[string, string, string[]]>([
    // Every comparison operator, on strings and numbers.
    ['= on a nested tag', "tags.location.region = 'US'", [T1, T2, O]],
    ['!= skips missing and mismatched values', "tags.location.region != 'US'", [P1, P2, G]],
    ['<> is !=', "tags.location.region <> 'US'", [P1, P2, G]],
    ['< on numbers', 'properties.reported.batteryLevel < 50', [T2, L]],
    ['<= on decimals', 'properties.reported.batteryLevel <= 50.5', [T2, O, L]],
    ['> on numbers', 'properties.reported.batteryLevel > 50', [T1, O]],
    ['>= on numbers', 'properties.reported.batteryLevel >= 87', [T1]],
    ['> on strings is ordinal', "properties.reported.firmware.version > '2.0.0'", [T1, T2, P2, O]],
    ["< on strings is ordinal ('10.0.0' < '2.0.0')", "properties.reported.firmware.version < '2.0.0'", [P1, L]],
    ['string equality is case-sensitive', "status = 'Enabled'", []],
    ['property names are case-sensitive', "DeviceId = 'thermo-001'", []],
    // Literals.
    ['escaped single quote', "deviceId = 'o\\'brien-sensor'", [O]],
    ['double-quoted string with escaped quotes', 'tags.location.plant = "Plant \\"7\\""', [O]],
    ['integer equals decimal', 'tags.criticality = 3.0', [T1]],
    ['negative literal', 'tags.criticality > -1', [T1, T2, P1, P2, O, L]],
    ['exponent literal', 'tags.criticality < 0.5e1', [T1, T2, O, L]],
    ['exponent equality', 'properties.reported.batteryLevel = 5.05e1', [O]],
    ['= true', 'capabilities.iotEdge = true', [G]],
    ['= false', 'capabilities.iotEdge = false', except(G)],
    ['a boolean property as the whole condition', 'capabilities.iotEdge', [G]],
    ['NOT of a boolean property', 'NOT capabilities.iotEdge', except(G)],
    ['= null matches null only', 'properties.reported.batteryLevel = null', [P1]],
    ['= null on a nested tag', 'tags.location.region = null', [L]],
    ['!= null is undefined against strings (different types)', 'tags.location.region != null', []],
    ['the constant true', 'true', ALL_IDS],
    ['the constant false', 'false', []],
    ['a string is not a condition', 'deviceId', []],
    ['NOT of a string is not a condition either', 'NOT deviceId', []],
    // Boolean logic and precedence.
    ['AND', "status = 'enabled' AND connectionState = 'Connected'", [T1, P1, G]],
    ['OR', "status = 'disabled' OR connectionState = 'Connected'", [T1, P1, P2, G]],
    [
      'AND binds tighter than OR',
      "tags.deviceType = 'pump' OR tags.deviceType = 'thermostat' AND connectionState = 'Connected'",
      [T1, P1, P2],
    ],
    ['parentheses', "(tags.deviceType = 'pump' OR tags.deviceType = 'thermostat') AND connectionState = 'Connected'", [T1, P1]],
    ['NOT binds tighter than AND', "NOT tags.deviceType = 'pump' AND status = 'enabled'", [T1, T2, G, O, L]],
    ['NOT of a parenthesised AND', "NOT (tags.deviceType = 'pump' AND status = 'enabled')", [T1, T2, P2, G, O, L]],
    ['NOT of =', "NOT (tags.location.region = 'US')", [P1, P2, G]],
    ['double NOT', "NOT NOT tags.location.region = 'US'", [T1, T2, O]],
    ['lower-case keywords', "status = 'enabled' and not capabilities.iotEdge", [T1, T2, P1, S, O, L]],
    // Undefined and mismatched operands: excluded, also under NOT.
    ['missing property', 'tags.nonexistent = 1', []],
    ['NOT of a missing property', 'NOT (tags.nonexistent = 1)', []],
    ['unknown OR true is true', "tags.nonexistent = 1 OR status = 'disabled'", [P2]],
    ['unknown AND true is unknown', "tags.nonexistent = 1 AND status = 'enabled'", []],
    ['NOT (unknown AND false) is true', "NOT (tags.nonexistent = 1 AND status = 'disabled')", except(P2)],
    ['a number compared with a string', 'properties.reported.firmware.version = 3', [G]],
    ['NOT of a string comparison skips the number', "NOT (properties.reported.firmware.version > '2.0.0')", [P1, L]],
    ['null compared with a number', 'properties.reported.batteryLevel != 15', [T1, O, L]],
    ['an object compared with a string', "tags.location = 'US'", []],
    [
      'path against path',
      'properties.desired.telemetryConfig.sendFrequencyInSecs = properties.reported.telemetryConfig.sendFrequencyInSecs',
      [T1, P1],
    ],
    ['desired differs from reported', 'properties.desired.firmware.version != properties.reported.firmware.version', [T2]],
    ['arrays compare deeply', "tags.labels = ['critical', 'outdoor']", [P1]],
    ['objects compare deeply', 'tags.location = properties.reported.telemetryConfig', []],
    // IN / NIN.
    ['IN', "tags.location.region IN ['EU', 'APAC']", [P1, P2, G]],
    ['NIN skips missing and mismatched values', "tags.location.region NIN ['EU', 'APAC']", [T1, T2, O]],
    ['IN on a reported property', "properties.reported.connectivity.type IN ['wired', 'wifi']", [T1, P1, P2, L]],
    ['IN with numbers', 'tags.criticality IN [1, 2, 3]', [T1, T2, O, L]],
    ['NIN with numbers', 'tags.criticality NIN [5]', [T1, T2, O, L]],
    ['IN with null', 'properties.reported.batteryLevel IN [null, 0]', [P1, L]],
    ['IN with mixed types: only a match is true', "tags.criticality IN [1, 'x']", [T2]],
    ['NIN with mixed types: never true', "tags.criticality NIN [1, 'x']", []],
    ['IN an empty list', 'deviceId IN []', []],
    ['NIN an empty list', 'deviceId NIN []', ALL_IDS],
    ['NOT IN is NIN', "NOT tags.location.region IN ['EU', 'APAC']", [T1, T2, O]],
    // Functions.
    ['IS_DEFINED', 'IS_DEFINED(properties.reported.connectivity)', [T1, T2, P1, P2, L]],
    ['is_defined counts null as defined', 'is_defined(properties.reported.batteryLevel)', [T1, T2, P1, O, L]],
    ['NOT IS_DEFINED', 'NOT IS_DEFINED(tags.location)', [S]],
    ['IS_NULL', 'IS_NULL(properties.reported.batteryLevel)', [P1]],
    ['IS_NUMBER', 'IS_NUMBER(properties.reported.firmware.version)', [G]],
    ['IS_STRING', 'IS_STRING(properties.reported.firmware.version)', [T1, T2, P1, P2, O, L]],
    ['IS_OBJECT', 'IS_OBJECT(tags.location)', except(S)],
    ['IS_ARRAY', 'IS_ARRAY(tags.labels)', [P1]],
    ['IS_BOOL', 'IS_BOOL(capabilities.iotEdge)', ALL_IDS],
    ['IS_PRIMITIVE', 'IS_PRIMITIVE(tags.location.region)', [T1, T2, P1, P2, G, O, L]],
    ['STARTS_WITH', "STARTS_WITH(deviceId, 'thermo')", [T1, T2]],
    ['ENDS_WITH', "ENDS_WITH(deviceId, '-01')", [G, L]],
    ['CONTAINS', "CONTAINS(deviceId, 'sensor')", [S, O]],
    ['STARTS_WITH on a number is undefined', "STARTS_WITH(properties.reported.firmware.version, '2.')", [T1, T2, P2, O]],
    ['NOT STARTS_WITH stays undefined on a number', "NOT STARTS_WITH(properties.reported.firmware.version, '2.')", [P1, L]],
    // $metadata and $version paths.
    ['$version', 'properties.reported.$version = 7', ALL_IDS],
    ['$metadata', "properties.desired.$metadata.$lastUpdated > '2024-01-01'", ALL_IDS],
    // Arithmetic.
    ['multiplication', 'properties.reported.batteryLevel * 2 > 100', [T1, O]],
    ['modulo', 'tags.criticality % 2 = 1', [T1, T2, P1, P2]],
    ['subtraction', 'properties.reported.batteryLevel - 15 = 0', [T2]],
    ['unary minus on a path', '-tags.criticality < -4', [P1, P2]],
    ['precedence of * over +', 'tags.criticality + 1 * 2 = 5', [T1]],
    ['division by zero is undefined', 'tags.criticality / 0 > 0 OR NOT (tags.criticality / 0 > 0)', []],
  ])('%s', (_name, where, expected) => {
    expect(selectedIds(where)).toEqual(expected);
  });

  it('the table covers a fleet where every device is selected by some query and excluded by another', () => {
    expect(selectedIds("IS_DEFINED(deviceId) AND NOT deviceId = 'x'")).toEqual(ALL_IDS);
    expect(new Set(ALL_IDS).size).toBe(8);
  });
});

describe('runQuery: SELECT', () => {
  it('SELECT * returns the twin documents themselves, in input order', () => {
    const result = runQuery(parseQuery('SELECT * FROM devices'), FLEET);
    expect(result.itemType).toBe('Twin');
    expect(result.items).toHaveLength(FLEET.length);
    result.items.forEach((item, i) => expect(item).toBe(FLEET[i]));
  });

  it.each<[string, unknown[]]>([
    [
      "SELECT deviceId, tags.location.region AS region FROM devices WHERE tags.deviceType = 'thermostat'",
      [
        { deviceId: 'thermo-001', region: 'US' },
        { deviceId: 'thermo-002', region: 'US' },
      ],
    ],
    [
      // batteryLevel is null on pump-001 (kept) and missing on pump-002 (column omitted).
      "SELECT deviceId, properties.reported.batteryLevel FROM devices WHERE STARTS_WITH(deviceId, 'pump')",
      [{ deviceId: 'pump-001', batteryLevel: null }, { deviceId: 'pump-002' }],
    ],
    ["SELECT tags.location FROM devices WHERE deviceId = 'pump-001'", [{ location: { region: 'EU', plant: 'Dublin1' } }]],
    [
      "SELECT deviceId, properties.reported.batteryLevel * 2 AS doubled, 'x' AS constant, tags.labels FROM devices WHERE deviceId = 'thermo-001'",
      [{ deviceId: 'thermo-001', doubled: 174, constant: 'x' }],
    ],
    ["SELECT deviceId, tags.criticality + 1 FROM devices WHERE deviceId = 'thermo-002'", [{ deviceId: 'thermo-002', $1: 2 }]],
    [
      "SELECT properties.desired.$version, capabilities.iotEdge AS edge FROM devices WHERE deviceId = 'sensor-new'",
      [{ $version: 2, edge: false }],
    ],
    [
      "SELECT deviceId, tags.criticality > 2 AS critical FROM devices WHERE tags.deviceType = 'thermostat'",
      [
        { deviceId: 'thermo-001', critical: true },
        { deviceId: 'thermo-002', critical: false },
      ],
    ],
    ["SELECT tags.missing FROM devices WHERE deviceId = 'gateway-01'", [{}]],
  ])('%s', (query, expected) => {
    expect(raw(query)).toEqual(expected);
  });
});

describe('runQuery: TOP', () => {
  it('limits SELECT * to the first rows', () => {
    const { items } = runQuery(parseQuery('SELECT TOP 2 * FROM devices'), FLEET);
    expect(items).toEqual([FLEET[0], FLEET[1]]);
  });

  it.each<[string, unknown[]]>([
    ['SELECT TOP 0 deviceId FROM devices', []],
    [
      "SELECT TOP 3 deviceId FROM devices WHERE connectionState = 'Disconnected'",
      [{ deviceId: 'thermo-002' }, { deviceId: 'pump-002' }, { deviceId: 'sensor-new' }],
    ],
    ['SELECT TOP 100 deviceId FROM devices', ALL_IDS.map((deviceId) => ({ deviceId }))],
    [
      'SELECT TOP 2 tags.deviceType AS type, COUNT() AS n FROM devices GROUP BY tags.deviceType',
      [
        { type: 'thermostat', n: 2 },
        { type: 'pump', n: 2 },
      ],
    ],
    ['SELECT TOP 0 COUNT() AS n FROM devices', []],
  ])('%s', (query, expected) => {
    expect(raw(query)).toEqual(expected);
  });

  it('stops reading rows once TOP is reached', () => {
    let read = 0;
    function* rows() {
      for (const row of FLEET) {
        read++;
        yield row;
      }
    }
    const { items } = runQuery(parseQuery("SELECT TOP 1 * FROM devices WHERE connectionState = 'Connected'"), rows());
    expect(items).toEqual([FLEET[0]]);
    expect(read).toBe(1);
  });
});

describe('runQuery: aggregates', () => {
  it.each<[string, unknown[]]>([
    ['SELECT COUNT() AS numberOfDevices FROM devices', [{ numberOfDevices: 8 }]],
    ["SELECT COUNT() FROM devices WHERE status = 'disabled'", [{ $1: 1 }]],
    ['SELECT COUNT() AS n FROM devices WHERE tags.nonexistent = 1', [{ n: 0 }]],
    [
      'SELECT SUM(tags.criticality) AS total, AVG(tags.criticality) AS mean, MIN(tags.criticality) AS low, MAX(tags.criticality) AS high FROM devices',
      [{ total: 18, mean: 3, low: 1, high: 5 }],
    ],
    // null and missing battery levels are ignored: (87 + 15 + 50.5 + 0) / 4.
    ['SELECT AVG(properties.reported.batteryLevel) AS battery FROM devices', [{ battery: 38.125 }]],
    // Numbers order before strings; strings order ordinally.
    [
      'SELECT MIN(properties.reported.firmware.version) AS low, MAX(properties.reported.firmware.version) AS high FROM devices',
      [{ low: 3, high: '2.1.0-beta' }],
    ],
    [
      "SELECT AVG(tags.criticality) AS a, SUM(tags.criticality) AS s, MAX(deviceId) AS m, COUNT() AS n FROM devices WHERE status = 'none'",
      [{ s: 0, n: 0 }],
    ],
    ["SELECT 'fleet' AS name, COUNT() AS n FROM devices", [{ name: 'fleet', n: 8 }]],
    [
      // The example of the IoT Hub documentation; devices without the property form the last group.
      'SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.telemetryConfig.status',
      [
        { status: 'Success', numberOfDevices: 3 },
        { status: 'Pending', numberOfDevices: 2 },
        { status: 'Error', numberOfDevices: 1 },
        { numberOfDevices: 2 },
      ],
    ],
    [
      // null and missing keys are different groups.
      'SELECT tags.location.region AS region, COUNT() AS n FROM devices GROUP BY tags.location.region',
      [{ region: 'US', n: 3 }, { region: 'EU', n: 2 }, { region: 'APAC', n: 1 }, { n: 1 }, { region: null, n: 1 }],
    ],
    [
      'SELECT tags.location.region AS region, connectionState, COUNT() AS n FROM devices WHERE IS_DEFINED(tags.location.region) GROUP BY tags.location.region, connectionState',
      [
        { region: 'US', connectionState: 'Connected', n: 1 },
        { region: 'US', connectionState: 'Disconnected', n: 2 },
        { region: 'EU', connectionState: 'Connected', n: 1 },
        { region: 'EU', connectionState: 'Disconnected', n: 1 },
        { region: 'APAC', connectionState: 'Connected', n: 1 },
        { region: null, connectionState: 'Disconnected', n: 1 },
      ],
    ],
    [
      'SELECT tags.deviceType FROM devices GROUP BY tags.deviceType',
      [{ deviceType: 'thermostat' }, { deviceType: 'pump' }, { deviceType: 'gateway' }, {}, { deviceType: 'sensor' }],
    ],
    [
      'SELECT tags.deviceType AS type, AVG(properties.reported.batteryLevel) AS battery, MAX(tags.criticality) AS crit FROM devices WHERE IS_DEFINED(tags.deviceType) GROUP BY tags.deviceType',
      [
        { type: 'thermostat', battery: 51, crit: 3 },
        { type: 'pump', crit: 5 },
        { type: 'gateway' },
        { type: 'sensor', battery: 25.25, crit: 2 },
      ],
    ],
    [
      'SELECT tags.criticality * 10 AS score, COUNT() AS n FROM devices GROUP BY tags.criticality',
      [{ score: 30, n: 1 }, { score: 10, n: 1 }, { score: 50, n: 2 }, { n: 2 }, { score: 20, n: 2 }],
    ],
    [
      'SELECT tags.labels AS labels, COUNT() AS n FROM devices WHERE IS_DEFINED(tags.labels) GROUP BY tags.labels',
      [{ labels: ['critical', 'outdoor'], n: 1 }],
    ],
    ["SELECT status, COUNT() AS n FROM devices WHERE deviceId = 'nobody' GROUP BY status", []],
  ])('%s', (query, expected) => {
    expect(raw(query)).toEqual(expected);
  });
});

describe('runQuery: inputs and reuse', () => {
  it('accepts any iterable and reruns a parsed query on new rows', () => {
    const query = parseQuery("SELECT deviceId FROM devices WHERE tags.location.region = 'EU'");
    expect(runQuery(query, new Set(FLEET)).items).toEqual([{ deviceId: 'pump-001' }, { deviceId: 'pump-002' }]);
    expect(runQuery(query, FLEET.slice(3)).items).toEqual([{ deviceId: 'pump-002' }]);
    expect(runQuery(query, []).items).toEqual([]);
  });

  it('does not find inherited members through a path', () => {
    const rows = [{ deviceId: 'x', tags: {} }];
    expect(
      runQuery(parseQuery('SELECT * FROM devices WHERE IS_DEFINED(tags.constructor) OR IS_DEFINED(tags.toString)'), rows).items,
    ).toEqual([]);
    expect(runQuery(parseQuery('SELECT * FROM devices WHERE IS_DEFINED(tags)'), rows).items).toEqual(rows);
  });
});

// How fast it is, is bench:hub's to measure; here, that 10,000 twins give the right answers.
describe('runQuery over 10,000 twins', () => {
  const regions = ['US', 'EU', 'APAC', 'LATAM'];
  const rows = Array.from({ length: 10_000 }, (_, i) => ({
    ...FLEET[i % FLEET.length],
    deviceId: `device-${i}`,
    tags: { location: { region: regions[i % regions.length] }, criticality: i % 7 },
    properties: { desired: {}, reported: { firmware: { version: i % 3 === 0 ? '2.1.0' : '2.0.5' }, batteryLevel: i % 100 } },
  }));

  it('filters them', () => {
    const query = parseQuery(
      "SELECT * FROM devices WHERE tags.location.region = 'EU' AND properties.reported.firmware.version != '2.1.0' OR properties.reported.batteryLevel < 5",
    );
    const expected = rows.filter((_, i) => (i % 4 === 1 && i % 3 !== 0) || i % 100 < 5).length;
    expect(runQuery(query, rows).items).toHaveLength(expected);
    expect(expected).toBeGreaterThan(1000);
  });

  it('groups them', () => {
    const query = parseQuery(
      'SELECT tags.location.region AS region, COUNT() AS n, AVG(properties.reported.batteryLevel) AS battery FROM devices GROUP BY tags.location.region',
    );
    // Region r holds the rows i ≡ r (mod 4), whose battery levels i % 100 are r, r + 4, ..., r + 96.
    expect(runQuery(query, rows).items).toEqual(regions.map((region, r) => ({ region, n: 2500, battery: 48 + r })));
  });
});
