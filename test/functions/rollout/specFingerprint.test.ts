import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { parseRolloutSpec, specFingerprint } from '../../../functions/src/rollout';
import type { RolloutSpec } from '../../../functions/src/rollout';
import { SHA256, bodyWith, validBody, validRequestArb } from './fixtures';

function spec(body: unknown): RolloutSpec {
  const result = parseRolloutSpec(body);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
}

const fingerprint = (body: unknown) => specFingerprint(spec(body));

describe('specFingerprint', () => {
  test('an omitted default equals its explicit value', () => {
    const explicit = bodyWith((b) => {
      b.waves = [{ name: 'wave-1', percent: 100 }];
      b.maxConcurrency = 50;
      b.failureThreshold = { percent: 10, minDevices: 5, action: 'pause' };
      b.approval = 'auto';
      b.soakSeconds = 0;
      b.deviceTimeouts = { methodSeconds: 30, offlineRetryMinutes: 60, downloadMinutes: 30, applyMinutes: 15 };
    });
    expect(fingerprint(explicit)).toBe(fingerprint(validBody()));
    expect(fingerprint(bodyWith((b) => (b.waves = [{ percent: 100 }])))).toBe(fingerprint(validBody()));
    expect(fingerprint(bodyWith((b) => (b.failureThreshold = { percent: 10 })))).toBe(fingerprint(validBody()));
  });

  test('key order, sha256 case, query whitespace, device id order and rolloutId do not matter', () => {
    const reordered = {
      target: { query: "  tags.model = 'thermo-x'" },
      firmware: { size: 1_048_576, sha256: SHA256.toUpperCase(), uri: 'https://fw.example.com/thermo-x/2.1.0.bin', version: '2.1.0' },
      rolloutId: 'another-id',
    };
    expect(fingerprint(reordered)).toBe(fingerprint(validBody()));
    expect(fingerprint(bodyWith((b) => (b.target = { deviceIds: ['c', 'a#1', 'b'] })))).toBe(
      fingerprint(bodyWith((b) => (b.target = { deviceIds: ['b', 'c', 'a#1'] }))),
    );
  });

  test('specs with the approval strings keep the hashes they had before the object form (re-POSTs still match)', () => {
    const sha256 = (body: unknown) => createHash('sha256').update(fingerprint(body)).digest('hex');
    const twoWaves = (approval?: unknown) =>
      bodyWith((b) => {
        b.waves = [{ percent: 50 }, { percent: 100 }];
        if (approval !== undefined) b.approval = approval;
      });
    // Computed with the parser and fingerprint as they were before approval had an object form.
    const AUTO = 'fea517a2ffedcc0c56ffdd1afab0d0fee729b8d22707f9d6e3208889f0eb8e26';
    const MANUAL = 'c033b4334da0d7bf78bd3722e70687fa41ddb658884cc09ac82a201b034d640f';
    expect(sha256(twoWaves())).toBe(AUTO);
    expect(sha256(twoWaves('auto'))).toBe(AUTO);
    expect(sha256(twoWaves({ mode: 'auto' }))).toBe(AUTO);
    expect(sha256(twoWaves('manual'))).toBe(MANUAL);
    expect(sha256(twoWaves({ mode: 'manual' }))).toBe(MANUAL);
    const timed = { mode: 'manual', timeoutMinutes: 60, onTimeout: 'approve' };
    expect(fingerprint(twoWaves(timed))).toContain('"approval":{"mode":"manual","onTimeout":"approve","timeoutMinutes":60}');
    expect(fingerprint(twoWaves({ onTimeout: 'approve', timeoutMinutes: 60, mode: 'manual' }))).toBe(fingerprint(twoWaves(timed)));
  });

  test('is a canonical JSON text', () => {
    const text = fingerprint(validBody());
    // An approval without a timeout is written as its mode, as before the object form existed.
    expect(JSON.parse(text)).toEqual({ ...spec(validBody()), approval: 'auto' });
    expect(text.startsWith('{"approval":"auto","deviceTimeouts":{"applyMinutes":15,')).toBe(true);
  });

  const changes: ReadonlyArray<readonly [string, (b: ReturnType<typeof validBody>) => void]> = [
    ['firmware.version', (b) => (b.firmware.version = '2.1.1')],
    ['firmware.uri', (b) => (b.firmware.uri = 'https://fw.example.com/thermo-x/2.1.0.bin?v=2')],
    ['firmware.sha256', (b) => (b.firmware.sha256 = `${SHA256.slice(0, 63)}0`)],
    ['firmware.size', (b) => (b.firmware.size = 1_048_577)],
    ['target.query', (b) => (b.target.query = "tags.model = 'thermo-y'")],
    ['target kind', (b) => (b.target = { deviceIds: ['thermo-x'] })],
    ['waves percent', (b) => (b.waves = [{ percent: 10 }, { percent: 100 }])],
    ['waves name', (b) => (b.waves = [{ name: 'all', percent: 100 }])],
    ['maxConcurrency', (b) => (b.maxConcurrency = 51)],
    ['failureThreshold.percent', (b) => (b.failureThreshold = { percent: 10.01 })],
    ['failureThreshold.minDevices', (b) => (b.failureThreshold = { percent: 10, minDevices: 6 })],
    ['failureThreshold.action', (b) => (b.failureThreshold = { percent: 10, action: 'abort' })],
    ['approval', (b) => (b.approval = 'manual')],
    ['approval.timeoutMinutes', (b) => (b.approval = { mode: 'manual', timeoutMinutes: 60, onTimeout: 'cancel' })],
    ['approval.onTimeout', (b) => (b.approval = { mode: 'manual', timeoutMinutes: 60, onTimeout: 'pause' })],
    ['soakSeconds', (b) => (b.soakSeconds = 1)],
    ['deviceTimeouts.methodSeconds', (b) => (b.deviceTimeouts = { methodSeconds: 31 })],
    ['deviceTimeouts.offlineRetryMinutes', (b) => (b.deviceTimeouts = { offlineRetryMinutes: 61 })],
    ['deviceTimeouts.downloadMinutes', (b) => (b.deviceTimeouts = { downloadMinutes: 29.5 })],
    ['deviceTimeouts.applyMinutes', (b) => (b.deviceTimeouts = { applyMinutes: 16 })],
  ];

  test.each(changes)('changes with %s', (_field, change) => {
    expect(fingerprint(bodyWith(change))).not.toBe(fingerprint(validBody()));
  });

  test('every change in the table gives a distinct fingerprint', () => {
    const all = changes.map(([, change]) => fingerprint(bodyWith(change)));
    expect(new Set([...all, fingerprint(validBody())]).size).toBe(changes.length + 1);
  });

  test('a device list differing by one id differs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 30 }), (numbers) => {
        const ids = numbers.map((n) => `d${n}`);
        const full = fingerprint(bodyWith((b) => (b.target = { deviceIds: ids })));
        expect(fingerprint(bodyWith((b) => (b.target = { deviceIds: ids.slice(1) })))).not.toBe(full);
        expect(fingerprint(bodyWith((b) => (b.target = { deviceIds: [...ids].reverse() })))).toBe(full);
      }),
      { numRuns: 100 },
    );
  });

  test('fingerprints are equal exactly when the specs are (apart from rolloutId and device order)', () => {
    const content = (s: RolloutSpec) => {
      const { rolloutId: _id, ...rest } = s;
      return 'deviceIds' in rest.target ? { ...rest, target: { deviceIds: [...rest.target.deviceIds].sort() } } : rest;
    };
    fc.assert(
      fc.property(validRequestArb, validRequestArb, fc.boolean(), (a, b, reuse) => {
        // Half the time the second body is the first with every object's keys in reverse order.
        const [specA, specB] = [spec(a), spec(reuse ? reverseKeys(a) : b)];
        expect(specFingerprint(specA) === specFingerprint(specB)).toBe(isDeepStrictEqual(content(specA), content(specB)));
        if (reuse) expect(specFingerprint(specB)).toBe(specFingerprint(specA));
      }),
      { numRuns: 300 },
    );
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reverseKeys(item)]),
  );
}
