import fc from 'fast-check';
import { evaluateThreshold, failureShare, thresholdCounts, totalsOf } from '../../../functions/src/rollout';
import type { FailureThreshold } from '../../../functions/src/rollout';

const pause = (percent: number, minDevices: number): FailureThreshold => ({ percent, minDevices, action: 'pause' });

describe('evaluateThreshold', () => {
  test.each([
    // finished, failed, percent, minDevices → verdict
    [0, 0, 0, 1, 'continue'],
    [4, 4, 10, 5, 'continue'], // below minDevices: no verdict yet, even at 100 % failed
    [5, 1, 10, 5, 'pause'], // finished = minDevices is enough: 20 % > 10 %
    [100, 5, 5, 5, 'continue'], // exactly at the percent does not trip
    [100, 6, 5, 5, 'pause'],
    [10, 1, 10, 1, 'continue'], // 10 % is not more than 10 %
    [11, 2, 10, 1, 'pause'],
    [1, 1, 0, 1, 'pause'], // percent 0: the first failure trips
    [1000, 0, 0, 1, 'continue'],
    [50, 50, 100, 1, 'continue'], // percent 100 never trips
    [1000, 3, 0.3, 1, 'continue'], // 0.3 % exactly, computed without float error
    [1000, 4, 0.3, 1, 'pause'],
    [3, 1, 33.33, 1, 'pause'], // 33.333… % > 33.33 %
    [10_000, 3_333, 33.33, 1, 'continue'],
  ] as const)('%i finished, %i failed, %p %% over %i → %s', (finished, failed, percent, minDevices, verdict) => {
    expect(evaluateThreshold({ finished, failed }, pause(percent, minDevices))).toBe(verdict);
  });

  test('the action is the one configured', () => {
    expect(evaluateThreshold({ finished: 10, failed: 5 }, { percent: 10, minDevices: 1, action: 'abort' })).toBe('abort');
  });

  test('agrees with the rational rule for every count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (finished, bp, minDevices, share) => {
          const failed = Math.floor(finished * share);
          const verdict = evaluateThreshold({ finished, failed }, pause(bp / 100, minDevices));
          // failed / finished > bp / 10000, in BigInt so no rounding can hide an error.
          const trips = finished >= minDevices && finished > 0 && BigInt(failed) * 10_000n > BigInt(bp) * BigInt(finished);
          expect(verdict).toBe(trips ? 'pause' : 'continue');
        },
      ),
    );
  });

  test('more failures never turn a pause back into continue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 50 }),
        (finished, bp, minDevices) => {
          let tripped = false;
          for (let failed = 0; failed <= finished; failed += Math.max(1, Math.floor(finished / 20))) {
            const verdict = evaluateThreshold({ finished, failed }, pause(bp / 100, minDevices));
            if (tripped) expect(verdict).toBe('pause');
            tripped ||= verdict === 'pause';
          }
        },
      ),
    );
  });
});

describe('thresholdCounts', () => {
  test('failed and timedOut count as failures; skipped, canceled and unfinished do not count', () => {
    expect(
      thresholdCounts(totalsOf({ pending: 7, inProgress: 3, succeeded: 10, failed: 2, timedOut: 1, skipped: 4, canceled: 5 })),
    ).toEqual({
      finished: 13,
      failed: 3,
    });
  });
});

describe('failureShare', () => {
  const waves = [
    { index: 0, ...totalsOf({ succeeded: 2, failed: 1 }) },
    { index: 1, ...totalsOf({ succeeded: 4, timedOut: 2, failed: 1, skipped: 3, canceled: 1, inProgress: 5 }) },
    { index: 2, ...totalsOf({ pending: 10 }) },
  ];

  test('on the wave the rollout is on, as the threshold judges it, two decimals', () => {
    expect(failureShare(waves, 1)).toEqual({ wave: 1, finished: 7, failed: 3, percent: 42.86 });
    expect(failureShare(waves, 0)).toEqual({ wave: 0, finished: 3, failed: 1, percent: 33.33 });
    // A wave with no result yet (just started, or awaiting approval): the one before it, which is what the operator decides on.
    expect(failureShare(waves, 2)).toEqual({ wave: 1, finished: 7, failed: 3, percent: 42.86 });
  });

  test('without a wave, the last one with finished devices; null while none finished', () => {
    expect(failureShare(waves, null)).toEqual({ wave: 1, finished: 7, failed: 3, percent: 42.86 });
    expect(failureShare([waves[2], { index: 3, ...totalsOf({ inProgress: 2, canceled: 1 }) }], 2)).toBeNull();
    expect(failureShare([], null)).toBeNull();
  });
});
