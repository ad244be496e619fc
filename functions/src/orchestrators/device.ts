/**
 * The device orchestration: one device through one rollout, from the firmwareUpdate method to a
 * verdict (succeeded, failed, timedOut, skipped, canceled), with an audit trail.
 *
 *   invoke   the batch's first call of the method (one invokeFirmwareUpdate for the whole batch)
 *            comes in with the input; later calls are this orchestration's own. Offline (404103), busy
 *            (409) and transient hub errors are tried again on a durable timer with backoff
 *            (15 s, doubling, at most 10 min) until offlineRetryMinutes after the first try, then
 *            timedOut. Before every retry the control entity is read: a canceled rollout cancels
 *            a device that has not taken the update yet. A 400 is failed at once, naming the field.
 *   follow   wait for the device's twin reports (events raised by the twin-change handler) with
 *            the current phase's deadline (accept: methodSeconds, download: downloadMinutes,
 *            apply: applyMinutes) as a durable timer in the same Task.any. Reports are applied in
 *            $version order by the domain's applyReport, which drops duplicates and stale ones.
 *            When a deadline passes, the twin is read once more (readDeviceTwin) in case an event
 *            was lost; only if that shows no progress is the device timedOut.
 *
 * State: the DeviceTracking (state, phase, error, timeline) is the customStatus, so it is visible
 * while the device runs and after it ends; each change of state, status or error is also sent to
 * the device's shard entity, which keeps the row for device listings and counts the move in the
 * rollout's ledger. The output is a small summary for the batch.
 *
 * History: every episode stops after DEVICE_STEPS_PER_EPISODE yields and continues as new with
 * the tracking, reading the twin once on the way in, since an event that arrived during the
 * switch is not carried over. A device that reports normally finishes in one episode.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import type { FirmwareUpdateRequest } from '../../../contracts/firmwareUpdate';
import type { InvokeOutcome } from '../activities/invokeFirmwareUpdate';
import { controlEntity, shardEntity } from '../entities/contracts';
import {
  applyReport,
  expirePhase,
  isTerminalDeviceState,
  markAccepted,
  parseTwinReportsEvent,
  phaseDeadline,
  recordNote,
  rowOf,
  settle,
  shardOf,
  startTracking,
} from '../rollout';
import type {
  DeviceError,
  DeviceRow,
  DeviceTimeouts,
  DeviceTracking,
  FirmwareSpec,
  RolloutControlState,
  RolloutTarget,
  TerminalDeviceState,
  TwinReport,
} from '../rollout';
import { EventInbox, after, callEntity, log, now, signalEntity, tryActivity } from './durable';
import type { Step } from './durable';
import { EVENT, ORCHESTRATION } from './names';

export interface DeviceInput {
  rolloutId: string;
  deviceId: string;
  wave: number;
  shardCount: number;
  firmware: FirmwareSpec;
  timeouts: DeviceTimeouts;
  /** The answer to the batch's first call of the method on this device. */
  firstOutcome?: InvokeOutcome;
  /** Present in an episode after continue-as-new. */
  carry?: DeviceCarry;
}

export interface DeviceCarry {
  tracking: DeviceTracking;
  stage: 'invoke' | 'follow';
  /** When the first method call was made; the retry window runs from there. */
  invokeStartedAt: string | null;
  attempts: number;
  episode: number;
}

/** The batch's view of a device: how it ended. The timeline stays in the customStatus. */
export interface DeviceResult {
  deviceId: string;
  state: TerminalDeviceState;
  error: DeviceError | null;
}

export const RETRY_FIRST_DELAY_SECONDS = 15;
export const RETRY_MAX_DELAY_SECONDS = 600;
/** Yields per episode before continuing as new; each adds at most three history events. */
export const DEVICE_STEPS_PER_EPISODE = 40;

export function retryDelaySeconds(attempt: number): number {
  return Math.min(RETRY_MAX_DELAY_SECONDS, RETRY_FIRST_DELAY_SECONDS * 2 ** Math.max(0, attempt - 1));
}

