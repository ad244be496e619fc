/**
 * One device as its tracker (the batch orchestration) follows it: the rollout's view of it
 * (DeviceTracking, deviceOutcome.ts) plus where the firmwareUpdate call stands. Pure functions of
 * orchestration time, so the tracker stays a thin loop of durable waits around them.
 *
 *   invoking   the method was called; offline (404103), busy (409) and transient hub errors are
 *              tried again with backoff (15 s, doubling, at most 10 min) until offlineRetryMinutes
 *              after the first try, then timedOut. A 400 fails the device at once. A throttled
 *              call (429) is tried again after 1 s, doubling up to 30 s, as long as it takes.
 *   following  the device accepted: its twin reports drive it (applyReport) against the current
 *              phase's deadline; a passed deadline means one last twin read, then timedOut.
 *
 * The tracking's timeline holds only the entries not yet sent to the device's shard (see
 * deviceRows.ts): the shard keeps the whole timeline, so a tracker's state stays small.
 */
import type { FirmwareUpdateReport } from '../../../contracts/firmwareUpdate';
import type { DeviceTimeouts } from './rolloutSpec';
import type { DeviceTracking, TwinReport } from './deviceOutcome';
import {
  applyReport,
  isTerminalDeviceState,
  markAccepted,
  markApplyCalled,
  markStaged,
  phaseDeadline,
  recordNote,
  settle,
  startTracking,
} from './deviceOutcome';

/** The firmwareUpdate method's answer for one device, as the invoke activity classifies it. */
export type InvokeOutcome =
  /**
   * 200: the device took the update and will report through its twin; `staged` when it echoed
   * install 'staged' (it stops at downloadComplete). An agent older than staging never echoes it.
   */
  | { kind: 'accepted'; staged?: true }
  /** 200: the device is already working on this rollout (firmwareApply: already applying it); its current report, if readable. */
  | { kind: 'current'; state: FirmwareUpdateReport | null; staged?: true }
  /** firmwareApply 200: the device started applying its staged image. */
  | { kind: 'applying' }
  /** firmwareApply 409: nothing is staged for this rollout and version on the device. */
  | { kind: 'notStaged'; message: string }
  /** 200: the device already runs this version. */
  | { kind: 'alreadyInstalled'; fwVersion: string }
  /** 400: the device rejected the request, naming the field. */
  | { kind: 'invalid'; field: string; message: string }
  /** 409: the device is busy with another update. */
  | { kind: 'busy'; rolloutId: string | null; message: string }
  /** 404103: the device is not connected. */
  | { kind: 'offline'; message: string }
  /** 429: the hub's throttle refused the call; the device was not reached. */
  | { kind: 'throttled'; message: string }
  /** Anything else; `retryable` when trying again later may help (timeouts, throttling, 5xx). */
  | { kind: 'error'; code: string; message: string; retryable: boolean };

export interface InvokeState {
  /** When the first call was made; the retry window runs from there. */
  startedAt: string;
  attempts: number;
  /** When to call again; null while a call is under way. */
  retryAt: string | null;
  /** The last retryable answer, so a streak of the same answer is one timeline note. */
  lastKind: string | null;
  /** Throttled (429) answers in a row, for their own backoff (absent in states saved before it existed). */
  throttles?: number;
}

export interface TrackedDevice {
  tracking: DeviceTracking;
  /** Until the device accepts (or settles): the method call. */
  invoke: InvokeState | null;
  /**
   * Read the twin at this time unless a report comes first: at once for a device already on the
   * rollout, and a little after the tracker continued as new for every device it follows, since
   * the reports raised in the old execution's last moments may have been dropped with it.
   */
  resyncAt: string | null;
  /**
   * It accepted a staged install and has not taken firmwareApply yet: downloadComplete ends its stage
   * pass, in phase `staged` (absent: it installs at once, or the apply call was taken).
   */
  staging?: true;
}

