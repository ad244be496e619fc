import fc from 'fast-check';
import { IotHubError } from '../../../local/hub/errors/IotHubError';
import {
  applyPatch,
  deviceTwinView,
  emptyTwin,
  measureSection,
  validatePatch,
  type JsonObject,
  type JsonValue,
  type MetadataNode,
  type TwinSectionName,
  type TwinState,
} from '../../../local/hub/twin';

// ---------- generators ----------

const INVALID_KEY_CHARS = ['.', '$', '#', ' ', '\u0000', '\t', '\n', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f'];
const TRICKY_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '10'];

// Mostly a small key set, so that successive patches collide (nested merges, deletes of existing keys).
const validKey = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'c', 'é', ...TRICKY_KEYS), weight: 4 },
  { arbitrary: fc.string({ minLength: 1, maxLength: 6 }).filter((key) => !/[.$# \u0000-\u001f\u007f-\u009f]/.test(key)), weight: 1 },
);

const leaf = fc.oneof(
  fc.boolean(),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.string({ maxLength: 8 }),
);

/** Stored values: no nulls (they never survive a merge), arrays of non-null values. */
const storedValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(validKey, tie('value'), { maxKeys: 3 }),
})).value;

/** Patches: nested dictionaries whose values may also be null (delete). At most 4 levels deep. */
const patchArb: fc.Arbitrary<JsonObject> = fc.letrec<{ patch: JsonObject; value: JsonValue }>((tie) => ({
  patch: fc.dictionary(validKey, tie('value'), { maxKeys: 4 }),
  value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, fc.constant(null), storedValue, tie('patch')),
})).patch;

const sectionArb = fc.constantFrom<TwinSectionName>('tags', 'desired', 'reported');
const opsArb = fc.array(fc.record({ section: sectionArb, patch: patchArb }), { maxLength: 8 });

// ---------- independent reference model (Maps, no shared code with the implementation) ----------

type RefValue = JsonPrimitive | RefValue[] | RefObject;
type JsonPrimitive = boolean | number | string;
type RefObject = Map<string, RefValue>;

function toRef(value: JsonValue): RefValue {
  if (Array.isArray(value)) return value.map(toRef);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toRef(v)]));
  return value as JsonPrimitive;
}

function fromRef(value: RefValue): JsonValue {
  if (Array.isArray(value)) return value.map(fromRef);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, fromRef(v)]));
  return value;
}

function refMerge(target: RefValue | undefined, patch: JsonObject): RefObject {
  const result: RefObject = target instanceof Map ? new Map(target) : new Map();
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else if (typeof value === 'object' && !Array.isArray(value)) result.set(key, refMerge(result.get(key), value));
    else result.set(key, toRef(value));
  }
  return result;
}

interface RefTwin {
  sections: Record<TwinSectionName, RefObject>;
  version: number;
  sectionVersions: Record<'desired' | 'reported', number>;
}

/** Counts, for one patch against the current properties, the merge cases it exercises. */
function countFeatures(
  current: JsonObject,
  patch: JsonObject,
  seen: Record<'deletes' | 'nestedMerges' | 'arrays' | 'trickyKeys', number>,
): void {
  for (const [key, value] of Object.entries(patch)) {
    if (TRICKY_KEYS.includes(key)) seen.trickyKeys++;
    if (value === null) {
      if (Object.hasOwn(current, key)) seen.deletes++;
    } else if (Array.isArray(value)) {
      seen.arrays++;
    } else if (typeof value === 'object') {
      const existing = Object.hasOwn(current, key) ? current[key] : undefined;
      if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
        seen.nestedMerges++;
        countFeatures(existing, value, seen);
      }
    }
  }
}

function propertiesOf(state: TwinState, section: TwinSectionName): JsonObject {
  return section === 'tags' ? state.tags : state[section].properties;
}

function timeOf(step: number): string {
  return new Date(Date.UTC(2024, 0, 1, 0, 0, step)).toISOString();
}

// ---------- properties ----------

