/**
 * Weekly maintenance windows in IANA time zones: is one open at an instant, when does it close,
 * when does the next one open. Instants in and out are epoch milliseconds; the time-zone library
 * (js-joda with its bundled tz database, so a replay on an upgraded host computes the same
 * instants) stays inside this module.
 *
 * Semantics:
 * - A window is the local wall-clock range [from, to) on each day of `days`, the days it *starts*
 *   on; `to` ≤ `from` ends it on the next day (`from` = `to` is rejected by the spec).
 * - A boundary that does not exist that day (spring forward) moves forward by the gap: 02:30 on
 *   Europe/Berlin's 2026-03-29 is 03:30+02:00.
 * - A boundary that exists twice (fall back) is its first occurrence (the earlier offset).
 * - A window whose end resolves to its start, or before it, does not occur that day (02:00-03:00
 *   on a spring-forward day in Berlin).
 * - Windows are a union: touching or overlapping occurrences make one open stretch.
 * - No windows at all: always open. Windows whose union stays open for SEEN_AHEAD_DAYS from now
 *   are open with no known end (closesAt and nextOpensAt null).
 */
import { DayOfWeek, Instant, LocalDate, LocalDateTime, LocalTime, ZoneId, ZoneRulesProvider, ZonedDateTime } from '@js-joda/core';
import '@js-joda/timezone';
import { WEEKDAYS } from '../../../contracts/rolloutApi';
import type { MaintenanceWindow, Weekday } from '../../../contracts/rolloutApi';

export interface WindowState {
  open: boolean;
  /** While open: when the open stretch ends (epoch ms); null when closed, or open for at least SEEN_AHEAD_DAYS. */
  closesAt: number | null;
  /** The next window start after now (epoch ms); null without windows, or when open for at least SEEN_AHEAD_DAYS. */
  nextOpensAt: number | null;
}

/** Occurrences looked at: those that started up to 2 days ago, and 15 days ahead (one skipped on a DST day recurs a week later). */
const DAYS_BEFORE = 2;
const DAYS_AHEAD = 15;
/** An open stretch (windows touching in a union) known to end later than this is open for all the caller needs to know. */
export const SEEN_AHEAD_DAYS = 13;
const DAY_MS = 24 * 60 * 60 * 1000;

/** HH:MM, 00:00 to 23:59. */
export const WALL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Null when `timeZone` is a region id of the tz database (as `Europe/Berlin`); otherwise why not. */
export function timeZoneProblem(timeZone: string): string | null {
  return ZoneRulesProvider.getAvailableZoneIds().includes(timeZone)
    ? null
    : 'must be an IANA time zone id such as Europe/Berlin (case-sensitive; fixed offsets are not accepted)';
}

/** Minutes after midnight of an HH:MM wall time. */
export function minutesOf(wallTime: string): number {
  const [hours, minutes] = wallTime.split(':').map(Number);
  return hours * 60 + minutes;
}

export function windowState(windows: readonly MaintenanceWindow[], nowMs: number): WindowState {
  if (windows.length === 0) return { open: true, closesAt: null, nextOpensAt: null };
  const stretches = union(windows.flatMap((window) => occurrences(window, nowMs)));
  const current = stretches.find(([start, end]) => start <= nowMs && nowMs < end);
  // A stretch that reaches this far may go on past the occurrences looked at: its end is not known.
  if (current !== undefined && current[1] > nowMs + SEEN_AHEAD_DAYS * DAY_MS) return { open: true, closesAt: null, nextOpensAt: null };
  const next = stretches.find(([start]) => start > nowMs);
  return { open: current !== undefined, closesAt: current?.[1] ?? null, nextOpensAt: next?.[0] ?? null };
}

/** The window's [start, end) instants that start from DAYS_BEFORE days before now to DAYS_AHEAD days after. */
function occurrences(window: MaintenanceWindow, nowMs: number): [number, number][] {
  const zone = ZoneId.of(window.timeZone);
  const from = LocalTime.parse(window.from);
  const to = LocalTime.parse(window.to);
  const endsNextDay = minutesOf(window.to) <= minutesOf(window.from);
  const days = new Set<DayOfWeek>(window.days.map(dayOfWeek));
  const today = LocalDate.ofInstant(Instant.ofEpochMilli(nowMs), zone);
  const found: [number, number][] = [];
  for (let offset = -DAYS_BEFORE; offset <= DAYS_AHEAD; offset += 1) {
    const day = today.plusDays(offset);
    if (!days.has(day.dayOfWeek())) continue;
    const start = epochMs(LocalDateTime.of(day, from), zone);
    const end = epochMs(LocalDateTime.of(endsNextDay ? day.plusDays(1) : day, to), zone);
    if (end > start) found.push([start, end]);
  }
  return found;
}

/** js-joda's ZonedDateTime.of moves a time in a gap forward by the gap and takes the earlier offset in an overlap. */
function epochMs(local: LocalDateTime, zone: ZoneId): number {
  return ZonedDateTime.of(local, zone).toInstant().toEpochMilli();
}

function dayOfWeek(day: Weekday): DayOfWeek {
  return DayOfWeek.of(WEEKDAYS.indexOf(day) + 1);
}

/** Sorted, overlapping or touching intervals merged. */
function union(intervals: [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;

/**
 * Pairs of windows in the same zone that overlap on some day of the week (their wall-clock ranges,
 * a range that crosses midnight included): [earlier index, later index].
 */
export function overlappingWindows(windows: readonly MaintenanceWindow[]): [number, number][] {
  const ranges = windows.map((window) => {
    const from = minutesOf(window.from);
    const length = (minutesOf(window.to) - from + DAY_MINUTES) % DAY_MINUTES;
    return window.days.map((day) => [WEEKDAYS.indexOf(day) * DAY_MINUTES + from, length] as const);
  });
  const intersects = ([a, aLength]: readonly [number, number], [b, bLength]: readonly [number, number]): boolean => {
    const gap = (((b - a) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES; // b starts this many minutes after a
    return gap < aLength || WEEK_MINUTES - gap < bLength;
  };
  const pairs: [number, number][] = [];
  windows.forEach((window, later) => {
    for (let earlier = 0; earlier < later; earlier += 1) {
      if (windows[earlier].timeZone !== window.timeZone) continue;
      if (ranges[earlier].some((a) => ranges[later].some((b) => intersects(a, b)))) {
        pairs.push([earlier, later]);
        break;
      }
    }
  });
  return pairs;
}
