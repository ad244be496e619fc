/**
 * Structured log lines: `<event> {"rolloutId":…,"wave":…,"deviceId":…,…}`. The Functions host
 * forwards context.log output to Application Insights as the message text, so one event name plus
 * one JSON object per line is what a query (`traces | where message startswith "device."`) and a
 * human can both read. Rollout, wave, batch and device are always named when known.
 */
import type { InvocationContext } from '@azure/functions';

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

export function logEvent(context: InvocationContext, level: LogLevel, event: string, fields: LogFields): void {
  const line = logLine(event, fields);
  switch (level) {
    case 'debug':
      context.debug(line);
      return;
    case 'info':
      context.log(line);
      return;
    case 'warn':
      context.warn(line);
      return;
    case 'error':
      context.error(line);
      return;
  }
}
