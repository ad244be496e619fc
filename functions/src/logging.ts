/**
 * Structured log lines: `<event> {"rolloutId":…,"wave":…,"deviceId":…,…}`, one event name plus one
 * JSON object per line, which a human and a query can both read. Rollout, wave, batch and device
 * are always named when known.
 *
 * Each line goes to the invocation's log, which the Functions host shows in the log stream and
 * forwards to Application Insights as a trace's message, text only. With Application Insights set
 * up (telemetry/appInsights.ts), the same event also becomes a trace of its own whose custom
 * dimensions are `event` and the fields, which is what the queries in docs/monitoring.md filter and
 * group on. Orchestrators log through orchestrationApi's `log`, which skips replays: one event, one
 * line, one trace.
 */
import type { InvocationContext } from '@azure/functions';
import { trackLogEvent } from './telemetry/appInsights';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  rolloutId?: string;
  wave?: number;
  batch?: number;
  deviceId?: string;
  [field: string]: unknown;
}

export function logLine(event: string, fields: LogFields): string {
  return `${event} ${JSON.stringify(fields)}`;
}

/** The invocation context's method for each level (info lines are the context's plain `log`). */
const WRITER = { debug: 'debug', info: 'log', warn: 'warn', error: 'error' } as const satisfies Record<LogLevel, keyof InvocationContext>;

export function logEvent(context: InvocationContext, level: LogLevel, event: string, fields: LogFields): void {
  const line = logLine(event, fields);
  context[WRITER[level]](line);
  trackLogEvent(context, level, event, fields, line);
}
