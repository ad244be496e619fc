import {
  applyPatch,
  emptyTwin,
  measureSection,
  replaceTwin,
  serviceTwinSections,
  updateTwin,
  type JsonObject,
  type TwinState,
} from '../../../local/hub/twin';
import { ARGUMENT_INVALID, expectIotHubError, objectOfSize, SECTION_TOO_LARGE, T1, T2, T3 } from './twinTestUtils';

/** Applies patches to one section at T1, T2, T3… and returns the final state. */
function patched(section: 'tags' | 'desired' | 'reported', ...patches: JsonObject[]): TwinState {
  const times = [T1, T2, T3];
  return patches.reduce((state, patch, i) => applyPatch(state, section, patch, times[i]).state, emptyTwin());
}

describe('emptyTwin', () => {
  it('renders exactly as a new device twin on IoT Hub', () => {
    const twin = emptyTwin();
    expect(twin.version).toBe(1);
    expect(serviceTwinSections(twin)).toEqual({
      properties: {
        desired: { $metadata: { $lastUpdated: '0001-01-01T00:00:00Z' }, $version: 1 },
        reported: { $metadata: { $lastUpdated: '0001-01-01T00:00:00Z' }, $version: 1 },
      },
    });
  });

  it('returns independent objects each time', () => {
    const a = emptyTwin();
    a.tags.x = 1;
    expect(emptyTwin().tags).toEqual({});
  });
});

describe('merge', () => {
  it('merges nested objects recursively, keeping untouched siblings', () => {
    const state = patched('desired', { config: { rate: 5, mode: 'eco', limits: { hi: 10 } } }, { config: { rate: 10, limits: { lo: 1 } } });
    expect(state.desired.properties).toEqual({ config: { rate: 10, mode: 'eco', limits: { hi: 10, lo: 1 } } });
  });

  it('deletes properties set to null, at any depth', () => {
    const state = patched('reported', { a: { b: { c: 1, d: 2 }, e: 3 }, f: 4 }, { a: { b: { c: null } }, f: null });
    expect(state.reported.properties).toEqual({ a: { b: { d: 2 }, e: 3 } });
  });

  it('deletes a whole subtree with one null and keeps an object emptied of its keys', () => {
    const state = patched('tags', { a: { b: 1 }, c: { d: { e: 1 } } }, { a: { b: null }, c: null });
    expect(state.tags).toEqual({ a: {} });
  });

  it('ignores null for a property that does not exist', () => {
    expect(patched('reported', { a: 1 }, { missing: null, a: { nope: null } }).reported.properties).toEqual({ a: {} });
  });

  it('creates nothing for nulls inside a new object', () => {
    expect(patched('desired', { fresh: { keep: 1, drop: null, inner: { drop: null } } }).desired.properties).toEqual({
      fresh: { keep: 1, inner: {} },
    });
  });

  it('replaces arrays whole instead of merging them', () => {
    const state = patched('reported', { list: [1, 2, 3], objs: [{ a: 1 }] }, { list: [9], objs: [{ b: 2 }] });
    expect(state.reported.properties).toEqual({ list: [9], objs: [{ b: 2 }] });
  });

  it('replaces a leaf by an object and an object by a leaf', () => {
    const state = patched('desired', { a: 1, b: { c: 1 } }, { a: { x: 1 }, b: 'flat' });
    expect(state.desired.properties).toEqual({ a: { x: 1 }, b: 'flat' });
  });

  it('stores an empty object, and merging an empty object changes no value', () => {
    expect(patched('tags', { e: {} }).tags).toEqual({ e: {} });
    expect(patched('tags', { a: { b: 1 } }, { a: {} }).tags).toEqual({ a: { b: 1 } });
  });

  it('treats Object.prototype member names as ordinary keys', () => {
    const patch = JSON.parse('{"__proto__": {"x": 1}, "constructor": {"y": 2}, "toString": 3}') as JsonObject;
    const state = patched('reported', patch, JSON.parse('{"__proto__": {"z": 3}, "constructor": {"y": null}}') as JsonObject);
    expect(Object.getOwnPropertyDescriptor(state.reported.properties, '__proto__')?.value).toEqual({ x: 1, z: 3 });
    expect(state.reported.properties.constructor).toEqual({});
    expect(state.reported.properties.toString).toBe(3);
    expect(Object.getPrototypeOf(state.reported.properties)).toBe(Object.prototype);
    expect(Object.keys(state.reported.metadata.children ?? {})).toEqual(['__proto__', 'constructor', 'toString']);
  });
});

