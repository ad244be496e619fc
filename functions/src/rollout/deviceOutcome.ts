/**
 * One device's progress through a rollout, as the rollout side sees it: a pure state machine
 * fed by twin reports (events, or the final twin read) and by its tracker's own verdicts (method
 * accepted, rejected, deadline passed, canceled; see trackedDevice.ts). Every function returns the
 * same object when nothing changes, so a caller can skip work with `next === current`.
 */
import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import type { DeviceError, DevicePhase, DeviceRolloutState, InProgressStage, TimelineEntry } from '../../../contracts/rolloutApi';
import { STATUS_TIME_FIELD } from './twinReport';

export type TerminalDeviceState = Exclude<DeviceRolloutState, 'pending' | 'inProgress'>;

export function isTerminalDeviceState(state: DeviceRolloutState): state is TerminalDeviceState {
  return state !== 'pending' && state !== 'inProgress';
}

/**
 * Deadlines in order: `download` covers waiting and downloading, `apply` downloadComplete and applying;
 * `staged` (no deadline) a staged install's downloadComplete until the firmwareApply call.
 */
const PHASE_ORDER: readonly DevicePhase[] = ['accept', 'download', 'staged', 'apply', 'done'];

export interface DeviceTracking {
  deviceId: string;
  state: DeviceRolloutState;
  /** The device's latest status for this rollout; null until it reports. */
  status: FirmwareUpdateStatus | null;
  phase: DevicePhase;
  /** When the current phase's deadline started; null before the device accepted. */
  phaseStartedAt: string | null;
  /** Highest twin $version applied: reports at or below it are duplicates or stale. */
  twinVersion: number | null;
  /** The firmware version the device last reported running. */
  currentFwVersion: string | null;
  /** Download progress, 0-100, while downloading. */
  progress: number | null;
  error: DeviceError | null;
  timeline: TimelineEntry[];
  /** Oldest entries dropped to keep the timeline within MAX_TIMELINE_ENTRIES. */
  timelineDropped: number;
  updatedAt: string;
}

/** A well-behaved device needs about ten entries; the cap only bites on a device that flaps. */
export const MAX_TIMELINE_ENTRIES = 50;

export interface TwinReport {
  /** The twin's $version when it carried this report. */
  twinVersion: number;
  firmwareUpdate?: FirmwareUpdateReport | null;
  currentFwVersion?: string;
  /** When IoT Hub enqueued the change that carried it (absent for a report read from the twin). */
  enqueuedTime?: string;
}

export interface RolloutTarget {
  rolloutId: string;
  fwVersion: string;
}

export function phaseOf(status: FirmwareUpdateStatus | null): DevicePhase {
  switch (status) {
    case null:
      return 'accept';
    case 'waiting':
    case 'downloading':
      return 'download';
    case 'downloadComplete':
    case 'applying':
      return 'apply';
    case 'applyComplete':
    case 'downloadFailed':
    case 'applyFailed':
      return 'done';
  }
}

/**
 * How far an `inProgress` device is, by its last status (IN_PROGRESS_STAGES): no report yet or
 * `waiting`; `downloading`; from `downloadComplete` until it confirms the version (an
 * `applyComplete` still waiting for it included). The failures never leave a device in progress;
 * they map to the stage they end.
 */
export function inProgressStageOf(status: FirmwareUpdateStatus | null): InProgressStage {
  switch (status) {
    case null:
    case 'waiting':
      return 'waiting';
    case 'downloading':
    case 'downloadFailed':
      return 'downloading';
    case 'downloadComplete':
    case 'applying':
    case 'applyComplete':
    case 'applyFailed':
      return 'applying';
  }
}

/** The deadline of a phase, in seconds; null for `done`. */
export function phaseTimeoutSeconds(
  phase: DevicePhase,
  timeouts: { methodSeconds: number; downloadMinutes: number; applyMinutes: number },
): number | null {
  switch (phase) {
    // A device that accepted reports `waiting` at once; the final twin read covers a late event.
    case 'accept':
      return timeouts.methodSeconds;
    case 'download':
      return timeouts.downloadMinutes * 60;
    case 'apply':
      return timeouts.applyMinutes * 60;
    // The wave's stage deadline bounds the wait, not the device's.
    case 'staged':
    case 'done':
      return null;
  }
}

