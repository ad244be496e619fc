import { rolloutPace } from '../../../dashboard/src/model/pace';
import { totalsOf as totals } from '../../../functions/src/rollout/rolloutStatus';

const START = Date.parse('2026-01-01T00:00:00Z');

test('rate is devices worked to a verdict per minute since the start (skipped ones cost nothing); the ETA is what is left at that rate', () => {
  const pace = rolloutPace(
    {
      state: 'running',
      startedAt: new Date(START).toISOString(),
      updatedAt: '',
      totals: totals({ succeeded: 15, failed: 3, timedOut: 2, skipped: 40, inProgress: 10, pending: 30 }),
    },
    START + 2 * 60_000,
  );
  expect(pace.perMinute).toBe(10);
  expect(pace.etaMs).toBe(4 * 60_000);
});

test('a paused rollout has a rate but no ETA', () => {
  const pace = rolloutPace(
    { state: 'paused', startedAt: new Date(START).toISOString(), updatedAt: '', totals: totals({ succeeded: 10 }) },
    START + 60_000,
  );
  expect(pace).toEqual({ perMinute: 10, etaMs: null });
});

test('unknown before the start and before the first device finished', () => {
  expect(rolloutPace({ state: 'running', startedAt: null, updatedAt: '', totals: totals({}) }, START)).toEqual({
    perMinute: null,
    etaMs: null,
  });
  const started = { state: 'running' as const, startedAt: new Date(START).toISOString(), updatedAt: '' };
  expect(rolloutPace({ ...started, totals: totals({ inProgress: 4 }) }, START + 60_000)).toEqual({ perMinute: null, etaMs: null });
  expect(rolloutPace({ ...started, totals: totals({ succeeded: 1 }) }, START)).toEqual({ perMinute: null, etaMs: null });
});

test('a finished rollout keeps its average rate up to its end and has no ETA', () => {
  const pace = rolloutPace(
    {
      state: 'canceled',
      startedAt: new Date(START).toISOString(),
      updatedAt: new Date(START + 4 * 60_000).toISOString(),
      totals: totals({ succeeded: 20, canceled: 80 }),
    },
    START + 60 * 60_000,
  );
  expect(pace).toEqual({ perMinute: 5, etaMs: null });
});