describe('metadata', () => {
  it('stamps every written node, object or leaf, and the root with $lastUpdated; desired also with $lastUpdatedVersion', () => {
    const state = patched('desired', { telemetryConfig: { sendFrequency: '5m' } });
    expect(serviceTwinSections(state).properties.desired).toEqual({
      telemetryConfig: { sendFrequency: '5m' },
      $metadata: {
        $lastUpdated: T1,
        $lastUpdatedVersion: 2,
        telemetryConfig: { $lastUpdated: T1, $lastUpdatedVersion: 2, sendFrequency: { $lastUpdated: T1, $lastUpdatedVersion: 2 } },
      },
      $version: 2,
    });
  });

  it('gives reported nodes $lastUpdated only', () => {
    const state = patched('reported', { batteryLevel: 55, telemetryConfig: { status: 'success' } });
    expect(serviceTwinSections(state).properties.reported.$metadata).toEqual({
      $lastUpdated: T1,
      batteryLevel: { $lastUpdated: T1 },
      telemetryConfig: { $lastUpdated: T1, status: { $lastUpdated: T1 } },
    });
  });

  it('restamps the path to a changed node and keeps the stamps of untouched siblings', () => {
    const state = patched('desired', { a: { b: 1, c: 2 }, d: 3 }, { a: { b: 5 } });
    expect(serviceTwinSections(state).properties.desired.$metadata).toEqual({
      $lastUpdated: T2,
      $lastUpdatedVersion: 3,
      a: {
        $lastUpdated: T2,
        $lastUpdatedVersion: 3,
        b: { $lastUpdated: T2, $lastUpdatedVersion: 3 },
        c: { $lastUpdated: T1, $lastUpdatedVersion: 2 },
      },
      d: { $lastUpdated: T1, $lastUpdatedVersion: 2 },
    });
  });

  it('removes the metadata of deleted properties and restamps their parent', () => {
    const state = patched('reported', { a: { b: 1, c: { d: 1 } } }, { a: { c: null } });
    expect(serviceTwinSections(state).properties.reported.$metadata).toEqual({
      $lastUpdated: T2,
      a: { $lastUpdated: T2, b: { $lastUpdated: T1 } },
    });
  });

  it('drops the children metadata of an object replaced by a leaf or an array', () => {
    const state = patched('reported', { a: { b: 1 }, c: { d: 1 } }, { a: 7, c: [1] });
    expect(serviceTwinSections(state).properties.reported.$metadata).toEqual({
      $lastUpdated: T2,
      a: { $lastUpdated: T2 },
      c: { $lastUpdated: T2 },
    });
    expect(state.reported.metadata.children?.a.children).toBeUndefined();
  });

  it('restamps a property written with the value it already had', () => {
    const state = patched('reported', { color: 'Red' }, { color: 'Red' });
    expect(state.reported.metadata.children?.color.lastUpdated).toBe(T2);
  });

  it('is deterministic for a given now', () => {
    const run = () => patched('desired', { a: { b: [1, { c: 2 }] } }, { a: { d: null, e: 'x' } });
    expect(run()).toEqual(run());
  });
});