/** When the current phase expires (epoch milliseconds), or null when no deadline runs. */
export function phaseDeadline(
  tracking: DeviceTracking,
  timeouts: { methodSeconds: number; downloadMinutes: number; applyMinutes: number },
): number | null {
  const seconds = phaseTimeoutSeconds(tracking.phase, timeouts);
  if (seconds === null || tracking.phaseStartedAt === null || isTerminalDeviceState(tracking.state)) return null;
  return Date.parse(tracking.phaseStartedAt) + seconds * 1000;
}

export function startTracking(deviceId: string, now: string): DeviceTracking {
  return {
    deviceId,
    state: 'pending',
    status: null,
    phase: 'accept',
    phaseStartedAt: null,
    twinVersion: null,
    currentFwVersion: null,
    progress: null,
    error: null,
    timeline: [{ time: now, state: 'pending', detail: 'planned' }],
    timelineDropped: 0,
    updatedAt: now,
  };
}

/** The device accepted the firmwareUpdate method: the accept deadline starts. */
export function markAccepted(current: DeviceTracking, now: string, detail = 'accepted the firmwareUpdate method'): DeviceTracking {
  if (isTerminalDeviceState(current.state)) return current;
  // A report may have overtaken the method's answer; then the device is already further along.
  const next: DeviceTracking =
    current.state === 'pending' ? { ...current, state: 'inProgress', phaseStartedAt: now, updatedAt: now } : { ...current, updatedAt: now };
  return withEntry(next, { time: now, state: next.state, detail });
}

/** A staged install reached downloadComplete: its image waits for the apply pass, with no deadline of its own. */
export function markStaged(current: DeviceTracking, now: string): DeviceTracking {
  if (current.state !== 'inProgress' || current.status !== 'downloadComplete' || current.phase === 'staged') return current;
  return { ...current, phase: 'staged', phaseStartedAt: now };
}

/** The device took the firmwareApply call (or was applying already): the apply deadline runs from now. */
export function markApplyCalled(current: DeviceTracking, now: string, detail: string): DeviceTracking {
  if (current.state !== 'inProgress') return current;
  const phase = laterPhase(current.phase, 'apply');
  return withEntry({ ...current, phase, phaseStartedAt: now, updatedAt: now }, { time: now, state: current.state, detail });
}

/** An audit note that changes no state (a busy device, an offline retry). */
export function recordNote(current: DeviceTracking, now: string, detail: string): DeviceTracking {
  if (isTerminalDeviceState(current.state)) return current;
  return withEntry({ ...current, updatedAt: now }, { time: now, state: current.state, detail });
}

/**
 * The orchestration's own verdicts: failed (method rejected with 400), timedOut (offline too
 * long, or a deadline passed and the final twin read showed nothing new), skipped (already on
 * the version), canceled (rollout canceled before the device started). Terminal states stick.
 */
export function settle(
  current: DeviceTracking,
  outcome: Exclude<TerminalDeviceState, 'succeeded'>,
  now: string,
  detail: string,
  error: DeviceError | null = null,
): DeviceTracking {
  if (isTerminalDeviceState(current.state)) return current;
  return withEntry(
    { ...current, state: outcome, phase: 'done', error, progress: null, updatedAt: now },
    { time: now, state: outcome, detail },
  );
}

/** timedOut because the current phase's deadline passed; the error code names the phase. */
export function expirePhase(current: DeviceTracking, now: string): DeviceTracking {
  const seen = current.status === null ? 'no report from the device' : `last status ${current.status}`;
  const message = `the ${current.phase} deadline passed (${seen})`;
  return settle(current, 'timedOut', now, message, { code: `${current.phase}Timeout`, message });
}

/**
 * Applies a twin report. Ignored (returns `current`): reports of another rollout or firmware
 * version, duplicates and stale ones (twin $version not above the last applied), anything after
 * a terminal state. Otherwise it records the status, a timeline entry when the status or state
 * changes (progress alone does not), and decides the outcome:
 * - downloadFailed / applyFailed → failed with the device's error;
 * - applyComplete with currentFwVersion = the target → succeeded; with another version →
 *   failed (versionMismatch); without currentFwVersion in the same report → still inProgress
 *   in the apply phase (the version may come in a later patch, which events do not route, so
 *   the final twin read settles it). An older currentFwVersion is never used: it predates the update.
 * Phases only move forward, so a device restarting its download keeps the deadline it had.
 */
