import fc from 'fast-check';
import { TRACKER_PATTERN } from '../../../contracts/firmwareUpdate';
import { batchInstanceId, parseBatchInstanceId, rolloutInstanceId, waveInstanceId } from '../../../functions/src/rollout';
import { rolloutIdArb } from './fixtures';

// Durable Functions: no / \ # ? or control characters, not starting with @.
const VALID_DURABLE_ID = /^(?!@)[^/\\#?\u0000-\u001F\u007F-\u009F]+$/;

type IdInput =
  | { kind: 'rollout'; rolloutId: string }
  | { kind: 'wave'; rolloutId: string; wave: number; attempt: number }
  | { kind: 'batch'; rolloutId: string; wave: number; batch: number; episode: number };

// Small alphabets so that distinct inputs often look alike and collisions would show up.
const shortRolloutId = fc.constantFrom('r', 'r1', 'r-1', 'R.1', 'w0', 'b1', 'e2', '0_');
const index = fc.integer({ min: 0, max: 12 });
const idInputArb: fc.Arbitrary<IdInput> = fc.oneof(
  fc.record({ kind: fc.constant('rollout' as const), rolloutId: fc.oneof(shortRolloutId, rolloutIdArb) }),
  fc.record({ kind: fc.constant('wave' as const), rolloutId: shortRolloutId, wave: index, attempt: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    kind: fc.constant('batch' as const),
    rolloutId: shortRolloutId,
    wave: index,
    batch: index,
    episode: fc.integer({ min: 0, max: 3 }),
  }),
);

function idOf(input: IdInput): string {
  switch (input.kind) {
    case 'rollout':
      return rolloutInstanceId(input.rolloutId);
    case 'wave':
      return waveInstanceId(input.rolloutId, input.wave, input.attempt);
    case 'batch':
      return batchInstanceId(input.rolloutId, input.wave, input.batch, input.episode);
  }
}

const batchArb = fc.record({
  rolloutId: fc.oneof(shortRolloutId, rolloutIdArb),
  wave: fc.oneof(index, fc.nat()),
  batch: fc.oneof(index, fc.nat()),
  episode: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.nat()),
});

describe('instance ids', () => {
  test('the scheme, by example', () => {
    expect(rolloutInstanceId('fw-2.1')).toBe('fw-2.1');
    expect(waveInstanceId('fw-2.1', 0)).toBe('fw-2.1:w0');
    expect(waveInstanceId('fw-2.1', 0, 0)).toBe('fw-2.1:w0');
    expect(waveInstanceId('fw-2.1', 2, 1)).toBe('fw-2.1:w2:a1');
    expect(batchInstanceId('fw-2.1', 3, 17)).toBe('fw-2.1:w3:b17');
    expect(batchInstanceId('fw-2.1', 3, 17, 0)).toBe('fw-2.1:w3:b17');
    expect(batchInstanceId('fw-2.1', 3, 17, 2)).toBe('fw-2.1:w3:b17:e2');
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

  test('only characters durable ids allow, and at most 100 of them', () => {
    fc.assert(
      fc.property(idInputArb, (input) => {
        const id = idOf(input);
        expect(id).toMatch(VALID_DURABLE_ID);
        expect(id.length).toBeLessThanOrEqual(100);
      }),
      { numRuns: 1000 },
    );
    expect(batchInstanceId('r'.repeat(64), 19, 99_999, 9_999).length).toBeLessThanOrEqual(100);
    expect(waveInstanceId('r'.repeat(64), 19, 9_999).length).toBeLessThanOrEqual(100);
  });

  test('refuses inputs outside the id rules', () => {
    expect(() => rolloutInstanceId('a:b')).toThrow(RangeError);
    expect(() => rolloutInstanceId('@a')).toThrow(RangeError);
    expect(() => waveInstanceId('a', -1)).toThrow(RangeError);
    expect(() => waveInstanceId('a', 0, 0.5)).toThrow(RangeError);
    expect(() => batchInstanceId('a', 0, 1.5)).toThrow(RangeError);
    expect(() => batchInstanceId('a', 0, 1, -1)).toThrow(RangeError);
    expect(() => batchInstanceId('a', 0, Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });
});

describe('parseBatchInstanceId', () => {
  test('reads back every batch id, episode included, and each id is a tracker key a device accepts', () => {
    expect(parseBatchInstanceId('fw-2.1:w3:b17')).toEqual({ rolloutId: 'fw-2.1', wave: 3, batch: 17, episode: 0 });
    expect(parseBatchInstanceId('fw-2.1:w3:b17:e2')).toEqual({ rolloutId: 'fw-2.1', wave: 3, batch: 17, episode: 2 });
    fc.assert(
      fc.property(batchArb, (input) => {
        const id = batchInstanceId(input.rolloutId, input.wave, input.batch, input.episode);
        expect(parseBatchInstanceId(id)).toEqual(input);
        expect(id).toMatch(TRACKER_PATTERN);
      }),
      { numRuns: 1000 },
    );
  });

  test.each([
    ['a rollout id', 'fw'],
    ['a wave id', 'fw:w0'],
    ['a wave attempt id', 'fw:w0:a1'],
    ['a batch of a wave attempt (batch ids never name the attempt)', 'fw:w0:a1:b2'],
    ['episode 0 spelled out', 'fw:w0:b1:e0'],
    ['a device-like id', 'fw:d:thermo-7'],
    ['a device-like id under a batch', 'fw:w0:b1:d:thermo-7'],
    ['an old device instance id', 'fw:d:w0:b1'],
    ['a leading zero in the wave', 'fw:w01:b1'],
    ['a leading zero in the batch', 'fw:w0:b01'],
    ['a leading zero in the episode', 'fw:w0:b1:e01'],
    ['a sign', 'fw:w-1:b1'],
    ['a fraction', 'fw:w0:b1.5'],
    ['an index beyond safe integers', 'fw:w0:b9007199254740993'],
    ['upper-case markers', 'fw:W0:B1'],
    ['a trailing newline', 'fw:w0:b1\n'],
    ['a leading space', ' fw:w0:b1'],
    ['something after the episode', 'fw:w0:b1:e1:e1'],
    ['an empty rollout id', ':w0:b1'],
    ['a rollout id starting with @', '@fw:w0:b1'],
    ['a rollout id starting with .', '.fw:w0:b1'],
    ['a rollout id of 65 characters', `${'r'.repeat(65)}:w0:b1`],
    ['a rollout id with a forbidden character', 'f#w:w0:b1'],
    ['the empty string', ''],
  ])('refuses %s: %j', (_what, id) => {
    expect(parseBatchInstanceId(id)).toBeNull();
  });

  test('accepts exactly the ids batchInstanceId makes (ids changed by one character)', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('insert', 'delete', 'replace'),
      char: fc.constantFrom(...'0179:webad-.#@'),
    });
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(batchArb, edit, (input, { at, kind, char }) => {
        const id = batchInstanceId(input.rolloutId, input.wave, input.batch, input.episode);
        const i = at % (id.length + 1);
        const [head, tail] = [id.slice(0, i), id.slice(kind === 'insert' ? i : i + 1)];
        const text = kind === 'delete' ? head + tail : head + char + tail;
        const parsed = parseBatchInstanceId(text);
        if (parsed === null) refused += 1;
        else {
          accepted += 1;
          expect(batchInstanceId(parsed.rolloutId, parsed.wave, parsed.batch, parsed.episode)).toBe(text);
        }
      }),
      { numRuns: 2000 },
    );
    // Both sides were exercised: many one-character edits still make a batch id, many do not.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});
