/**
 * Activity: reads devices' twins and returns their firmware reports, for a tracker's last look
 * before it times devices out (an event may have been lost) and to catch up after it continued
 * as new or found a device already on the rollout. One execution reads all the devices a tracker
 * needs at that moment (callPerDevice).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { twinReportOf } from '../rollout';
import type { TwinReport } from '../rollout';
import { logEvent } from '../logging';
import type { ActivityName } from './catalog';
import { callPerDevice, describeFailure, hubFailure, iotHub, isThrottled } from './iotHub';

export interface ReadDeviceTwinsInput {
  deviceIds: string[];
  /** For the log lines only. */
  rolloutId?: string;
}

export type TwinRead =
  | { found: false }
  | { found: true; report: TwinReport }
  /** The twin exists but its report is unusable; the problem says why. */
  | { found: true; report: null; problem: string }
  /** The read itself failed (hub unreachable, throttled, …): nothing is known; `throttled` when the hub said 429. */
  | { failed: string; throttled?: true };

/** One device's read, in the order of the input's deviceIds. */
export interface DeviceTwinRead {
  deviceId: string;
  read: TwinRead;
}

export async function readDeviceTwins(input: ReadDeviceTwinsInput, context: InvocationContext): Promise<DeviceTwinRead[]> {
  return callPerDevice(input.deviceIds, async (deviceId) => ({ read: await readOne(deviceId, input.rolloutId, context) }));
}

async function readOne(deviceId: string, rolloutId: string | undefined, context: InvocationContext): Promise<TwinRead> {
  let twin: unknown;
  try {
    twin = (await iotHub().registry.getTwin(deviceId)).responseBody;
  } catch (error) {
    const failure = hubFailure(error);
    if (failure.status === 404) {
      logEvent(context, 'warn', 'twin.read', { rolloutId, deviceId, found: false });
      return { found: false };
    }
    const message = `reading the twin of ${deviceId} failed: ${describeFailure(failure)}`;
    logEvent(context, 'warn', 'twin.readFailed', { rolloutId, deviceId, error: message });
    return isThrottled(failure) ? { failed: message, throttled: true } : { failed: message };
  }
  const reported = (twin as { properties?: { reported?: unknown } } | undefined)?.properties?.reported;
  const parsed = twinReportOf(reported);
  logEvent(context, 'info', 'twin.read', {
    rolloutId,
    deviceId,
    found: true,
    ...(parsed.ok
      ? { twinVersion: parsed.value.twinVersion, status: parsed.value.firmwareUpdate?.status ?? null }
      : { problem: parsed.problem }),
  });
  return parsed.ok ? { found: true, report: parsed.value } : { found: true, report: null, problem: parsed.problem };
}

df.app.activity('readDeviceTwins' satisfies ActivityName, { handler: readDeviceTwins });
