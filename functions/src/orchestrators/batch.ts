/**
 * The batch orchestration: up to MAX_BATCH_SIZE devices of a wave, all at once. It calls the
 * firmwareUpdate method on all of them with one invokeFirmwareUpdate activity (durable work per
 * batch, not per device), then follows each in a device sub-orchestration that starts from that
 * answer (instance id deviceInstanceId(rolloutId, deviceId), which is how the twin-change handler
 * finds them). It ends with its slowest device, returns the batch's totals and tells its wave
 * with a `batchDone` event (see wave.ts for why the wave needs the event).
 *
 * History: the call (2 events), ≤ 2 events per device (created, completed) + the notification:
 * bounded by the batch size, never by the fleet.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { countDevices, deviceInstanceId } from '../rollout';
import type { DeviceRolloutState, DeviceTimeouts, FirmwareSpec, Totals } from '../rollout';
import { firmwareUpdateRequest, invokeFailed, type DeviceInput, type DeviceResult } from './device';
import { activityWithRetry, log, tryActivity } from './durable';
import type { Step } from './durable';
import { EVENT, ORCHESTRATION } from './names';

export interface BatchInput {
  rolloutId: string;
  wave: number;
  batch: number;
  deviceIds: string[];
  shardCount: number;
  firmware: FirmwareSpec;
  timeouts: DeviceTimeouts;
}

export interface BatchResult {
  batchInstanceId: string;
  totals: Totals;
  /** Devices whose orchestration itself failed (a bug, not a device verdict); counted as failed. */
  orchestrationFailures: number;
}

/** The payload of the `batchDone` event. */
export interface BatchDoneEvent {
  batchInstanceId: string;
  result: BatchResult;
}

/** How often the batch tries to tell its wave, first after 5 s, doubling: about 21 min in all. */
export const NOTIFY_ATTEMPTS = 9;

export function* batchOrchestrator(context: OrchestrationContext): Step<BatchResult> {
  const input = context.df.getInput<BatchInput>();
  const { rolloutId, wave, batch } = input;
  const batchInstanceId = context.df.instanceId;
  log(context, 'info', 'batch.started', { rolloutId, wave, batch, devices: input.deviceIds.length });

  const request = firmwareUpdateRequest(rolloutId, input.firmware);
  const call =
    input.deviceIds.length > 0
      ? yield* tryActivity(context, 'invokeFirmwareUpdate', { deviceIds: input.deviceIds, request, responseTimeoutInSeconds: input.timeouts.methodSeconds })
      : { ok: true as const, value: [] };
  const tasks: Task[] = input.deviceIds.map((deviceId, i) => {
    const deviceInput: DeviceInput = {
      rolloutId,
      deviceId,
      wave,
      shardCount: input.shardCount,
      firmware: input.firmware,
      timeouts: input.timeouts,
      firstOutcome: call.ok ? call.value[i].outcome : invokeFailed(call.error),
    };
    return context.df.callSubOrchestrator(ORCHESTRATION.device, deviceInput, deviceInstanceId(rolloutId, deviceId));
  });

  const states: DeviceRolloutState[] = [];
  let orchestrationFailures = 0;
  context.df.setCustomStatus({ rolloutId, wave, batch, devices: tasks.length, finished: 0 });
  if (tasks.length > 0) {
    try {
      const results = (yield context.df.Task.all(tasks)) as DeviceResult[];
      states.push(...results.map((result) => result.state));
    } catch {
      // Task.all fails at the first failed device orchestration; collect every device one by one.
      for (const task of tasks) {
        try {
          states.push(((yield task) as DeviceResult).state);
        } catch (error) {
          orchestrationFailures += 1;
          states.push('failed');
          log(context, 'error', 'batch.deviceOrchestrationFailed', { rolloutId, wave, batch, error: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  }

  const result: BatchResult = { batchInstanceId, totals: countDevices(states), orchestrationFailures };
  context.df.setCustomStatus({ rolloutId, wave, batch, devices: tasks.length, finished: states.length, totals: result.totals });
  log(context, 'info', 'batch.finished', { rolloutId, wave, batch, ...result.totals });

  const parent = context.df.parentInstanceId;
  if (parent) {
    const payload: BatchDoneEvent = { batchInstanceId, result };
    const sent = yield* activityWithRetry(context, 'sendEvent', { instanceId: parent, eventName: EVENT.batchDone, payload }, NOTIFY_ATTEMPTS, 5);
    if (!sent.ok) log(context, 'error', 'batch.notifyFailed', { rolloutId, wave, batch, error: sent.error });
  }
  return result;
}

df.app.orchestration(ORCHESTRATION.batch, batchOrchestrator);