export const RETRY_FIRST_DELAY_SECONDS = 15;
export const RETRY_MAX_DELAY_SECONDS = 600;
/** A throttled call is tried again after 1 s, doubling up to 30 s: the hub recovers within seconds. */
export const THROTTLED_RETRY_FIRST_SECONDS = 1;
export const THROTTLED_RETRY_MAX_SECONDS = 30;
/** How long after a continue-as-new a followed device may stay quiet before its twin is read. */
export const RESYNC_GRACE_SECONDS = 3;

export function retryDelaySeconds(attempt: number): number {
  return Math.min(RETRY_MAX_DELAY_SECONDS, RETRY_FIRST_DELAY_SECONDS * 2 ** Math.max(0, attempt - 1));
}

/** A device staged in the wave's stage pass, whose firmwareApply call is being made now (its row holds the rest). */
export function startApply(deviceId: string, now: string): TrackedDevice {
  const tracking: DeviceTracking = {
    ...startTracking(deviceId, now),
    state: 'inProgress',
    status: 'downloadComplete',
    phase: 'staged',
    phaseStartedAt: now,
    timeline: [],
  };
  return { tracking, invoke: { startedAt: now, attempts: 0, retryAt: null, lastKind: null }, resyncAt: null, staging: true };
}

/** A device whose first call is being made now. */
export function startTracked(deviceId: string, now: string): TrackedDevice {
  return { tracking: startTracking(deviceId, now), invoke: { startedAt: now, attempts: 0, retryAt: null, lastKind: null }, resyncAt: null };
}

export function isSettled(device: TrackedDevice): boolean {
  return isTerminalDeviceState(device.tracking.state);
}

/**
 * Staged: it accepted a staged install and reports its image downloaded and verified, so its stage
 * pass is over (it waits for firmwareApply). An old agent's downloadComplete is not: it goes on to apply.
 */
export function isStaged(device: TrackedDevice): boolean {
  return device.staging === true && device.tracking.state === 'inProgress' && device.tracking.phase === 'staged';
}

/** Its method call is under way: nothing to tell yet but that it is planned. */
export function isCalling(device: TrackedDevice): boolean {
  return !isSettled(device) && device.invoke !== null && device.invoke.retryAt === null;
}

/** Waiting for its retry time, which has come. */
export function isRetryDue(device: TrackedDevice, now: number): boolean {
  return !isSettled(device) && device.invoke?.retryAt != null && Date.parse(device.invoke.retryAt) <= now;
}

/** The activity itself failed (the app could not run it): the device is tried again later. */
export function invokeFailed(message: string): InvokeOutcome {
  return { kind: 'error', code: 'invokeFailed', message, retryable: true };
}

/** The next call of the method is under way. */
export function callingAgain(device: TrackedDevice): TrackedDevice {
  return device.invoke === null ? device : { ...device, invoke: { ...device.invoke, retryAt: null } };
}

