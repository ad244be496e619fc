/**
 * Activity: reads a device's twin and returns its firmware report, for the device orchestration's
 * last look before it times a device out (an event may have been lost) and to catch up after it
 * continued as new.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { twinReportOf } from '../rollout';
import type { TwinReport } from '../rollout';
import { logEvent } from '../logging';
import type { ActivityName } from './catalog';
import { describeFailure, hubFailure, iotHub } from './iotHub';

export interface ReadDeviceTwinInput {
  deviceId: string;
  /** For the log line only. */
  rolloutId?: string;
}

export type ReadDeviceTwinResult =
  | { found: false }
  | { found: true; report: TwinReport }
  /** The twin exists but its report is unusable; the problem says why. */
  | { found: true; report: null; problem: string };

/** Throws for a failure other than "no such device", so the orchestration sees a failed read. */
export async function readDeviceTwin(input: ReadDeviceTwinInput, context: InvocationContext): Promise<ReadDeviceTwinResult> {
  let twin: unknown;
  try {
    twin = (await iotHub().registry.getTwin(input.deviceId)).responseBody;
  } catch (error) {
    const failure = hubFailure(error);
    if (failure.status === 404) {
      logEvent(context, 'warn', 'twin.read', { rolloutId: input.rolloutId, deviceId: input.deviceId, found: false });
      return { found: false };
    }
    throw new Error(`reading the twin of ${input.deviceId} failed: ${describeFailure(failure)}`);
  }
  const reported = (twin as { properties?: { reported?: unknown } } | undefined)?.properties?.reported;
  const parsed = twinReportOf(reported);
  logEvent(context, 'info', 'twin.read', {
    rolloutId: input.rolloutId,
    deviceId: input.deviceId,
    found: true,
    ...(parsed.ok ? { twinVersion: parsed.value.twinVersion, status: parsed.value.firmwareUpdate?.status ?? null } : { problem: parsed.problem }),
  });
  return parsed.ok ? { found: true, report: parsed.value } : { found: true, report: null, problem: parsed.problem };
}

df.app.activity('readDeviceTwin' satisfies ActivityName, { handler: readDeviceTwin });
