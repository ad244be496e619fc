import fc from 'fast-check';
import {
  MAX_INSTANCE_ID_LENGTH,
  batchInstanceId,
  deviceInstanceId,
  parseDeviceInstanceId,
  rolloutInstanceId,
  waveInstanceId,
} from '../../../functions/src/rollout';
import { deviceIdArb, rolloutIdArb } from './fixtures';

// Durable Functions: no / \ # ? or control characters, not starting with @.
const VALID_DURABLE_ID = /^(?!@)[^/\\#?\u0000-\u001F\u007F-\u009F]+$/;

type IdInput =
  | { kind: 'rollout'; rolloutId: string }
  | { kind: 'wave'; rolloutId: string; wave: number; attempt: number }
  | { kind: 'batch'; rolloutId: string; wave: number; batch: number; episode: number }
  | { kind: 'device'; rolloutId: string; deviceId: string };

// Small alphabets so that distinct inputs often look alike and collisions would show up.
const shortRolloutId = fc.constantFrom('r', 'r1', 'r-1', 'R.1', 'w0', 'd', '0_');
const shortDeviceId = fc.string({ unit: fc.constantFrom('w', 'd', 'b', '0', ':', '#', '?', '%'), minLength: 1, maxLength: 4 });
const index = fc.integer({ min: 0, max: 12 });
const idInputArb: fc.Arbitrary<IdInput> = fc.oneof(
  fc.record({ kind: fc.constant('rollout' as const), rolloutId: fc.oneof(shortRolloutId, rolloutIdArb) }),
  fc.record({ kind: fc.constant('wave' as const), rolloutId: shortRolloutId, wave: index, attempt: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('batch' as const), rolloutId: shortRolloutId, wave: index, batch: index, episode: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('device' as const), rolloutId: shortRolloutId, deviceId: fc.oneof(shortDeviceId, deviceIdArb) }),
);

function idOf(input: IdInput): string {
  switch (input.kind) {
    case 'rollout':
      return rolloutInstanceId(input.rolloutId);
    case 'wave':
      return waveInstanceId(input.rolloutId, input.wave, input.attempt);
    case 'batch':
      return batchInstanceId(input.rolloutId, input.wave, input.batch, input.episode);
    case 'device':
      return deviceInstanceId(input.rolloutId, input.deviceId);
  }
}

describe('instance ids', () => {
  test('the scheme, by example', () => {
    expect(rolloutInstanceId('fw-2.1')).toBe('fw-2.1');
    expect(waveInstanceId('fw-2.1', 0)).toBe('fw-2.1:w0');
    expect(waveInstanceId('fw-2.1', 0, 0)).toBe('fw-2.1:w0');
    expect(waveInstanceId('fw-2.1', 2, 1)).toBe('fw-2.1:w2:a1');
    expect(batchInstanceId('fw-2.1', 3, 17)).toBe('fw-2.1:w3:b17');
    expect(batchInstanceId('fw-2.1', 3, 17, 0)).toBe('fw-2.1:w3:b17');
    expect(batchInstanceId('fw-2.1', 3, 17, 2)).toBe('fw-2.1:w3:b17:e2');
    expect(deviceInstanceId('fw-2.1', 'thermo#7?x')).toBe('fw-2.1:d:thermo~7^x');
    expect(deviceInstanceId('fw-2.1', "a:b%c@d'e")).toBe("fw-2.1:d:a:b%c@d'e");
  });

  test('injective: distinct inputs give distinct ids, across all kinds', () => {
    fc.assert(
      fc.property(fc.uniqueArray(idInputArb, { minLength: 2, maxLength: 80, selector: (input) => JSON.stringify(input) }), (inputs) => {
        const ids = inputs.map(idOf);
        expect(new Set(ids).size).toBe(inputs.length);
      }),
      { numRuns: 500 },
    );
  });

  test('only characters durable ids allow, and bounded length', () => {
    fc.assert(
      fc.property(idInputArb, (input) => {
        const id = idOf(input);
        expect(id).toMatch(VALID_DURABLE_ID);
        expect(id.length).toBeLessThanOrEqual(MAX_INSTANCE_ID_LENGTH);
        if (input.kind !== 'device') expect(id.length).toBeLessThanOrEqual(100);
      }),
      { numRuns: 1000 },
    );
    expect(deviceInstanceId('r'.repeat(64), '#'.repeat(128))).toHaveLength(MAX_INSTANCE_ID_LENGTH);
    expect(batchInstanceId('r'.repeat(64), 19, 99_999, 9_999).length).toBeLessThanOrEqual(100);
    expect(waveInstanceId('r'.repeat(64), 19, 9_999).length).toBeLessThanOrEqual(100);
  });

  test('device ids stay within 100 characters when rolloutId + deviceId ≤ 97', () => {
    fc.assert(
      fc.property(rolloutIdArb, deviceIdArb, (rolloutId, deviceId) => {
        const length = deviceInstanceId(rolloutId, deviceId).length;
        expect(length).toBe(3 + rolloutId.length + deviceId.length);
        if (rolloutId.length + deviceId.length <= 97) expect(length).toBeLessThanOrEqual(100);
      }),
    );
  });

  test('reversible for devices, from (rolloutId, deviceId) alone', () => {
    fc.assert(
      fc.property(rolloutIdArb, deviceIdArb, (rolloutId, deviceId) => {
        const id = deviceInstanceId(rolloutId, deviceId);
        expect(parseDeviceInstanceId(id)).toEqual({ rolloutId, deviceId });
        expect(deviceInstanceId(rolloutId, deviceId)).toBe(id);
      }),
      { numRuns: 1000 },
    );
  });

  test('parse accepts exactly the ids the scheme makes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const parsed = parseDeviceInstanceId(text);
        if (parsed !== null) expect(deviceInstanceId(parsed.rolloutId, parsed.deviceId)).toBe(text);
      }),
      { numRuns: 1000 },
    );
    for (const other of ['fw', 'fw:w0', 'fw:w0:b1', 'fw:d:', 'fw:d:a#b', 'fw:d:a/b', ':d:x', '@fw:d:x', 'fw:x:d:y']) {
      expect(parseDeviceInstanceId(other)).toBeNull();
    }
    expect(parseDeviceInstanceId('fw:d:x:d:y')).toEqual({ rolloutId: 'fw', deviceId: 'x:d:y' });
  });

  test('refuses inputs outside the id rules', () => {
    expect(() => rolloutInstanceId('a:b')).toThrow(RangeError);
    expect(() => rolloutInstanceId('@a')).toThrow(RangeError);
    expect(() => waveInstanceId('a', -1)).toThrow(RangeError);
    expect(() => waveInstanceId('a', 0, 0.5)).toThrow(RangeError);
    expect(() => batchInstanceId('a', 0, 1.5)).toThrow(RangeError);
    expect(() => batchInstanceId('a', 0, 1, -1)).toThrow(RangeError);
    expect(() => deviceInstanceId('a', 'has/slash')).toThrow(RangeError);
    expect(() => deviceInstanceId('a', 'tilde~')).toThrow(RangeError);
    expect(() => deviceInstanceId('a', '')).toThrow(RangeError);
  });
});