describe('twin merge properties', () => {
  it('applyPatch gives the reference merge for every section', () => {
    const seen = { deletes: 0, nestedMerges: 0, arrays: 0, trickyKeys: 0 };
    fc.assert(
      fc.property(opsArb, sectionArb, patchArb, (ops, section, patch) => {
        let state = emptyTwin();
        ops.forEach((op, i) => (state = applyPatch(state, op.section, op.patch, timeOf(i)).state));
        const current = propertiesOf(state, section);
        countFeatures(current, patch, seen);
        const expected = fromRef(refMerge(toRef(current), patch));
        expect(propertiesOf(applyPatch(state, section, patch, timeOf(99)).state, section)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
    // The generators must reach the interesting cases, or the property proves little.
    expect(Object.entries(seen).filter(([, count]) => count === 0)).toEqual([]);
  });

  it('a sequence of patches reads back (device view and tags) as the reference fold, with the reference versions', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        let state = emptyTwin();
        const ref: RefTwin = {
          sections: { tags: new Map(), desired: new Map(), reported: new Map() },
          version: 1,
          sectionVersions: { desired: 1, reported: 1 },
        };
        ops.forEach((op, i) => {
          state = applyPatch(state, op.section, op.patch, timeOf(i)).state;
          ref.sections[op.section] = refMerge(ref.sections[op.section], op.patch);
          ref.version++;
          if (op.section !== 'tags') ref.sectionVersions[op.section]++;
        });
        expect(deviceTwinView(state)).toEqual({
          desired: { ...(fromRef(ref.sections.desired) as JsonObject), $version: ref.sectionVersions.desired },
          reported: { ...(fromRef(ref.sections.reported) as JsonObject), $version: ref.sectionVersions.reported },
        });
        expect(state.tags).toEqual(fromRef(ref.sections.tags));
        expect(state.version).toBe(ref.version);
      }),
    );
  });

  it('applying never changes the input state or patch', () => {
    fc.assert(
      fc.property(opsArb, sectionArb, patchArb, (ops, section, patch) => {
        let state = emptyTwin();
        ops.forEach((op, i) => (state = applyPatch(state, op.section, op.patch, timeOf(i)).state));
        const stateBefore = structuredClone(state);
        const patchBefore = structuredClone(patch);
        const result = applyPatch(state, section, patch, timeOf(99));
        expect(state).toEqual(stateBefore);
        expect(patch).toEqual(patchBefore);
        expect(result.state.version).toBe(state.version + 1);
      }),
    );
  });

  it('the notification carries the patch as sent, metadata for its non-null nodes and the new $version', () => {
    fc.assert(
      fc.property(opsArb, fc.constantFrom<'desired' | 'reported'>('desired', 'reported'), patchArb, (ops, section, patch) => {
        let state = emptyTwin();
        ops.forEach((op, i) => (state = applyPatch(state, op.section, op.patch, timeOf(i)).state));
        const { state: next, notification } = applyPatch(state, section, patch, timeOf(99));
        const body = notification.properties?.[section];
        expect(notification.version).toBe(next.version);
        expect(body?.$version).toBe(next[section].version);
        const { $metadata, $version: _version, ...values } = body ?? {};
        expect(values).toEqual(patch);
        expectPatchMetadata($metadata as JsonObject, patch, timeOf(99));
      }),
    );
  });
});

function expectPatchMetadata(metadata: JsonObject, patch: JsonObject, now: string): void {
  expect(metadata.$lastUpdated).toBe(now);
  const expectedKeys = Object.keys(patch).filter((key) => patch[key] !== null);
  expect(
    Object.keys(metadata)
      .filter((key) => !key.startsWith('$'))
      .sort(),
  ).toEqual(expectedKeys.sort());
  for (const key of expectedKeys) {
    const value = patch[key];
    const child = Object.getOwnPropertyDescriptor(metadata, key)?.value as JsonObject;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) expectPatchMetadata(child, value, now);
    else expect(child).toEqual(expect.objectContaining({ $lastUpdated: now }));
  }
}

describe('twin metadata properties', () => {
  it('metadata keys mirror the property tree; stamps come from the patches and never postdate the parent', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        let state = emptyTwin();
        const times = new Set(['0001-01-01T00:00:00Z']);
        ops.forEach((op, i) => {
          times.add(timeOf(i));
          state = applyPatch(state, op.section, op.patch, timeOf(i)).state;
        });
        for (const section of ['desired', 'reported'] as const) {
          const { properties, metadata, version } = state[section];
          expect(times.has(metadata.lastUpdated)).toBe(true);
          if (section === 'desired' && metadata.lastUpdatedVersion !== undefined) expect(metadata.lastUpdatedVersion).toBe(version);
          expectMirrored(properties, metadata, section === 'desired', times);
        }
      }),
    );
  });
});

