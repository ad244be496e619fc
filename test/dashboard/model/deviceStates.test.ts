import { BAR_STATES, barDescription, barSegments, finishedCount } from '../../../dashboard/src/model/deviceStates';
import { inProgressByOf, totalsOf } from '../../../functions/src/rollout/rolloutStatus';

const wave = {
  ...totalsOf({ pending: 4, inProgress: 8, succeeded: 5, failed: 2, timedOut: 1, skipped: 1, canceled: 1 }),
  inProgressBy: inProgressByOf({ waiting: 1, downloading: 2, staged: 2, applying: 3 }),
};

test('a bar splits in-progress devices by stage and covers the whole wave', () => {
  const segments = barSegments(wave);
  expect(segments.map((s) => s.state)).toEqual(BAR_STATES);
  expect(Object.fromEntries(segments.map((s) => [s.state, s.count]))).toEqual({
    pending: 4,
    waiting: 1,
    downloading: 2,
    staged: 2,
    applying: 3,
    succeeded: 5,
    failed: 2,
    timedOut: 1,
    skipped: 1,
    canceled: 1,
  });
  expect(segments.find((s) => s.state === 'succeeded')!.percent).toBeCloseTo(500 / 22);
  expect(segments.reduce((sum, s) => sum + s.percent, 0)).toBeCloseTo(100);
});

test('an empty wave has zero-width segments, not NaN', () => {
  const empty = barSegments({ ...totalsOf(), inProgressBy: inProgressByOf() });
  expect(empty.every((s) => s.percent === 0)).toBe(true);
  expect(barDescription(empty, 0)).toBe('0 devices');
});

test("a bar's text alternative names the non-zero counts", () => {
  expect(barDescription(barSegments(wave), 22)).toBe(
    '22 devices: 4 pending, 1 waiting, 2 downloading, 2 staged, 3 applying, 5 succeeded, 2 failed, 1 timed out, 1 skipped, 1 canceled',
  );
  expect(finishedCount(wave)).toBe(10);
});