describe('versions', () => {
  it('bumps the twin version and the section $version by one per patch', () => {
    const one = applyPatch(emptyTwin(), 'reported', { a: 1 }, T1).state;
    const two = applyPatch(one, 'reported', { a: 2 }, T2).state;
    expect([one.version, one.reported.version, one.desired.version]).toEqual([2, 2, 1]);
    expect([two.version, two.reported.version, two.desired.version]).toEqual([3, 3, 1]);
  });

  it('bumps only the twin version for a tags patch', () => {
    const state = applyPatch(emptyTwin(), 'tags', { site: 'A' }, T1).state;
    expect([state.version, state.desired.version, state.reported.version]).toEqual([2, 1, 1]);
  });

  it('counts a patch that changes nothing, and an empty patch, as an update', () => {
    const base = patched('desired', { a: 1 });
    const same = applyPatch(base, 'desired', { a: 1 }, T2);
    const empty = applyPatch(same.state, 'desired', {}, T3);
    expect([same.state.version, same.state.desired.version]).toEqual([base.version + 1, base.desired.version + 1]);
    expect([empty.state.version, empty.state.desired.version]).toEqual([base.version + 2, base.desired.version + 2]);
    expect(empty.state.desired.metadata.lastUpdated).toBe(T3);
  });

  it('bumps the twin version once for an operation touching several sections', () => {
    const state = updateTwin(emptyTwin(), { tags: { t: 1 }, desired: { d: 1 } }, T1).state;
    expect([state.version, state.desired.version, state.reported.version]).toEqual([2, 2, 1]);
    expect(state.tags).toEqual({ t: 1 });
    expect(state.desired.properties).toEqual({ d: 1 });
  });
});

describe('purity and validation on apply', () => {
  it('never mutates the input state or patch', () => {
    const base = patched('desired', { a: { b: 1 }, list: [1] });
    const before = structuredClone(base);
    const patch = { a: { b: null, c: 2 }, list: [2] };
    const result = applyPatch(base, 'desired', patch, T2);
    expect(base).toEqual(before);
    expect(patch).toEqual({ a: { b: null, c: 2 }, list: [2] });
    expect(result.state).not.toBe(base);
    expect(result.state.desired.properties).toEqual({ a: { c: 2 }, list: [2] });
  });

  it('does not alias the patch in the stored state', () => {
    const patch = { a: { list: [1] } };
    const state = applyPatch(emptyTwin(), 'reported', patch, T1).state;
    patch.a.list.push(2);
    expect(state.reported.properties).toEqual({ a: { list: [1] } });
  });

  it('validates the patch itself, so an unvalidated patch cannot corrupt the twin', () => {
    const base = emptyTwin();
    expectIotHubError(() => applyPatch(base, 'reported', { 'bad.key': 1 }, T1), ARGUMENT_INVALID);
    expect(base).toEqual(emptyTwin());
  });

  it('ignores an echoed $version and $metadata in a desired patch', () => {
    const state = applyPatch(emptyTwin(), 'desired', { a: 1, $version: 99, $metadata: {} }, T1).state;
    expect(state.desired.properties).toEqual({ a: 1 });
    expect(state.desired.version).toBe(2);
  });

  it('refuses an operation without any section', () => {
    expectIotHubError(() => updateTwin(emptyTwin(), {}, T1), {
      ...ARGUMENT_INVALID,
      message: 'The twin patch contains neither tags nor properties.',
    });
  });

  it('applies nothing when one section of a multi-section operation is invalid', () => {
    const base = emptyTwin();
    expectIotHubError(() => updateTwin(base, { tags: { ok: 1 }, desired: { 'no way': 1 } }, T1), ARGUMENT_INVALID);
    expect(base).toEqual(emptyTwin());
  });
});

