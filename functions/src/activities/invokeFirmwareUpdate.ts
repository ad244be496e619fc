/**
 * Activity: invokes the firmwareUpdate direct method on devices (or, for a stageThenApply rollout's
 * apply pass, firmwareApply) and says, per device, as a typed outcome (rollout/trackedDevice.ts),
 * what the answer means for the rollout. One execution serves a batch's first calls, or all its
 * retries that are due (callPerDevice). It never throws for an answer a device or the hub gave; the
 * tracker decides what to do next (retry, fail, follow the twin).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { FIRMWARE_APPLY_METHOD, FIRMWARE_UPDATE_METHOD, METHOD_STATUS } from '../../../contracts/firmwareUpdate';
import type { FirmwareApplyRequest, FirmwareUpdateRequest } from '../../../contracts/firmwareUpdate';
import { parseFirmwareUpdateReport } from '../rollout';
import type { InvokeOutcome } from '../rollout';
import { trustBundleForDevices } from '../firmwareSignature';
import { logEvent } from '../logging';
import type { ActivityName } from './catalog';
import { callPerDevice, describeFailure, hubFailure, iotHub, isRejectedRequest, isThrottled } from './iotHub';
import type { HubFailure } from './iotHub';

/** The method and its payload: firmwareUpdate when `method` is absent. */
export type FirmwareMethodCall =
  | { method?: typeof FIRMWARE_UPDATE_METHOD; request: FirmwareUpdateRequest }
  | { method: typeof FIRMWARE_APPLY_METHOD; request: FirmwareApplyRequest };

export type InvokeFirmwareUpdateInput = FirmwareMethodCall & {
  deviceIds: string[];
  /** IoT Hub's responseTimeoutInSeconds: how long the hub waits for the device's answer. */
  responseTimeoutInSeconds: number;
};

/** One device's answer, in the order of the input's deviceIds. */
export interface DeviceInvokeOutcome {
  deviceId: string;
  outcome: InvokeOutcome;
}

export async function invokeFirmwareUpdate(input: InvokeFirmwareUpdateInput, context: InvocationContext): Promise<DeviceInvokeOutcome[]> {
  const call = input.method === FIRMWARE_APPLY_METHOD ? input : withTrustBundle(input, context);
  return callPerDevice(input.deviceIds, async (deviceId) => ({ outcome: await invokeOne(deviceId, call, context) }));
}

/** A firmwareUpdate call carries the app's current trust bundle, when one is configured. */
function withTrustBundle(input: InvokeFirmwareUpdateInput & { request: FirmwareUpdateRequest }, context: InvocationContext) {
  const trustBundle = trustBundleForDevices((message) => logEvent(context, 'warn', 'firmwareUpdate.trustBundleUnavailable', { message }));
  return trustBundle === null ? input : { ...input, request: { ...input.request, trustBundle } };
}

async function invokeOne(deviceId: string, input: InvokeFirmwareUpdateInput, context: InvocationContext): Promise<InvokeOutcome> {
  let outcome: InvokeOutcome;
  try {
    const methodName = input.method ?? FIRMWARE_UPDATE_METHOD;
    const { result } = await iotHub().client.invokeDeviceMethod(deviceId, {
      methodName,
      payload: input.request,
      responseTimeoutInSeconds: input.responseTimeoutInSeconds,
      connectTimeoutInSeconds: 0,
    });
    const answer = (result ?? {}) as { status?: unknown; payload?: unknown };
    outcome =
      methodName === FIRMWARE_APPLY_METHOD
        ? applyMethodOutcome(answer.status, answer.payload, input.request.rolloutId)
        : methodOutcome(answer.status, answer.payload, input.request.rolloutId);
  } catch (error) {
    outcome = failureOutcome(hubFailure(error));
  }
  logEvent(context, outcome.kind === 'error' ? 'warn' : 'info', 'firmwareUpdate.invoked', {
    rolloutId: input.request.rolloutId,
    method: input.method ?? FIRMWARE_UPDATE_METHOD,
    deviceId,
    outcome: outcome.kind,
    ...(outcome.kind === 'error' ? { code: outcome.code, message: outcome.message } : {}),
  });
  return outcome;
}

/** The device answered: what its status and payload mean (see contracts/firmwareUpdate.ts). */
export function methodOutcome(status: unknown, payload: unknown, rolloutId: string): InvokeOutcome {
  const body = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);
  if (status === METHOD_STATUS.ok) {
    if (body.status === 'accepted' && body.rolloutId === rolloutId) {
      return body.install === 'staged' ? { kind: 'accepted', staged: true } : { kind: 'accepted' };
    }
    if (body.status === 'current' && body.rolloutId === rolloutId) {
      const state = parseFirmwareUpdateReport(body.state);
      return { kind: 'current', state: state.ok ? state.value : null, ...(body.install === 'staged' ? { staged: true as const } : {}) };
    }
    if (body.status === 'alreadyInstalled') return { kind: 'alreadyInstalled', fwVersion: text(body.fwVersion, '') };
  }
  if (status === METHOD_STATUS.badRequest) {
    return { kind: 'invalid', field: text(body.field, '(payload)'), message: text(body.message, 'the device rejected the request') };
  }
  if (status === METHOD_STATUS.conflict) {
    return {
      kind: 'busy',
      rolloutId: typeof body.rolloutId === 'string' ? body.rolloutId : null,
      message: text(body.message, 'the device is busy'),
    };
  }
  const shown = JSON.stringify(payload ?? null).slice(0, 300);
  return {
    kind: 'error',
    code: 'unexpectedAnswer',
    message: `the device answered ${String(status)} ${shown}`,
    retryable: typeof status === 'number' && status >= 500,
  };
}

/**
 * firmwareApply's answer (see contracts/firmwareUpdate.ts): applying; current (applying or applied
 * already); notStaged (409). Other answers mean what they mean for firmwareUpdate.
 */
export function applyMethodOutcome(status: unknown, payload: unknown, rolloutId: string): InvokeOutcome {
  const body = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  if (status === METHOD_STATUS.ok && body.status === 'applying' && body.rolloutId === rolloutId) return { kind: 'applying' };
  if (status === METHOD_STATUS.conflict && body.status === 'notStaged') {
    return { kind: 'notStaged', message: typeof body.message === 'string' ? body.message : 'nothing is staged for this update' };
  }
  return methodOutcome(status, payload, rolloutId);
}

/** The hub answered with an error (or nothing answered at all). */
export function failureOutcome(failure: HubFailure): InvokeOutcome {
  const message = describeFailure(failure);
  if (isThrottled(failure)) return { kind: 'throttled', message };
  if (failure.errorCode === 404103) return { kind: 'offline', message };
  if (failure.errorCode === 404001 || failure.name === 'DeviceNotFoundError')
    return { kind: 'error', code: 'deviceNotFound', message, retryable: false };
  if (isRejectedRequest(failure)) return { kind: 'error', code: 'hubRejected', message, retryable: false };
  switch (failure.status) {
    case 404:
      // A 404 without a readable code: the device is not reachable now; trying again is safe.
      return { kind: 'offline', message };
    case 504:
    case 408:
      return { kind: 'error', code: 'methodTimeout', message, retryable: true };
    case 401:
    case 403:
      return { kind: 'error', code: 'hubUnauthorized', message, retryable: false };
    default:
      return { kind: 'error', code: failure.status === null ? 'hubUnreachable' : 'hubError', message, retryable: true };
  }
}

df.app.activity('invokeFirmwareUpdate' satisfies ActivityName, { handler: invokeFirmwareUpdate });