/** The firmwareUpdate method's payload for a rollout. */
export function firmwareUpdateRequest(rolloutId: string, firmware: FirmwareSpec): FirmwareUpdateRequest {
  return { rolloutId, fwVersion: firmware.version, fwPackageUri: firmware.uri, sha256: firmware.sha256, size: firmware.size };
}

export function* deviceOrchestrator(context: OrchestrationContext): Step<DeviceResult | undefined> {
  const input = context.df.getInput<DeviceInput>();
  const { rolloutId, deviceId, wave, timeouts } = input;
  const carry = input.carry;
  const target: RolloutTarget = { rolloutId, fwVersion: input.firmware.version };
  const shard = shardEntity(rolloutId, shardOf(deviceId, input.shardCount));
  const fields = { rolloutId, wave, deviceId };

  let tracking = carry?.tracking ?? startTracking(deviceId, now(context));
  let published: DeviceRow = rowOf(tracking, wave);
  let steps = 0;

  const publish = (next: DeviceTracking): void => {
    tracking = next;
    context.df.setCustomStatus(next);
    const row = rowOf(next, wave);
    if (row.state !== published.state || row.status !== published.status || row.error?.code !== published.error?.code) {
      signalEntity(context, shard, 'update', { row });
      if (row.state !== published.state) log(context, 'info', 'device.state', { ...fields, from: published.state, to: row.state, status: row.status });
      published = row;
    }
  };
  const continueAsNew = (stage: DeviceCarry['stage'], invokeStartedAt: string | null, attempts: number): undefined => {
    const next: DeviceCarry = { tracking, stage, invokeStartedAt, attempts, episode: (carry?.episode ?? 0) + 1 };
    log(context, 'info', 'device.continueAsNew', { ...fields, stage, episode: next.episode });
    context.df.continueAsNew({ ...input, carry: next } satisfies DeviceInput);
    return undefined;
  };
  const finish = (): DeviceResult => {
    publish(tracking);
    log(context, tracking.state === 'succeeded' ? 'info' : 'warn', 'device.finished', { ...fields, state: tracking.state, error: tracking.error?.code ?? null });
    return { deviceId, state: tracking.state as TerminalDeviceState, error: tracking.error };
  };

  publish(tracking);

  // ---- invoke ---------------------------------------------------------------------------------
  let resync = carry?.stage === 'follow';
  if (carry === undefined || carry.stage === 'invoke') {
    const request = firmwareUpdateRequest(rolloutId, input.firmware);
    let answered = carry === undefined ? input.firstOutcome : undefined;
    const invokeStartedAt = carry?.invokeStartedAt ?? now(context);
    const retryUntil = Date.parse(invokeStartedAt) + timeouts.offlineRetryMinutes * 60_000;
    let attempts = carry?.attempts ?? 0;
    let lastKind: string | null = null;
    for (;;) {
      if (attempts > 0) {
        const control = yield* callEntity<'rolloutControl', 'get', RolloutControlState | null>(context, controlEntity(rolloutId), 'get');
        steps += 1;
        if (control?.command === 'cancel') {
          publish(settle(tracking, 'canceled', now(context), 'the rollout was canceled before the device took the update'));
          return finish();
        }
      }
      let outcome: InvokeOutcome;
      if (answered !== undefined) {
        outcome = answered;
        answered = undefined;
      } else {
        const call = yield* tryActivity(context, 'invokeFirmwareUpdate', { deviceIds: [deviceId], request, responseTimeoutInSeconds: timeouts.methodSeconds });
        steps += 1;
        outcome = call.ok ? call.value[0].outcome : invokeFailed(call.error);
      }
      attempts += 1;
      const at = now(context);
      if (outcome.kind === 'accepted') {
        publish(markAccepted(tracking, at));
        break;
      }
      if (outcome.kind === 'current') {
        // The device already has this update (an earlier call's answer was lost): catch up from its twin.
        publish(markAccepted(tracking, at, 'the device is already working on this rollout'));
        resync = true;
        break;
      }
      if (outcome.kind === 'alreadyInstalled') {
        publish(settle(tracking, 'skipped', at, `the device already runs ${outcome.fwVersion || input.firmware.version}`));
        return finish();
      }
      if (outcome.kind === 'invalid') {
        const message = `${outcome.field}: ${outcome.message}`;
        publish(settle(tracking, 'failed', at, `the device rejected the request: ${message}`, { code: 'invalidRequest', message }));
        return finish();
      }
      if (outcome.kind === 'error' && !outcome.retryable) {
        publish(settle(tracking, 'failed', at, `${outcome.code}: ${outcome.message}`, { code: outcome.code, message: outcome.message }));
        return finish();
      }
      // Offline, busy, or a transient error: try again later, within the retry window.
      const delay = retryDelaySeconds(attempts);
      const kind = outcome.kind === 'error' ? outcome.code : outcome.kind;
      const reason =
        outcome.kind === 'busy' ? `the device is busy (${outcome.message})` : outcome.kind === 'offline' ? 'the device is offline' : `${outcome.code}: ${outcome.message}`;
      if (context.df.currentUtcDateTime.getTime() + delay * 1000 > retryUntil) {
        const message = `${reason}; gave up after ${attempts} attempts over ${timeouts.offlineRetryMinutes} minutes`;
        publish(settle(tracking, 'timedOut', at, message, { code: kind, message }));
        return finish();
      }
      // One timeline note per streak of the same answer, not one per attempt.
      if (kind !== lastKind) publish(recordNote(tracking, at, `${reason}; trying again with backoff`));
      lastKind = kind;
      yield context.df.createTimer(after(context, delay));
      steps += 1;
      if (steps >= DEVICE_STEPS_PER_EPISODE) return continueAsNew('invoke', invokeStartedAt, attempts);
    }
  }

  // ---- follow ---------------------------------------------------------------------------------
  const inbox = new EventInbox<unknown>(context.df, EVENT.twinReport);
  // All reports of an episode first, then one publish: a burst of statuses is one shard update.
  const apply = (reports: readonly TwinReport[]): void => {
    let next = tracking;
    for (const report of [...reports].sort((a, b) => a.twinVersion - b.twinVersion)) next = applyReport(next, report, target, now(context));
    publish(next);
  };
  const received = (): TwinReport[] => {
    const reports: TwinReport[] = [];
    for (const payload of inbox.take()) {
      const parsed = parseTwinReportsEvent(payload);
      reports.push(...parsed.reports);
      for (const problem of parsed.problems) log(context, 'warn', 'device.badEvent', { ...fields, problem });
    }
    return reports;
  };
  function* readTwin(): Step<TwinReport[]> {
    const read = yield* tryActivity(context, 'readDeviceTwin', { deviceId, rolloutId });
    steps += 1;
    if (read.ok && read.value.found && read.value.report !== null) return [read.value.report];
    if (!read.ok) log(context, 'warn', 'device.twinReadFailed', { ...fields, error: read.error });
    return [];
  }

  if (resync && !isTerminalDeviceState(tracking.state)) apply(yield* readTwin());
  while (!isTerminalDeviceState(tracking.state)) {
    const deadline = phaseDeadline(tracking, timeouts) ?? after(context, timeouts.methodSeconds).toISOString();
    if (Date.parse(deadline) <= context.df.currentUtcDateTime.getTime()) {
      // The phase is over: one last look at the twin in case an event was lost.
      const read = yield* readTwin();
      apply([...received(), ...read]);
      if (isTerminalDeviceState(tracking.state)) break;
      const renewed = phaseDeadline(tracking, timeouts);
      if (renewed !== null && Date.parse(renewed) > context.df.currentUtcDateTime.getTime()) continue;
      publish(expirePhase(tracking, now(context)));
      break;
    }
    yield context.df.Task.any([inbox.next(), context.df.createTimer(new Date(deadline))]);
    steps += 1;
    apply(received());
    if (steps >= DEVICE_STEPS_PER_EPISODE && !isTerminalDeviceState(tracking.state)) return continueAsNew('follow', null, 0);
  }
  return finish();
}

/** The activity itself failed (the app could not run it): the device is tried again later. */
export function invokeFailed(message: string): InvokeOutcome {
  return { kind: 'error', code: 'invokeFailed', message, retryable: true };
}

df.app.orchestration(ORCHESTRATION.device, deviceOrchestrator);
