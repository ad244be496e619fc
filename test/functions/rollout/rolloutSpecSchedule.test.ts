import { parseRolloutSpec, specFingerprint } from '../../../functions/src/rollout';
import type { RolloutSpec } from '../../../functions/src/rollout';
import { bodyWith, validBody } from './fixtures';

const NOW = Date.parse('2026-12-06T00:00:00Z');
const BERLIN_NIGHTS = { days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Berlin' };

const parse = (schedule: unknown) =>
  parseRolloutSpec(
    bodyWith((b) => (b.schedule = schedule)),
    { now: NOW },
  );
const problems = (schedule: unknown) => {
  const result = parse(schedule);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(schedule)}`);
  return result.problems;
};
const specOf = (schedule: unknown): RolloutSpec => {
  const result = parse(schedule);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.spec;
};

describe('schedule in the rollout spec', () => {
  test('startAt and windows are kept as given', () => {
    const schedule = {
      startAt: '2026-12-24T22:00:00+01:00',
      windows: [BERLIN_NIGHTS, { ...BERLIN_NIGHTS, days: ['wed'], from: '22:00', to: '01:00' }],
    };
    expect(specOf(schedule).schedule).toEqual(schedule);
    expect(specOf({ startAt: '2026-12-07T10:00:00Z' }).schedule).toEqual({ startAt: '2026-12-07T10:00:00Z' });
  });

  test('no schedule: none in the spec, and the fingerprint (the spec hash) is what it was without the feature', () => {
    const parsed = parseRolloutSpec(validBody());
    if (!parsed.ok) throw new Error('the valid body was rejected');
    expect('schedule' in parsed.spec).toBe(false);
    expect(specFingerprint(parsed.spec)).not.toContain('schedule');
    // A schedule changes the hash: the same rolloutId with another schedule is a conflict.
    expect(specFingerprint(specOf({ windows: [BERLIN_NIGHTS] }))).not.toBe(specFingerprint(parsed.spec));
  });

  const BAD: [string, unknown, string, RegExp][] = [
    ['an unknown zone', { windows: [{ ...BERLIN_NIGHTS, timeZone: 'Europe/Berln' }] }, 'schedule.windows[0].timeZone', /IANA time zone/],
    ['a zone in the wrong case', { windows: [{ ...BERLIN_NIGHTS, timeZone: 'europe/berlin' }] }, 'schedule.windows[0].timeZone', /IANA/],
    ['a fixed offset as zone', { windows: [{ ...BERLIN_NIGHTS, timeZone: '+02:00' }] }, 'schedule.windows[0].timeZone', /IANA/],
    ['an empty window', { windows: [{ ...BERLIN_NIGHTS, to: '01:00' }] }, 'schedule.windows[0].to', /must differ from from/],
    [
      'overlapping windows',
      { windows: [BERLIN_NIGHTS, { ...BERLIN_NIGHTS, days: ['sun'], from: '04:00', to: '06:00' }] },
      'schedule.windows[1]',
      /overlaps schedule.windows\[0\]/,
    ],
    [
      'a window crossing midnight into another',
      { windows: [BERLIN_NIGHTS, { ...BERLIN_NIGHTS, days: ['fri'], from: '23:00', to: '01:30' }] },
      'schedule.windows[1]',
      /overlaps schedule.windows\[0\]/,
    ],
    ['no days', { windows: [{ ...BERLIN_NIGHTS, days: [] }] }, 'schedule.windows[0].days', /at least one day/],
    ['a day twice', { windows: [{ ...BERLIN_NIGHTS, days: ['sat', 'sat'] }] }, 'schedule.windows[0].days', /twice/],
    ['an unknown day', { windows: [{ ...BERLIN_NIGHTS, days: ['saturday'] }] }, 'schedule.windows[0].days[0]', /"mon"/],
    ['24:00', { windows: [{ ...BERLIN_NIGHTS, to: '24:00' }] }, 'schedule.windows[0].to', /HH:MM/],
    ['a time without minutes', { windows: [{ ...BERLIN_NIGHTS, from: '1' }] }, 'schedule.windows[0].from', /HH:MM/],
    ['no windows', { windows: [] }, 'schedule.windows', /1 to 14 windows/],
    ['15 windows', { windows: Array.from({ length: 15 }, () => BERLIN_NIGHTS) }, 'schedule.windows', /1 to 14 windows/],
    ['an unknown field', { windows: [{ ...BERLIN_NIGHTS, zone: 'UTC' }] }, 'schedule.windows[0].zone', /unknown field/],
    ['an empty schedule', {}, 'schedule', /startAt, windows or both/],
    ['startAt without an offset', { startAt: '2026-12-07T10:00:00' }, 'schedule.startAt', /offset/],
    ['startAt that is not a date', { startAt: 'tomorrow' }, 'schedule.startAt', /ISO 8601/],
    ['startAt more than a year ahead', { startAt: '2027-12-07T10:00:00Z' }, 'schedule.startAt', /at most 366 days ahead/],
  ];
  test.each(BAD)('%s → 400 naming the field', (_name, schedule, field, message) => {
    expect(problems(schedule)).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  test('windows in different zones may overlap in time', () => {
    expect(specOf({ windows: [BERLIN_NIGHTS, { ...BERLIN_NIGHTS, timeZone: 'Europe/London' }] }).schedule?.windows).toHaveLength(2);
  });
});
