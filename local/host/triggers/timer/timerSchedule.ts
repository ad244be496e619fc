import { CronExpressionParser } from 'cron-parser';

/** When a timer trigger fires next. */
export interface TimerSchedule {
  next(after: Date): Date;
  /** Shortest gap between two occurrences, to decide whether the schedule is monitored. */
  readonly minimumIntervalMs: number;
}

const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * A timer trigger's schedule: an NCRONTAB expression ({second} {minute} {hour} {day} {month}
 * {day-of-week}; five fields without seconds also work) evaluated in the app's time zone, or a
 * TimeSpan "[d.]hh:mm:ss" meaning "every so long".
 */
export function parseTimerSchedule(expression: string, timeZone: string): TimerSchedule {
  const span = TIME_SPAN.exec(expression.trim());
  if (span) {
    const ms = (((Number(span[1] ?? 0) * 24 + Number(span[2])) * 60 + Number(span[3])) * 60 + Number(span[4])) * 1000;
    if (ms <= 0) throw new Error(`The schedule '${expression}' is an empty time span.`);
    return { next: (after) => new Date(after.getTime() + ms), minimumIntervalMs: ms };
  }
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new Error(
      `The schedule expression '${expression}' was not recognized as a valid cron expression (six fields: second minute hour day month day-of-week) or time span.`,
    );
  }
  const at = (after: Date): Date => CronExpressionParser.parse(expression, { currentDate: after, tz: timeZone }).next().toDate();
  try {
    at(new Date());
  } catch (error) {
    throw new Error(`The schedule expression '${expression}' is not valid: ${(error as Error).message}`);
  }
  const first = at(new Date());
  const second = at(first);
  return { next: at, minimumIntervalMs: second.getTime() - first.getTime() };
}

/** The time zone schedules use: WEBSITE_TIME_ZONE or TZ when they name one, else UTC (as on Linux plans). */
export function scheduleTimeZone(env: NodeJS.ProcessEnv = process.env): string {
  for (const candidate of [env.WEBSITE_TIME_ZONE, env.TZ]) {
    if (!candidate) continue;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: candidate });
      return candidate;
    } catch {
      // Not an IANA name (e.g. a Windows zone name): try the next.
    }
  }
  return 'UTC';
}