function expectMirrored(properties: JsonObject, node: MetadataNode, desired: boolean, times: Set<string>): void {
  const children = node.children ?? {};
  expect(Object.keys(children).sort()).toEqual(Object.keys(properties).sort());
  for (const key of Object.keys(properties)) {
    const value = properties[key];
    const child = Object.getOwnPropertyDescriptor(children, key)?.value as MetadataNode;
    expect(times.has(child.lastUpdated)).toBe(true);
    expect(child.lastUpdated <= node.lastUpdated).toBe(true);
    if (desired) expect(child.lastUpdatedVersion).toBeLessThanOrEqual(node.lastUpdatedVersion ?? Number.NaN);
    else expect(child.lastUpdatedVersion).toBeUndefined();
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) expectMirrored(value, child, desired, times);
    else expect(child.children).toBeUndefined();
  }
}

describe('twin validation properties', () => {
  /** A valid patch with one key corrupted by an invalid character, placed `depth` levels down. */
  const corrupted = fc
    .record({
      base: validKey,
      char: fc.constantFrom(...INVALID_KEY_CHARS),
      at: fc.nat(),
      path: fc.array(validKey, { maxLength: 4 }),
      siblings: patchArb,
      section: sectionArb,
    })
    .map(({ base, char, at, path, siblings, section }) => {
      const position = at % (base.length + 1);
      const badKey = base.slice(0, position) + char + base.slice(position);
      let patch: JsonObject = { [badKey]: 1 };
      for (const key of [...path].reverse()) patch = { [key]: patch };
      return { badKey, section, patch: path.length === 0 ? { ...siblings, ...patch } : patch };
    })
    .filter(({ badKey }) => badKey !== '$version' && badKey !== '$metadata');

  it('any key with an invalid character is rejected with 400004 naming the key, and nothing is applied', () => {
    fc.assert(
      fc.property(corrupted, ({ badKey, section, patch }) => {
        const state = emptyTwin();
        for (const attempt of [() => validatePatch(section, patch), () => applyPatch(state, section, patch, timeOf(0))]) {
          let caught: unknown;
          try {
            attempt();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(IotHubError);
          expect((caught as IotHubError).errorCode).toBe(400004);
          expect((caught as IotHubError).message).toContain(`Error in Property/Tag ${badKey}.`);
        }
        expect(state).toEqual(emptyTwin());
      }),
    );
  });

  it('versions never decrease and rise by exactly one per applied operation, failed operations change nothing', () => {
    const op = fc.record({ section: sectionArb, patch: patchArb, corrupt: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 10 }), (ops) => {
        let state = emptyTwin();
        let applied = 0;
        ops.forEach(({ section, patch, corrupt }, i) => {
          const before = state;
          const snapshot = structuredClone(state);
          try {
            state = applyPatch(state, section, corrupt ? { ...patch, 'bad key': 1 } : patch, timeOf(i)).state;
          } catch {
            expect(corrupt).toBe(true);
            expect(before).toEqual(snapshot);
            return;
          }
          expect(corrupt).toBe(false);
          applied++;
          expect(state.version).toBe(before.version + 1);
          for (const s of ['desired', 'reported'] as const) {
            expect(state[s].version).toBe(before[s].version + (s === section ? 1 : 0));
          }
        });
        expect(state.version).toBe(1 + applied);
      }),
    );
  });

  it('a tags patch is applied exactly when the merged tags fit in 8192 bytes', () => {
    const bigPatch = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.option(fc.nat({ max: 4096 }).map((n) => 'x'.repeat(n))), {
      minKeys: 1,
      maxKeys: 4,
    });
    const outcomes = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.array(bigPatch, { minLength: 1, maxLength: 6 }), (patches) => {
        let state = emptyTwin();
        patches.forEach((patch, i) => {
          const expectedSize = measureSection(fromRef(refMerge(toRef(state.tags), patch)) as JsonObject);
          const snapshot = structuredClone(state);
          try {
            state = applyPatch(state, 'tags', patch, timeOf(i)).state;
            outcomes.accepted++;
            expect(expectedSize).toBeLessThanOrEqual(8192);
          } catch (error) {
            outcomes.rejected++;
            expect((error as IotHubError).message).toBe("'Tags' size should be less than 8192 bytes.");
            expect(expectedSize).toBeGreaterThan(8192);
            expect(state).toEqual(snapshot);
          }
        });
      }),
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });
});
