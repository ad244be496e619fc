import { connectionSetting } from '../config/resolveSettings';
import { parseEventHubConnection } from '../triggers/eventHub/eventHubConnection';
import { parseTimerSchedule, scheduleTimeZone } from '../triggers/timer/timerSchedule';
import type { HostFunction } from './HostFunction';

/**
 * What a trigger needs before it can listen (a connection setting that resolves, a schedule that
 * parses); each missing piece is a reason the function does not run, as in the Functions host.
 */
export function triggerProblems(fn: HostFunction, env: NodeJS.ProcessEnv = process.env): string[] {
  const trigger = fn.trigger;
  try {
    if (fn.triggerKind === 'eventHub') {
      if (typeof trigger.connection !== 'string' || trigger.connection === '')
        throw new Error("the trigger has no 'connection' setting name");
      const connection = parseEventHubConnection(connectionSetting(trigger.connection, env));
      if (!connection.entityPath && !trigger.eventHubName)
        throw new Error('no event hub name: set eventHubName, or EntityPath in the connection string');
    } else if (fn.triggerKind === 'timer') {
      parseTimerSchedule(String(trigger.schedule ?? ''), scheduleTimeZone(env));
    }
    return [];
  } catch (error) {
    return [`trigger '${trigger.name}' (${trigger.type}): ${(error as Error).message}`];
  }
}
