import { IotHubError } from '../../../local/hub/errors/IotHubError';
import { validatePatch, type JsonObject, type JsonValue, type TwinSectionName } from '../../../local/hub/twin';
import { ARGUMENT_INVALID, ARGUMENT_NULL, expectIotHubError, nested } from './twinTestUtils';

const SECTIONS: TwinSectionName[] = ['tags', 'desired', 'reported'];
const INVALID_KEY_MESSAGE = (key: string) =>
  `Property or Tag name has invalid characters. Error in Property/Tag ${key}. Must not contain Control Characters, '.', '$', '#', or ' '.`;

describe('validatePatch: keys', () => {
  const badKeys: [string, string][] = [
    ['a dot', 'fw.version'],
    ['a dollar', 'price$'],
    ['a hash (refused by the service though not in the docs)', 'm2(<#a'],
    ['a space', 'two words'],
    ['NUL (C0)', 'a\u0000b'],
    ['a newline (C0)', 'line\nbreak'],
    ['US (last C0)', 'x\u001f'],
    ['DEL', 'x\u007f'],
    ['NEL (C1)', 'x\u0085'],
    ['APC (last C1)', '\u009fx'],
  ];

  it.each(badKeys)('rejects a key containing %s, at the root and nested, in every section', (_label, key) => {
    for (const section of SECTIONS) {
      expectIotHubError(() => validatePatch(section, { [key]: 1 }), { ...ARGUMENT_INVALID, message: INVALID_KEY_MESSAGE(key) });
      expectIotHubError(() => validatePatch(section, { outer: { inner: { [key]: true } } }), {
        ...ARGUMENT_INVALID,
        message: INVALID_KEY_MESSAGE(key),
      });
    }
  });

  it('rejects an empty key', () => {
    expectIotHubError(() => validatePatch('reported', { ok: { '': 1 } }), {
      ...ARGUMENT_INVALID,
      message: 'Property or Tag name cannot be empty.',
    });
  });

  it('accepts keys with other punctuation, non-ASCII text and non-SP whitespace', () => {
    const patch = { 'a-b_c/d:e@f': 1, ünïcödé: 2, 日本: 3, 'emoji😀': 4, 'nbsp\u00a0ok': 5, '0': 6 };
    expect(validatePatch('desired', patch)).toEqual(patch);
  });

  it('keeps keys that name Object.prototype members as plain own properties', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c", "toString": {"x": 1}}') as JsonObject;
    const result = validatePatch('tags', patch);
    expect(Object.keys(result)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('allows keys up to 1024 UTF-8 bytes', () => {
    expect(Object.keys(validatePatch('tags', { ['k'.repeat(1024)]: 1 }))).toEqual(['k'.repeat(1024)]);
    expect(Object.keys(validatePatch('tags', { ['é'.repeat(512)]: 1 }))).toEqual(['é'.repeat(512)]);
  });

  it('rejects keys over 1024 UTF-8 bytes, counting bytes not characters', () => {
    for (const key of ['k'.repeat(1025), 'é'.repeat(513)]) {
      expectIotHubError(() => validatePatch('reported', { deep: { [key]: 1 } }), {
        ...ARGUMENT_INVALID,
        message: `Property or Tag name should be maximum 1024 bytes. Error in Property/Tag ${key}`,
      });
    }
  });
});

describe('validatePatch: root $version and $metadata', () => {
  it.each(['desired', 'reported'] as const)('drops $version and $metadata at the root of %s (echoed read-only members)', (section) => {
    const result = validatePatch(section, { a: 1, $version: 7, $metadata: { $lastUpdated: 'x' } });
    expect(result).toEqual({ a: 1 });
  });

  it('rejects $version in tags, which never carry read-only members', () => {
    expectIotHubError(() => validatePatch('tags', { $version: 3 }), { ...ARGUMENT_INVALID, message: INVALID_KEY_MESSAGE('$version') });
  });

  it('rejects $version below the root and any other $ key at the root', () => {
    expectIotHubError(() => validatePatch('desired', { a: { $version: 3 } }), {
      ...ARGUMENT_INVALID,
      message: INVALID_KEY_MESSAGE('$version'),
    });
    expectIotHubError(() => validatePatch('reported', { $etag: 'x' }), { ...ARGUMENT_INVALID, message: INVALID_KEY_MESSAGE('$etag') });
  });
});

describe('validatePatch: values', () => {
  it('accepts booleans, numbers, strings, null, objects and arrays in every section', () => {
    const patch = { b: true, n: -1.5, i: 42, s: 'text', gone: null, o: { x: [1, 'two', { three: 3 }, [false]] }, empty: {}, none: [] };
    for (const section of SECTIONS) expect(validatePatch(section, patch)).toEqual(patch);
  });

  it('allows string values up to 4096 UTF-8 bytes', () => {
    expect(validatePatch('desired', { s: 'x'.repeat(4096), t: '€'.repeat(1365) })).toEqual({ s: 'x'.repeat(4096), t: '€'.repeat(1365) });
  });

  it('rejects string values over 4096 UTF-8 bytes, also inside arrays', () => {
    const long = '€'.repeat(1366); // 4098 bytes, 1366 characters
    for (const patch of [{ s: 'x'.repeat(4097) }, { s: long }, { list: ['ok', long] }]) {
      const error = expectIotHubError(() => validatePatch('reported', patch), ARGUMENT_INVALID);
      expect(error.message).toMatch(/^Property or Tag value should be maximum 4096 bytes\. Error in Property\/Tag /);
    }
  });

  it('accepts integers at the documented bounds and rejects integers beyond them', () => {
    expect(validatePatch('tags', { max: 4503599627370495, min: -4503599627370496 })).toEqual({
      max: 4503599627370495,
      min: -4503599627370496,
    });
    for (const value of [4503599627370496, -4503599627370497, 1e20]) {
      expectIotHubError(() => validatePatch('tags', { n: value }), {
        ...ARGUMENT_INVALID,
        message: 'Property n has an out of bound value. Valid values are between -4503599627370496 and 4503599627370495',
      });
    }
  });

  it('does not range-check non-integral numbers', () => {
    const patch = { half: 0.5, tiny: 1e-300, beyondMax: 4503599627370495.5 };
    expect(validatePatch('desired', patch)).toEqual(patch);
  });

  it('rejects arrays containing null', () => {
    expectIotHubError(() => validatePatch('desired', { list: [1, null] }), {
      ...ARGUMENT_INVALID,
      message: "Arrays cannot contain 'null' as value. Error in Property/Tag list",
    });
    expectIotHubError(() => validatePatch('desired', { list: [[null]] }), ARGUMENT_INVALID);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a bigint', 1n],
  ])('rejects a value that is not JSON: %s', (_label, value) => {
    expectIotHubError(() => validatePatch('reported', { v: value }), {
      ...ARGUMENT_INVALID,
      message: 'Property v has a value of unsupported type. Valid types are number, string, boolean, null, object and array',
    });
  });
});

describe('validatePatch: depth', () => {
  it("accepts the docs' deepest example: ten nested objects holding a property", () => {
    const docsExample = {
      one: { two: { three: { four: { five: { six: { seven: { eight: { nine: { ten: { property: 'value' } } } } } } } } } },
    };
    for (const section of SECTIONS) expect(validatePatch(section, docsExample)).toEqual(docsExample);
    expect(validatePatch('tags', nested(11))).toEqual(nested(11));
  });

  it('rejects an eleventh nested object, even an empty one', () => {
    for (const patch of [nested(12), nested(11, {}), nested(11, { more: 1 })]) {
      expectIotHubError(() => validatePatch('desired', patch), {
        ...ARGUMENT_INVALID,
        message: 'Property or Tag nesting depth should be maximum 10. Error in Property/Tag k11',
      });
    }
  });

  it('counts arrays as a nesting level, like the objects inside them', () => {
    expect(validatePatch('reported', nested(10, [1, 'two']))).toEqual(nested(10, [1, 'two']));
    expect(validatePatch('reported', nested(8, [[{ leaf: 1 }]]))).toEqual(nested(8, [[{ leaf: 1 }]]));
    const tooDeep: [JsonObject, string][] = [
      [nested(11, []), 'k11'],
      [nested(10, [[1]]), 'k10'],
      [nested(10, [{ leaf: 1 }]), 'k10'],
      [nested(9, [[{ leaf: 1 }]]), 'k9'],
    ];
    for (const [patch, key] of tooDeep) {
      expectIotHubError(() => validatePatch('reported', patch), {
        ...ARGUMENT_INVALID,
        message: `Property or Tag nesting depth should be maximum 10. Error in Property/Tag ${key}`,
      });
    }
  });

  it.each(SECTIONS)('rejects arrays nested far beyond the limit in %s with 400004, not a stack overflow', (section) => {
    for (const levels of [5_000, 200_000]) {
      expectIotHubError(() => validatePatch(section, { a: nestedArrays(levels) }), {
        ...ARGUMENT_INVALID,
        message: 'Property or Tag nesting depth should be maximum 10. Error in Property/Tag a',
      });
    }
    expectIotHubError(() => validatePatch(section, JSON.parse(`{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}`)), ARGUMENT_INVALID);
  });

  it('rejects objects and arrays alternating far beyond the limit', () => {
    let value: JsonValue = 1;
    for (let i = 0; i < 100_000; i++) value = i % 2 === 0 ? [value] : { k: value };
    expectIotHubError(() => validatePatch('desired', { a: value }), ARGUMENT_INVALID);
  });
});

/** `[[[…[leaf]…]]]`, built without recursion so any depth can be tried. */
function nestedArrays(levels: number, leaf: JsonValue = 1): JsonValue[] {
  let value: JsonValue[] = [leaf];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

describe('validatePatch: the patch itself', () => {
  it.each([
    ['an array', [1]],
    ['a string', 'text'],
    ['a number', 5],
    ['a class instance', new Date(0)],
  ])('rejects %s', (_label, patch) => {
    expectIotHubError(() => validatePatch('reported', patch), {
      ...ARGUMENT_INVALID,
      message: 'The reported patch must be a JSON object.',
    });
  });

  it('rejects null and undefined as ArgumentNull', () => {
    expectIotHubError(() => validatePatch('desired', null), { ...ARGUMENT_NULL, message: 'The desired patch cannot be null.' });
    expectIotHubError(() => validatePatch('desired', undefined), ARGUMENT_NULL);
  });

  it('accepts an empty patch', () => {
    expect(validatePatch('reported', {})).toEqual({});
  });

  it('accepts null-prototype objects', () => {
    const patch = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(validatePatch('tags', patch)).toEqual({ a: 1 });
  });

  it('returns a fresh copy the caller cannot change afterwards', () => {
    const patch = { a: { b: [1, 2] } };
    const result = validatePatch('desired', patch);
    patch.a.b.push(3);
    expect(result).toEqual({ a: { b: [1, 2] } });
    expect(result.a).not.toBe(patch.a);
  });
});

describe('validatePatch: error body style', () => {
  it('answers with the nested body by default, as the twin endpoints and MQTT do', () => {
    const error = expectIotHubError(() => validatePatch('reported', { 'a.b': 1 }), ARGUMENT_INVALID);
    expect(error.style).toBe('nested');
    expect(JSON.parse(error.httpBody().Message)).toMatchObject({ errorCode: 400004, message: INVALID_KEY_MESSAGE('a.b') });
    expect(error.deviceBody()).toMatchObject({ errorCode: 400004 });
  });

  it('answers with the legacy body when asked', () => {
    let caught: unknown;
    try {
      validatePatch('tags', { 'a b': 1 }, 'legacy');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IotHubError);
    expect((caught as IotHubError).httpBody().Message).toBe(`ErrorCode:ArgumentInvalid;${INVALID_KEY_MESSAGE('a b')}`);
  });
});
