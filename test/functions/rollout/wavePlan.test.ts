import fc from 'fast-check';
import {
  MAX_BATCHES_PER_WAVE_EPISODE,
  MAX_BATCH_DEVICES,
  MAX_CHILDREN_PER_HISTORY,
  MAX_WAVES,
  historyBound,
  planWaves,
  waveFanOut,
} from '../../../functions/src/rollout';
import type { PlannedWave, WaveSpec } from '../../../functions/src/rollout';
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
    const plan = planWaves(
      ['b', 'a', 'B', 'a#1', 'b', '_', 'A'],
      [
        { name: 'canary', percent: 50 },
        { name: 'rest', percent: 100 },
      ],
    );
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

describe('fan-out and history bounds', () => {
  /** A plan with waves of these sizes, without planning a fleet that big. */
  const planOf = (...waveSizes: number[]): PlannedWave[] =>
    waveSizes.map((n, index) => ({ index, name: `w${index}`, percent: 100, deviceIds: devices(n) }));

  test.each([
    // waveSize → batchCount, episodes
    [0, 0, 1],
    [1, 1, 1],
    [MAX_BATCH_DEVICES, 1, 1],
    [MAX_BATCH_DEVICES + 1, 2, 1],
    [100_000, 20, 1],
    [MAX_BATCH_DEVICES * MAX_BATCHES_PER_WAVE_EPISODE, 50, 1],
    [MAX_BATCH_DEVICES * MAX_BATCHES_PER_WAVE_EPISODE + 1, 51, 2],
    [1_000_000, 200, 4],
  ])('%i devices: %i batches in %i wave episodes', (size, batchCount, episodes) => {
    expect(waveFanOut(size)).toEqual({ batchCount, episodes });
  });

  test('batches of MAX_BATCH_DEVICES cover the wave with none to spare, in as few episodes as the per-episode cap allows', () => {
    expect(MAX_BATCH_DEVICES).toBe(5_000);
    expect(MAX_BATCHES_PER_WAVE_EPISODE).toBe(50);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), (size) => {
        const { batchCount, episodes } = waveFanOut(size);
        expect(batchCount * MAX_BATCH_DEVICES).toBeGreaterThanOrEqual(size);
        expect((batchCount - 1) * MAX_BATCH_DEVICES).toBeLessThan(Math.max(size, 1));
        expect(episodes).toBeGreaterThanOrEqual(1);
        expect(episodes * MAX_BATCHES_PER_WAVE_EPISODE).toBeGreaterThanOrEqual(batchCount);
        expect((episodes - 1) * MAX_BATCHES_PER_WAVE_EPISODE).toBeLessThan(Math.max(batchCount, 1));
      }),
    );
  });

  test('a 100,000-device rollout keeps every history within 50 sub-orchestrations, in one wave episode', () => {
    const fleet = devices(100_000);
    const most = waves(...Array.from({ length: MAX_WAVES }, (_, i) => ((i + 1) * 100) / MAX_WAVES));
    for (const spec of [waves(100), waves(0.01, 1, 10, 50, 100), most]) {
      const bound = historyBound(planWaves(fleet, spec));
      expect(bound.rolloutChildren).toBe(spec.length);
      expect(bound.rolloutChildren).toBeLessThanOrEqual(MAX_WAVES);
      expect(bound.waveEpisodeChildren).toBeLessThanOrEqual(MAX_BATCHES_PER_WAVE_EPISODE);
      expect(bound.batchDevices).toBeLessThanOrEqual(MAX_BATCH_DEVICES);
      expect(bound.waveEpisodes).toBe(1);
      expect(Math.max(bound.rolloutChildren, bound.waveEpisodeChildren)).toBeLessThanOrEqual(MAX_CHILDREN_PER_HISTORY);
    }
    expect(MAX_CHILDREN_PER_HISTORY).toBe(50);
    const oneWave = { rolloutChildren: 1, waveEpisodeChildren: 20, batchDevices: 5_000, waveEpisodes: 1 };
    expect(historyBound(planWaves(fleet, waves(100)))).toEqual(oneWave);
    expect(historyBound(planWaves(fleet, waves(1, 100)))).toEqual({ ...oneWave, rolloutChildren: 2 });
  });

  test('the bound does not grow with the fleet: a bigger wave takes more wave episodes, not bigger histories', () => {
    const small = historyBound(planOf(500, 4_500));
    expect(small).toEqual({ rolloutChildren: 2, waveEpisodeChildren: 1, batchDevices: 4_500, waveEpisodes: 1 });
    const large = historyBound(planOf(100_000, 900_000));
    expect(large).toEqual({
      ...small,
      waveEpisodeChildren: MAX_BATCHES_PER_WAVE_EPISODE,
      batchDevices: MAX_BATCH_DEVICES,
      waveEpisodes: 4,
    });
  });

  test('the largest wave sets each bound, whichever wave it is', () => {
    expect(historyBound(planOf(12_000, 3, 0))).toEqual({
      rolloutChildren: 3,
      waveEpisodeChildren: 3,
      batchDevices: 5_000,
      waveEpisodes: 1,
    });
    expect(historyBound(planOf(0, 3, 12_000))).toEqual(historyBound(planOf(12_000, 3, 0)));
  });

  test('tiny and empty waves have tiny histories', () => {
    const tiny = historyBound(planWaves(devices(3), waves(10, 100)));
    expect(tiny).toEqual({ rolloutChildren: 2, waveEpisodeChildren: 1, batchDevices: 3, waveEpisodes: 1 });
    expect(historyBound(planWaves([], waves(10, 100)))).toEqual({ ...tiny, waveEpisodeChildren: 0, batchDevices: 0 });
  });
});