describe('section size limits', () => {
  it('builds test documents of exactly the requested size', () => {
    expect(measureSection(objectOfSize(8192))).toBe(8192);
    expect(measureSection(objectOfSize(32768))).toBe(32768);
  });

  it.each([
    ['tags', 8192, 'Tags'],
    ['desired', 32768, 'Properties.Desired'],
    ['reported', 32768, 'Properties.Reported'],
  ] as const)('%s: accepts exactly %i bytes, rejects one more and applies nothing', (section, limit, label) => {
    const atLimit = applyPatch(emptyTwin(), section, objectOfSize(limit), T1).state;
    const properties = section === 'tags' ? atLimit.tags : atLimit[section].properties;
    expect(measureSection(properties)).toBe(limit);

    const base = applyPatch(emptyTwin(), section, objectOfSize(limit - 10), T1).state;
    const before = structuredClone(base);
    expect(applyPatch(base, section, { extra: 'x'.repeat(5) }, T2).state.version).toBe(base.version + 1); // 5 + 5 = 10 bytes
    expectIotHubError(() => applyPatch(base, section, { extra: 'x'.repeat(6) }, T2), {
      ...SECTION_TOO_LARGE,
      message: `'${label}' size should be less than ${limit} bytes.`,
    });
    expect(base).toEqual(before);
  });

  it('measures the merged result, so deleting makes room in the same patch', () => {
    const base = applyPatch(emptyTwin(), 'tags', objectOfSize(8192), T1).state;
    const result = applyPatch(base, 'tags', { k00: null, fresh: 'y'.repeat(4000) }, T2).state;
    expect(result.tags.fresh).toBe('y'.repeat(4000));
    expect(measureSection(result.tags)).toBeLessThanOrEqual(8192);
  });

  it('checks every section of a multi-section operation and applies none if one is too large', () => {
    const base = emptyTwin();
    expectIotHubError(() => updateTwin(base, { tags: objectOfSize(8193), desired: { ok: 1 } }, T1), SECTION_TOO_LARGE);
    expect(base).toEqual(emptyTwin());
  });

  it('measures as documented: key and string bytes, numbers 8, booleans 4, no control characters, nested content summed', () => {
    expect(measureSection({ ab: 'xyz' })).toBe(5);
    expect(measureSection({ n: 123456789, f: 0.5 })).toBe(18);
    expect(measureSection({ b: true })).toBe(5);
    expect(measureSection({ s: 'a\tb\u0085c\n' })).toBe(4);
    expect(measureSection({ é: '€' })).toBe(5);
    expect(measureSection({ o: { p: 'q', r: {} } })).toBe(4);
    expect(measureSection({ list: [1, 'ab', false, { k: 'v' }] })).toBe(4 + 8 + 2 + 4 + 2);
  });
});

describe('change notifications', () => {
  it('reported: the patch, metadata of the written nodes and the new $version (cf. the routing deep-dive capture)', () => {
    const base = applyPatch(emptyTwin(), 'reported', { propertyUsedOnlyOnce: 'once', color: 'Red' }, T1).state;
    const { notification } = applyPatch(base, 'reported', { color: 'Blue' }, T2);
    expect(notification).toEqual({
      version: 3,
      properties: { reported: { color: 'Blue', $metadata: { $lastUpdated: T2, color: { $lastUpdated: T2 } }, $version: 3 } },
    });
    expect(JSON.stringify(notification)).toBe(
      `{"version":3,"properties":{"reported":{"color":"Blue","$metadata":{"$lastUpdated":"${T2}","color":{"$lastUpdated":"${T2}"}},"$version":3}}}`,
    );
  });

  it('desired and tags in one operation (cf. the non-telemetry event schema example)', () => {
    const { notification } = updateTwin(emptyTwin(), { tags: { tag1: 'new value' }, desired: { property1: 'new value' } }, T1);
    expect(notification).toEqual({
      version: 2,
      tags: { tag1: 'new value' },
      properties: {
        desired: {
          property1: 'new value',
          $metadata: { $lastUpdated: T1, $lastUpdatedVersion: 2, property1: { $lastUpdated: T1, $lastUpdatedVersion: 2 } },
          $version: 2,
        },
      },
    });
  });

  it('tags only: version and the tags patch, no properties', () => {
    expect(applyPatch(emptyTwin(), 'tags', { site: { building: '43' } }, T1).notification).toEqual({
      version: 2,
      tags: { site: { building: '43' } },
    });
  });

  it('lists deleted properties as null, without metadata, and only the nested nodes the patch wrote', () => {
    const base = applyPatch(emptyTwin(), 'reported', { a: { b: 1, c: 2 }, gone: 1 }, T1).state;
    const { notification } = applyPatch(base, 'reported', { a: { b: 3 }, gone: null }, T2);
    expect(notification.properties?.reported).toEqual({
      a: { b: 3 },
      gone: null,
      $metadata: { $lastUpdated: T2, a: { $lastUpdated: T2, b: { $lastUpdated: T2 } } },
      $version: 3,
    });
  });

  it('does not share objects with the patch or the state', () => {
    const patch = { a: { b: 1 } };
    const result = applyPatch(emptyTwin(), 'desired', patch, T1);
    (result.notification.properties?.desired?.a as JsonObject).b = 99;
    expect(patch.a.b).toBe(1);
    expect(result.state.desired.properties).toEqual({ a: { b: 1 } });
  });

  it('returns the device-bound desired patch (nulls kept, echoed $version dropped) only when desired changed', () => {
    const base = applyPatch(emptyTwin(), 'desired', { a: 1, b: 2 }, T1).state;
    const result = applyPatch(base, 'desired', { a: null, c: { d: 1 }, $version: 1 }, T2);
    expect(result.desiredPatch).toEqual({ a: null, c: { d: 1 }, $version: 3 });
    expect(applyPatch(base, 'reported', { r: 1 }, T2).desiredPatch).toBeUndefined();
    expect(applyPatch(base, 'tags', { t: 1 }, T2).desiredPatch).toBeUndefined();
  });
});