/** What a method answer means for the device. */
export function applyInvokeOutcome(
  device: TrackedDevice,
  outcome: InvokeOutcome,
  now: string,
  timeouts: DeviceTimeouts,
  fwVersion: string,
): TrackedDevice {
  const invoke = device.invoke;
  if (isSettled(device)) return device;
  // Its reports overtook the answer: it is followed already, but whether it stops at downloadComplete is in the answer.
  if (invoke === null)
    return outcome.kind === 'accepted' && outcome.staged && device.staging !== true
      ? { ...device, tracking: markStaged(device.tracking, now), staging: true }
      : device;
  const attempts = invoke.attempts + 1;
  const { tracking } = device;
  switch (outcome.kind) {
    case 'throttled':
      return throttledRetry(device, invoke, now);
    case 'accepted':
      if (!outcome.staged) return { ...device, tracking: markAccepted(tracking, now), invoke: null };
      return {
        ...device,
        tracking: markAccepted(tracking, now, 'accepted the firmwareUpdate method (staged install)'),
        invoke: null,
        staging: true,
      };
    case 'current':
      // The device already has this update (an earlier call's answer was lost): catch up from its twin.
      if (device.staging)
        return { tracking: markApplyCalled(tracking, now, 'the device is already applying this update'), invoke: null, resyncAt: now };
      // A staged install whose `accepted` answer was lost (or a retry of a device still holding its staged image).
      if (outcome.staged)
        return {
          tracking: markAccepted(tracking, now, 'the device already holds this update as a staged install'),
          invoke: null,
          resyncAt: now,
          staging: true,
        };
      return { tracking: markAccepted(tracking, now, 'the device is already working on this rollout'), invoke: null, resyncAt: now };
    case 'applying':
      return { tracking: markApplyCalled(tracking, now, 'accepted the firmwareApply method'), invoke: null, resyncAt: null };
    case 'notStaged': {
      const message = outcome.message;
      return settled(settle(tracking, 'failed', now, `firmwareApply: ${message}`, { code: 'notStaged', message }));
    }
    case 'alreadyInstalled':
      return settled(settle(tracking, 'skipped', now, `the device already runs ${outcome.fwVersion || fwVersion}`));
    case 'invalid': {
      const message = `${outcome.field}: ${outcome.message}`;
      return settled(settle(tracking, 'failed', now, `the device rejected the request: ${message}`, { code: 'invalidRequest', message }));
    }
    case 'error':
      if (!outcome.retryable) {
        return settled(
          settle(tracking, 'failed', now, `${outcome.code}: ${outcome.message}`, { code: outcome.code, message: outcome.message }),
        );
      }
      break;
    case 'busy':
    case 'offline':
      break;
  }
  // Offline, busy, or a transient error: try again later, within the retry window.
  const delay = retryDelaySeconds(attempts);
  const kind = outcome.kind === 'error' ? outcome.code : outcome.kind;
  const reason =
    outcome.kind === 'busy'
      ? `the device is busy (${outcome.message})`
      : outcome.kind === 'offline'
        ? 'the device is offline'
        : `${outcome.code}: ${outcome.message}`;
  const retryAt = Date.parse(now) + delay * 1000;
  if (retryAt > Date.parse(invoke.startedAt) + timeouts.offlineRetryMinutes * 60_000) {
    const message = `${reason}; gave up after ${attempts} attempts over ${timeouts.offlineRetryMinutes} minutes`;
    return settled(settle(tracking, 'timedOut', now, message, { code: kind, message }));
  }
  // One timeline note per streak of the same answer, not one per attempt.
  const noted = kind === invoke.lastKind ? tracking : recordNote(tracking, now, `${reason}; trying again with backoff`);
  // A throttled streak ends here (its count is dropped).
  const next: InvokeState = { startedAt: invoke.startedAt, attempts, retryAt: new Date(retryAt).toISOString(), lastKind: kind };
  return { ...device, tracking: noted, invoke: next };
}

/**
 * Throttling never fails a device: the call is tried again with its own short backoff, and the
 * offline retry window is moved on by the wait, so time spent throttled does not count in it.
 */
function throttledRetry(device: TrackedDevice, invoke: InvokeState, now: string): TrackedDevice {
  const throttles = (invoke.throttles ?? 0) + 1;
  const delayMs = Math.min(THROTTLED_RETRY_MAX_SECONDS, THROTTLED_RETRY_FIRST_SECONDS * 2 ** (throttles - 1)) * 1000;
  const noted =
    invoke.lastKind === 'throttled'
      ? device.tracking
      : recordNote(device.tracking, now, "the hub's throttle refused the call (429); trying again shortly");
  return {
    ...device,
    tracking: noted,
    invoke: {
      ...invoke,
      startedAt: new Date(Date.parse(invoke.startedAt) + delayMs).toISOString(),
      retryAt: new Date(Date.parse(now) + delayMs).toISOString(),
      lastKind: 'throttled',
      throttles,
    },
  };
}

/**
 * The wave's stage deadline passed before the device staged: it no longer holds the wave. Null for
 * a device that goes on: its call is under way, or it installs at once (an agent without staging).
 */
export function missedStageDeadline(device: TrackedDevice, now: string): TrackedDevice | null {
  if (isSettled(device) || isCalling(device) || (device.invoke === null && device.staging !== true)) return null;
  const message = "the wave's stage deadline passed before the device staged the image";
  return settled(settle(device.tracking, 'timedOut', now, message, { code: 'stageDeadline', message }));
}

