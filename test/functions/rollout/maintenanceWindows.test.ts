import fc from 'fast-check';
import { WEEKDAYS } from '../../../contracts/rolloutApi';
import type { MaintenanceWindow, Weekday } from '../../../contracts/rolloutApi';
import { SEEN_AHEAD_DAYS, overlappingWindows, timeZoneProblem, windowState } from '../../../functions/src/rollout/maintenanceWindows';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const window = (days: Weekday[], from: string, to: string, timeZone = 'Europe/Berlin'): MaintenanceWindow => ({ days, from, to, timeZone });
/** windowState with ISO instants, for readable expectations. */
const state = (windows: MaintenanceWindow[], now: string) => {
  const { open, closesAt, nextOpensAt } = windowState(windows, at(now));
  return { open, closesAt: iso(closesAt), nextOpensAt: iso(nextOpensAt) };
};

const WEEKEND_NIGHTS = [window(['sat', 'sun'], '01:00', '05:00')];

describe('windowState', () => {
  test('no windows: always open', () => {
    expect(windowState([], at('2026-03-29T02:00:00Z'))).toEqual({ open: true, closesAt: null, nextOpensAt: null });
  });

  test('Berlin spring forward (2026-03-29): a window across the change is 3 real hours', () => {
    expect(state(WEEKEND_NIGHTS, '2026-03-28T12:00:00Z')).toEqual({ open: false, closesAt: null, nextOpensAt: '2026-03-29T00:00:00.000Z' });
    expect(state(WEEKEND_NIGHTS, '2026-03-29T00:00:00Z')).toEqual({
      open: true,
      closesAt: '2026-03-29T03:00:00.000Z',
      nextOpensAt: '2026-04-03T23:00:00.000Z',
    });
    expect(state(WEEKEND_NIGHTS, '2026-03-29T03:00:00Z').open).toBe(false);
  });

  test('Berlin fall back (2026-10-25): a window across the change is 5 real hours', () => {
    expect(state(WEEKEND_NIGHTS, '2026-10-24T12:00:00Z').nextOpensAt).toBe('2026-10-24T23:00:00.000Z');
    expect(state(WEEKEND_NIGHTS, '2026-10-25T03:30:00Z')).toEqual({
      open: true,
      closesAt: '2026-10-25T04:00:00.000Z',
      nextOpensAt: '2026-10-31T00:00:00.000Z',
    });
  });

  test('a window wholly in the spring-forward gap does not occur that day; on the fall-back day its end is the second 03:00', () => {
    const gapHour = [window(['sun'], '02:00', '03:00')];
    expect(state(gapHour, '2026-03-28T12:00:00Z').nextOpensAt).toBe('2026-04-05T00:00:00.000Z');
    expect(state(gapHour, '2026-03-29T01:00:00Z').open).toBe(false);
    // 02:00 is ambiguous: its first occurrence (+02:00); 03:00 exists once (+01:00).
    expect(state(gapHour, '2026-10-25T00:00:00Z')).toMatchObject({ open: true, closesAt: '2026-10-25T02:00:00.000Z' });
  });

  test('a start in the gap moves forward by the gap; an ambiguous start takes the first occurrence', () => {
    const late = [window(['sun'], '02:30', '04:00')];
    expect(state(late, '2026-03-29T01:29:00Z')).toMatchObject({ open: false, nextOpensAt: '2026-03-29T01:30:00.000Z' });
    expect(state(late, '2026-03-29T01:30:00Z')).toMatchObject({ open: true, closesAt: '2026-03-29T02:00:00.000Z' });
    expect(state(late, '2026-10-24T12:00:00Z').nextOpensAt).toBe('2026-10-25T00:30:00.000Z');
  });

  test('a window crossing midnight starts on its day and ends the next, across both DST changes', () => {
    const saturdayNight = [window(['sat'], '23:00', '02:30')];
    expect(state(saturdayNight, '2026-03-28T21:00:00Z').nextOpensAt).toBe('2026-03-28T22:00:00.000Z');
    expect(state(saturdayNight, '2026-03-28T22:00:00Z')).toMatchObject({ open: true, closesAt: '2026-03-29T01:30:00.000Z' });
    // Sunday's early hours belong to Saturday's window: no window starts on Sunday.
    expect(state(saturdayNight, '2026-03-29T01:00:00Z').open).toBe(true);
    expect(state(saturdayNight, '2026-10-24T21:00:00Z')).toMatchObject({ open: true, closesAt: '2026-10-25T00:30:00.000Z' });
  });

  test('America/New_York: 01:30-02:30 on the DST Sundays', () => {
    const early = [window(['sun'], '01:30', '02:30', 'America/New_York')];
    // 2026-03-08: 02:30 does not exist, it is 03:30 EDT.
    expect(state(early, '2026-03-08T06:30:00Z')).toMatchObject({ open: true, closesAt: '2026-03-08T07:30:00.000Z' });
    // 2026-11-01: 01:30 is first in EDT; 02:30 EST.
    expect(state(early, '2026-11-01T05:30:00Z')).toMatchObject({ open: true, closesAt: '2026-11-01T07:30:00.000Z' });
    expect(state(early, '2026-11-01T05:29:00Z')).toMatchObject({ open: false, nextOpensAt: '2026-11-01T05:30:00.000Z' });
  });

  test('Australia/Lord_Howe, whose DST shift is 30 minutes', () => {
    // 2026-10-04 02:00 → 02:30 (+10:30 → +11:00): 02:00-02:30 lies in the gap and does not occur; 02:00-03:00 is 30 min.
    expect(state([window(['sun'], '02:00', '02:30', 'Australia/Lord_Howe')], '2026-10-03T15:00:00Z').nextOpensAt).toBe(
      '2026-10-10T15:00:00.000Z', // a week later, 02:00+11:00
    );
    expect(state([window(['sun'], '02:00', '03:00', 'Australia/Lord_Howe')], '2026-10-03T15:30:00Z')).toMatchObject({
      open: true,
      closesAt: '2026-10-03T16:00:00.000Z',
    });
  });

  test('windows that together never close: open, no end in sight', () => {
    const gapless = [window([...WEEKDAYS], '06:00', '05:59', 'UTC'), window([...WEEKDAYS], '05:59', '06:00', 'UTC')];
    expect(windowState(gapless, at('2026-12-07T09:00:00Z'))).toEqual({ open: true, closesAt: null, nextOpensAt: null });
  });

  test('windows are a union: touching windows make one open stretch', () => {
    const windows = [window(['mon'], '08:00', '10:00', 'UTC'), window(['mon'], '10:00', '12:00', 'UTC')];
    expect(state(windows, '2026-12-07T09:00:00Z')).toEqual({
      open: true,
      closesAt: '2026-12-07T12:00:00.000Z',
      nextOpensAt: '2026-12-14T08:00:00.000Z',
    });
  });

  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Apia', 'Asia/Kolkata', 'UTC'];
  const wallTime = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${pad(h)}:${pad(m)}`);
  const windowArb = fc
    .record({
      days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }),
      from: wallTime,
      to: wallTime,
      timeZone: fc.constantFrom(...zones),
    })
    .filter((w) => w.from !== w.to);
  // 2026 and 2027, DST changes included.
  const instant = fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') });

  test('property: the next opening is after now and open; when open, the close is after now and closed', () => {
    fc.assert(
      fc.property(fc.array(windowArb, { minLength: 1, maxLength: 4 }), instant, (windows, now) => {
        const current = windowState(windows, now);
        if (current.nextOpensAt === null) {
          // Windows that together leave no gap for SEEN_AHEAD_DAYS.
          expect(current).toEqual({ open: true, closesAt: null, nextOpensAt: null });
          expect(windowState(windows, now + SEEN_AHEAD_DAYS * 24 * 3600 * 1000).open).toBe(true);
          return;
        }
        expect(current.nextOpensAt!).toBeGreaterThan(now);
        expect(windowState(windows, current.nextOpensAt!).open).toBe(true);
        if (current.open) {
          expect(current.closesAt!).toBeGreaterThan(now);
          expect(windowState(windows, current.closesAt!).open).toBe(false);
          expect(windowState(windows, current.closesAt! - 1).open).toBe(true);
        } else {
          expect(current.closesAt).toBeNull();
          expect(windowState(windows, current.nextOpensAt! - 1).open).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('overlappingWindows and timeZoneProblem', () => {
  test('same zone and day with intersecting ranges overlap, a range crossing midnight included; other zones do not', () => {
    expect(overlappingWindows([window(['sat'], '01:00', '05:00'), window(['sat'], '04:00', '06:00')])).toEqual([[0, 1]]);
    expect(overlappingWindows([window(['sun'], '01:00', '05:00'), window(['sat'], '23:00', '01:30')])).toEqual([[0, 1]]);
    expect(overlappingWindows([window(['mon'], '01:00', '05:00'), window(['sun'], '23:00', '01:30')])).toEqual([[0, 1]]);
    expect(overlappingWindows([window(['sat'], '01:00', '05:00'), window(['sat'], '05:00', '06:00')])).toEqual([]);
    expect(overlappingWindows([window(['sat'], '01:00', '05:00'), window(['sat'], '01:00', '05:00', 'Europe/Paris')])).toEqual([]);
  });

  test('IANA region ids only, case-sensitive', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeNull();
    expect(timeZoneProblem('Europe/Kyiv')).toBeNull();
    expect(timeZoneProblem('UTC')).toBeNull();
    for (const bad of ['Europe/Berln', 'europe/berlin', '+02:00', 'Z', '']) expect(timeZoneProblem(bad)).toMatch(/IANA time zone id/);
  });
});

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