describe('replaceTwin', () => {
  const base = updateTwin(
    applyPatch(emptyTwin(), 'reported', { battery: 55 }, T1).state,
    { tags: { old: 1, site: { floor: 1 } }, desired: { old: 1, cfg: { rate: 1 } } },
    T2,
  ).state;

  it('replaces tags and desired wholesale and keeps reported', () => {
    const { state } = replaceTwin(base, { tags: { site: { building: '43' } }, desired: { cfg: { mode: 'eco' } } }, T3, 'devA');
    expect(state.tags).toEqual({ site: { building: '43' } });
    expect(state.desired.properties).toEqual({ cfg: { mode: 'eco' } });
    expect(state.reported).toBe(base.reported);
    expect([state.version, state.desired.version]).toEqual([base.version + 1, base.desired.version + 1]);
  });

  it('restamps every desired node with the new $version', () => {
    const { state } = replaceTwin(base, { desired: { cfg: { mode: 'eco' } } }, T3, 'devA');
    const v = base.desired.version + 1;
    expect(serviceTwinSections(state).properties.desired.$metadata).toEqual({
      $lastUpdated: T3,
      $lastUpdatedVersion: v,
      cfg: { $lastUpdated: T3, $lastUpdatedVersion: v, mode: { $lastUpdated: T3, $lastUpdatedVersion: v } },
    });
  });

  it('keeps a section the replacement leaves out, and does not bump desired for a tags-only replacement', () => {
    const { state, desiredPatch } = replaceTwin(base, { tags: {} }, T3, 'devA');
    expect(state.tags).toEqual({});
    expect(state.desired).toBe(base.desired);
    expect(desiredPatch).toBeUndefined();
  });

  it('notifies with the whole twin: deviceId, etag, version, tags and both property sections', () => {
    const { state, notification } = replaceTwin(base, { tags: { t: 1 }, desired: { d: { e: null, f: 1 } } }, T3, 'devA');
    expect(notification).toEqual({ deviceId: 'devA', etag: 'AAAAAAAAAAQ=', version: 4, ...serviceTwinSections(state) });
    expect(notification.properties.reported).toEqual({
      battery: 55,
      $metadata: { $lastUpdated: T1, battery: { $lastUpdated: T1 } },
      $version: 2,
    });
    expect(notification.properties.desired).toMatchObject({ d: { f: 1 }, $version: 3 });
  });

  it('sends the device the whole new desired document', () => {
    expect(replaceTwin(base, { desired: { only: true } }, T3, 'devA').desiredPatch).toEqual({
      only: true,
      $version: base.desired.version + 1,
    });
  });

  it('validates and size-checks the replacement, applying nothing on failure', () => {
    const before = structuredClone(base);
    expectIotHubError(() => replaceTwin(base, { tags: { ok: 1 }, desired: { bad$: 1 } }, T3, 'devA'), ARGUMENT_INVALID);
    expectIotHubError(() => replaceTwin(base, { desired: objectOfSize(32769) }, T3, 'devA'), SECTION_TOO_LARGE);
    expectIotHubError(() => replaceTwin(base, {}, T3, 'devA'), {
      ...ARGUMENT_INVALID,
      message: 'The twin replacement contains neither tags nor properties.desired.',
    });
    expect(base).toEqual(before);
  });
});
