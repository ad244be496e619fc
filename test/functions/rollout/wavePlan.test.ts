import fc from 'fast-check';
import {
  MAX_BATCHES_PER_WAVE_EPISODE,
  MAX_BATCH_SIZE,
  MAX_CHILDREN_PER_HISTORY,
  MAX_WAVES,
  batchesOf,
  historyBound,
  planWaves,
  waveFanOut,
} from '../../../functions/src/rollout';
import type { WaveSpec } from '../../../functions/src/rollout';
import { wavePercentsArb } from './fixtures';

const devices = (n: number) => Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(6, '0')}`);
const waves = (...percents: number[]): WaveSpec[] => percents.map((percent, i) => ({ name: `w${i}`, percent }));
const sizes = (targets: readonly string[], spec: WaveSpec[]) => planWaves(targets, spec).map((w) => w.deviceIds.length);

describe('planWaves', () => {
  test.each([
    [100, [1, 10, 100], [1, 9, 90]],
    [15, [10, 100], [1, 14]],
    [5, [10, 100], [0, 5]],
    [0, [10, 50, 100], [0, 0, 0]],
    [1, [50, 100], [0, 1]],
    [1, [100], [1]],
    [3, [33.33, 66.67, 100], [0, 2, 1]],
    [100, [29, 58, 100], [29, 29, 42]],
    [1000, [0.1, 14.3, 100], [1, 142, 857]],
    [10_000, [0.01, 99.99, 100], [1, 9998, 1]],
    [7, [99.99, 100], [6, 1]],
  ])('%i devices in waves %j → sizes %j', (n, percents, expected) => {
    expect(sizes(devices(n), waves(...percents))).toEqual(expected);
  });

  test('sorts by device id in code-unit order, de-duplicates, and keeps names and percents', () => {
    const plan = planWaves(['b', 'a', 'B', 'a#1', 'b', '_', 'A'], [
      { name: 'canary', percent: 50 },
      { name: 'rest', percent: 100 },
    ]);
    expect(plan).toEqual([
      { index: 0, name: 'canary', percent: 50, deviceIds: ['A', 'B', '_'] },
      { index: 1, name: 'rest', percent: 100, deviceIds: ['a', 'a#1', 'b'] },
    ]);
  });

  test('is independent of the order targets arrive in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 200 }), wavePercentsArb, (ids, percents) => {
        const spec = waves(...percents);
        expect(planWaves([...ids].reverse(), spec)).toEqual(planWaves(ids, spec));
      }),
    );
  });

  test('every device in exactly one wave, sorted order preserved, sizes by the percent rule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), wavePercentsArb, (n, percents) => {
        const targets = devices(n).reverse();
        const plan = planWaves(targets, waves(...percents));
        expect(plan.map((w) => w.index)).toEqual(percents.map((_, i) => i));
        expect(plan.flatMap((w) => w.deviceIds)).toEqual([...targets].sort());
        // Cumulative end of wave k is floor(percent_k * N / 100), in exact integer arithmetic.
        let end = 0;
        plan.forEach((wave, k) => {
          const bp = Math.round(percents[k] * 100);
          const expectedEnd = k === plan.length - 1 ? n : Math.floor((bp * n) / 10_000);
          expect(wave.deviceIds.length).toBe(expectedEnd - end);
          end = expectedEnd;
        });
      }),
      { numRuns: 300 },
    );
  });

  test('refuses a plan without waves', () => {
    expect(() => planWaves(['a'], [])).toThrow(RangeError);
  });
});

describe('batchesOf', () => {
  test.each([
    [0, 3, []],
    [1, 3, [1]],
    [3, 3, [3]],
    [7, 3, [3, 3, 1]],
    [10, 1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    [5, 100, [5]],
  ])('%i items in batches of %i → sizes %j', (n, size, expected) => {
    expect(batchesOf(devices(n), size).map((b) => b.length)).toEqual(expected);
  });

  test('concatenation gives the items back; every batch but the last is full', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 500 }), fc.integer({ min: 1, max: 120 }), (items, size) => {
        const batches = batchesOf(items, size);
        expect(batches.flat()).toEqual(items);
        expect(batches.length).toBe(Math.ceil(items.length / size));
        batches.slice(0, -1).forEach((batch) => expect(batch.length).toBe(size));
        batches.forEach((batch) => expect(batch.length).toBeGreaterThan(0));
      }),
    );
  });

  test.each([0, -1, 1.5, Number.NaN])('refuses batch size %p', (size) => {
    expect(() => batchesOf([1, 2], size)).toThrow(RangeError);
  });
});

describe('fan-out and history bounds', () => {
  test.each([
    // waveSize, maxConcurrency → batchSize, batchesInFlight, batchCount, episodes
    [10, 1, 1, 1, 10, 1],
    [100, 10, 1, 10, 100, 2],
    [100_000, 50, 5, 10, 20_000, 400],
    [100_000, 1000, 100, 10, 1000, 20],
    [95, 15, 2, 7, 48, 1],
    [0, 50, 5, 10, 0, 1],
  ])('%i devices at concurrency %i: batches of %i, %i in flight, %i batches, %i episodes', (size, concurrency, batchSize, inFlight, batchCount, episodes) => {
    expect(waveFanOut(size, concurrency)).toEqual({ batchSize, batchesInFlight: inFlight, batchCount, episodes });
  });

  test('never more than maxConcurrency devices in flight, never more than the bounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 1000 }), (size, concurrency) => {
        const shape = waveFanOut(size, concurrency);
        expect(shape.batchSize * shape.batchesInFlight).toBeLessThanOrEqual(concurrency);
        expect(shape.batchSize).toBeLessThanOrEqual(MAX_BATCH_SIZE);
        expect(shape.batchesInFlight).toBeGreaterThanOrEqual(1);
        expect(shape.batchesInFlight).toBeLessThanOrEqual(MAX_BATCHES_PER_WAVE_EPISODE);
        expect(shape.batchCount * shape.batchSize).toBeGreaterThanOrEqual(size);
        expect(shape.episodes * MAX_BATCHES_PER_WAVE_EPISODE).toBeGreaterThanOrEqual(shape.batchCount);
        // At least half the concurrency is used once the wave is big enough.
        if (size >= concurrency) expect(shape.batchSize * shape.batchesInFlight * 2).toBeGreaterThanOrEqual(concurrency);
      }),
    );
  });

  test('a 100,000-device rollout keeps every history within 100 sub-orchestrations', () => {
    const fleet = devices(100_000);
    for (const concurrency of [1, 50, 1000]) {
      for (const spec of [waves(100), waves(0.01, 1, 10, 50, 100), waves(...Array.from({ length: 20 }, (_, i) => (i + 1) * 5))]) {
        const plan = planWaves(fleet, spec);
        const bound = historyBound(plan, concurrency);
        expect(bound.rolloutChildren).toBeLessThanOrEqual(MAX_WAVES);
        expect(bound.waveEpisodeChildren).toBeLessThanOrEqual(MAX_BATCHES_PER_WAVE_EPISODE);
        expect(bound.batchChildren).toBeLessThanOrEqual(MAX_BATCH_SIZE);
        expect(Math.max(bound.rolloutChildren, bound.waveEpisodeChildren, bound.batchChildren)).toBeLessThanOrEqual(MAX_CHILDREN_PER_HISTORY);
      }
    }
    expect(MAX_CHILDREN_PER_HISTORY).toBe(100);
    expect(historyBound(planWaves(fleet, waves(100)), 1000)).toEqual({
      rolloutChildren: 1,
      waveEpisodeChildren: 50,
      batchChildren: 100,
      waveEpisodes: 20,
    });
    expect(historyBound(planWaves(fleet, waves(1, 100)), 50)).toEqual({
      rolloutChildren: 2,
      waveEpisodeChildren: 50,
      batchChildren: 5,
      waveEpisodes: Math.ceil(99_000 / 5 / 50),
    });
  });

  test('the bound does not grow with the fleet', () => {
    const small = historyBound(planWaves(devices(5_000), waves(10, 100)), 100);
    const large = historyBound(planWaves(devices(100_000), waves(10, 100)), 100);
    expect(large.waveEpisodeChildren).toBe(small.waveEpisodeChildren);
    expect(large.batchChildren).toBe(small.batchChildren);
    expect(large.waveEpisodes).toBeGreaterThan(small.waveEpisodes);
  });

  test('tiny waves have tiny histories', () => {
    expect(historyBound(planWaves(devices(3), waves(10, 100)), 50)).toEqual({
      rolloutChildren: 2,
      waveEpisodeChildren: 1,
      batchChildren: 3,
      waveEpisodes: 1,
    });
  });
});