export function applyReport(current: DeviceTracking, report: TwinReport, target: RolloutTarget, now: string): DeviceTracking {
  const update = report.firmwareUpdate;
  if (isTerminalDeviceState(current.state) || update === undefined || update === null) return current;
  if (update.rolloutId !== target.rolloutId || update.fwVersion !== target.fwVersion) return current;
  if (current.twinVersion !== null && !(report.twinVersion > current.twinVersion)) return current;

  const { state, error, detail } = judge(update, report.currentFwVersion, target);
  const phase = laterPhase(current.phase, isTerminalDeviceState(state) ? 'done' : phaseOfPending(update.status));
  const next: DeviceTracking = {
    ...current,
    state,
    status: update.status,
    phase,
    phaseStartedAt: phase === current.phase && current.phaseStartedAt !== null ? current.phaseStartedAt : now,
    twinVersion: report.twinVersion,
    currentFwVersion: report.currentFwVersion ?? current.currentFwVersion,
    progress: update.status === 'downloading' ? (update.progress ?? current.progress) : null,
    error,
    updatedAt: now,
  };
  if (update.status === current.status && state === current.state) return next;
  const deviceTime = deviceTimeOf(update);
  return withEntry(next, {
    time: now,
    state,
    status: update.status,
    twinVersion: report.twinVersion,
    ...(deviceTime === null ? {} : { deviceTime }),
    ...(report.enqueuedTime === undefined ? {} : { hubTime: report.enqueuedTime }),
    detail,
  });
}

function judge(
  update: FirmwareUpdateReport,
  currentFwVersion: string | undefined,
  target: RolloutTarget,
): { state: DeviceRolloutState; error: DeviceError | null; detail: string } {
  switch (update.status) {
    case 'downloadFailed':
    case 'applyFailed': {
      const error = update.error ?? { code: update.status, message: `the device reported ${update.status} without an error` };
      return { state: 'failed', error, detail: `${update.status}: ${error.code}: ${error.message}` };
    }
    case 'applyComplete':
      if (currentFwVersion === target.fwVersion) return { state: 'succeeded', error: null, detail: `applied; running ${currentFwVersion}` };
      if (currentFwVersion === undefined) {
        return { state: 'inProgress', error: null, detail: 'applied; waiting for the device to report its firmware version' };
      }
      return {
        state: 'failed',
        error: {
          code: 'versionMismatch',
          message: `the device reported applyComplete but runs ${currentFwVersion}, not ${target.fwVersion}`,
        },
        detail: `applyComplete but running ${currentFwVersion}, not ${target.fwVersion}`,
      };
    case 'downloading':
      return {
        state: 'inProgress',
        error: null,
        detail: update.progress === undefined ? 'downloading' : `downloading (${update.progress} %)`,
      };
    case 'waiting':
      return { state: 'inProgress', error: null, detail: 'waiting to download' };
    case 'downloadComplete':
      return { state: 'inProgress', error: null, detail: 'download complete' };
    case 'applying':
      return { state: 'inProgress', error: null, detail: 'applying the image' };
  }
}

/** The phase of a non-terminal device: applyComplete awaiting its version is still applying. */
function phaseOfPending(status: FirmwareUpdateStatus): DevicePhase {
  return status === 'applyComplete' ? 'apply' : phaseOf(status);
}

function laterPhase(a: DevicePhase, b: DevicePhase): DevicePhase {
  return PHASE_ORDER.indexOf(a) >= PHASE_ORDER.indexOf(b) ? a : b;
}

function deviceTimeOf(update: FirmwareUpdateReport): string | null {
  const field = STATUS_TIME_FIELD[update.status];
  return field === undefined ? null : update[field];
}

function withEntry(tracking: DeviceTracking, entry: TimelineEntry): DeviceTracking {
  const timeline = [...tracking.timeline, entry];
  const excess = Math.max(0, timeline.length - MAX_TIMELINE_ENTRIES);
  return { ...tracking, timeline: timeline.slice(excess), timelineDropped: tracking.timelineDropped + excess };
}