/** The rollout was canceled before the device took the update. */
export function cancelBeforeStart(device: TrackedDevice, now: string): TrackedDevice {
  return settled(settle(device.tracking, 'canceled', now, 'the rollout was canceled before the device took the update'));
}

/**
 * Twin reports (events or a twin read), in $version order. A report can overtake the method's
 * answer or arrive while a retry waits: the device is working on the update, so it is followed.
 */
export function applyReports(
  device: TrackedDevice,
  reports: readonly TwinReport[],
  target: { rolloutId: string; fwVersion: string },
  now: string,
): TrackedDevice {
  let tracking = device.tracking;
  for (const report of [...reports].sort((a, b) => a.twinVersion - b.twinVersion)) tracking = applyReport(tracking, report, target, now);
  // A staged install's downloadComplete is where it waits: no apply deadline before the firmwareApply call.
  if (device.staging) tracking = markStaged(tracking, now);
  if (tracking === device.tracking) return device;
  return { ...device, tracking, invoke: null, resyncAt: null };
}

/** The tracker continued as new: a followed device's twin is read unless it reports within the grace. */
export function afterSwitch(device: TrackedDevice, now: string): TrackedDevice {
  if (isSettled(device) || device.invoke !== null) return device;
  return { ...device, resyncAt: new Date(Date.parse(now) + RESYNC_GRACE_SECONDS * 1000).toISOString() };
}

/** Its twin is to be read now: a resync is due, or (none set) its phase deadline has passed. */
export function needsTwinRead(device: TrackedDevice, timeouts: DeviceTimeouts, now: number): boolean {
  if (isSettled(device) || device.invoke !== null) return false;
  return (device.resyncAt === null ? deadlineOf(device.tracking, timeouts) : Date.parse(device.resyncAt)) <= now;
}

/** A throttled twin read is made again this much later; the device's verdict waits for it. */
export const TWIN_READ_RETRY_SECONDS = 5;

/** Its twin could not be read (the hub throttled the read): read it again later instead of judging it now. */
export function deferTwinRead(device: TrackedDevice, now: string): TrackedDevice {
  return { ...device, resyncAt: new Date(Date.parse(now) + TWIN_READ_RETRY_SECONDS * 1000).toISOString() };
}

/**
 * When the device's current wait ends (epoch milliseconds): its retry time while invoking; while
 * following, its resync when one is set (the twin read then also judges the deadline), else its
 * phase deadline; null when settled or while a call is under way.
 */
export function nextWakeUp(device: TrackedDevice, timeouts: DeviceTimeouts): number | null {
  if (isSettled(device)) return null;
  if (device.invoke !== null) return device.invoke.retryAt === null ? null : Date.parse(device.invoke.retryAt);
  return device.resyncAt === null ? deadlineOf(device.tracking, timeouts) : Date.parse(device.resyncAt);
}

/** Following, and its phase deadline has passed. */
export function isPastDeadline(device: TrackedDevice, timeouts: DeviceTimeouts, now: number): boolean {
  return !isSettled(device) && device.invoke === null && deadlineOf(device.tracking, timeouts) <= now;
}

/**
 * Trackings never change in place, so each one's deadline is worked out once (a tracker asks on
 * every wait, always with the same timeouts); it is worked out again when asked with other timeouts.
 */
const deadlines = new WeakMap<DeviceTracking, { timeouts: DeviceTimeouts; deadline: number }>();

/** The phase deadline, or methodSeconds after the last change while no phase has started; none while staged. */
function deadlineOf(tracking: DeviceTracking, timeouts: DeviceTimeouts): number {
  const cached = deadlines.get(tracking);
  if (cached?.timeouts === timeouts) return cached.deadline;
  const deadline =
    phaseDeadline(tracking, timeouts) ??
    (tracking.phase === 'staged' ? Infinity : Date.parse(tracking.updatedAt) + timeouts.methodSeconds * 1000);
  deadlines.set(tracking, { timeouts, deadline });
  return deadline;
}

function settled(tracking: DeviceTracking): TrackedDevice {
  return { tracking, invoke: null, resyncAt: null };
}
