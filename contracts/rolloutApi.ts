/**
 * What the rollout HTTP API serves and its clients (the dashboard, the fleetwave CLI, the
 * benches) read: rollout and wave states, devices counted per state, per wave and in total, the
 * rollout's policy and which commands apply, and the per-device rows and timelines. The app
 * builds these shapes (functions/src/rollout, functions/src/http) and its clients type its
 * answers with them, so the two cannot drift apart.
 */
import type { FirmwareUpdateStatus } from './firmwareUpdate';

/** The firmware a rollout installs, as POST /api/rollouts names it and the status repeats it. */
export interface FirmwareSpec {
  version: string;
  uri: string;
  /** 64 hex digits, lower case. */
  sha256: string;
  /** Bytes. */
  size: number;
  /** The image's signed manifest (compact JWS, `fleetwave firmware sign`), handed to every device with the update. */
  manifest?: string;
}

export const ROLLOUT_STATES = [
  'running',
  'paused',
  'awaitingApproval',
  /** Waiting for the schedule's startAt before resolving its targets. */
  'scheduled',
  /** Between waves or within one: no maintenance window is open, so no device starts. */
  'waitingForWindow',
  /**
   * A continuous rollout after its waves: it waits for the next rescan of its target, which picks up the devices that
   * match it by then and were not part of it yet; until it is canceled or its `until` passes.
   */
  'watching',
  'completed',
  'completedWithFailures',
  'aborted',
  'canceled',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export type FinalRolloutState = Extract<RolloutState, 'completed' | 'completedWithFailures' | 'aborted' | 'canceled'>;

/** A wave is also `pending` before it starts and `soaking` while the rollout waits after it. */
export const WAVE_STATES = ['pending', 'soaking', ...ROLLOUT_STATES] as const;
export type WaveState = (typeof WAVE_STATES)[number];

/** Devices per state; `targeted` is always the sum of the others. */
export interface Totals {
  targeted: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  skipped: number;
  canceled: number;
}

/**
 * How far the devices counted `inProgress` are, from their last report: `waiting` accepted the
 * method and has not started downloading (no report yet, or `waiting`); `downloading`; `staged`
 * (stageThenApply only) holds a verified image at `downloadComplete` until the wave's apply pass;
 * `applying` from `downloadComplete` (from the firmwareApply call when staged) until the device
 * confirms the new version.
 */
export const IN_PROGRESS_STAGES = ['waiting', 'downloading', 'staged', 'applying'] as const;
export type InProgressStage = (typeof IN_PROGRESS_STAGES)[number];
/** The `inProgress` devices by stage; the stages always sum to `inProgress`. */
export type InProgressBy = Record<InProgressStage, number>;

export interface WaveStatus extends Totals {
  index: number;
  name: string;
  percent: number;
  state: WaveState;
  inProgressBy: InProgressBy;
  /**
   * With stageThenApply, the pass the wave is in or last ran: `stage` (devices download and stop at
   * downloadComplete), then `apply` (firmwareApply on the staged ones). Absent without stageThenApply.
   */
  pass?: WavePass;
}

export const WAVE_PASSES = ['stage', 'apply'] as const;
export type WavePass = (typeof WAVE_PASSES)[number];

export interface RolloutStatus {
  id: string;
  state: RolloutState;
  firmware: FirmwareSpec;
  createdAt: string;
  updatedAt: string;
  totals: Totals;
  /** The sum of the waves' `inProgressBy`. */
  inProgressBy: InProgressBy;
  waves: WaveStatus[];
}

// ---- GET /api/rollouts/{id}: the rollout with its policy and controls ---------------------------

export const CONTROL_OPERATIONS = ['pause', 'resume', 'approve', 'cancel'] as const;
export type ControlOperation = (typeof CONTROL_OPERATIONS)[number];
/** What devices may do: start (run), not start (pause), never start again (cancel). */
export type ControlCommand = 'run' | 'pause' | 'cancel';
/** `approvalTimeout`: a wave's approval timed out with onTimeout "pause". */
export type PauseReason = 'operator' | 'threshold' | 'approvalTimeout';

export interface ControlLogEntry {
  time: string;
  /** Besides the operator's commands: the failure threshold's pause, what an approval timeout did, and a retry starting. */
  operation: ControlOperation | 'thresholdPause' | 'approvalTimeout' | 'retry';
  detail: string;
}

export const APPROVAL_MODES = ['auto', 'manual'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];
export const APPROVAL_TIMEOUT_ACTIONS = ['cancel', 'approve', 'pause'] as const;
/** What an approval that did not come in time turns into. */
export type ApprovalTimeoutAction = (typeof APPROVAL_TIMEOUT_ACTIONS)[number];

/**
 * 'manual': each wave after the first waits for POST …/approve; for `timeoutMinutes` at most when
 * set, and then `onTimeout` applies (the two come together, and only with 'manual').
 */
export interface ApprovalPolicy {
  mode: ApprovalMode;
  timeoutMinutes?: number;
  onTimeout?: ApprovalTimeoutAction;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A weekly maintenance window: from `from` to `to` (HH:MM, local wall-clock time in `timeZone`, an
 * IANA region id) on each of `days`, the days it starts on; `to` ≤ `from` ends it the next day.
 * See functions/src/rollout/maintenanceWindows.ts for DST days.
 */
export interface MaintenanceWindow {
  days: Weekday[];
  from: string;
  to: string;
  timeZone: string;
}

/** When devices may start: not before `startAt` (ISO 8601 with offset), and only inside one of `windows` (their union). */
export interface RolloutSchedule {
  startAt?: string;
  windows?: MaintenanceWindow[];
}

/**
 * Stage, then apply, per wave. The stage pass: every device downloads and verifies the image and
 * stops there (firmwareUpdate with install 'staged'), until all have finished it or `deadlineMinutes`
 * after it started (devices not staged by then time out, or are canceled if never started: they do
 * not hold the rest). Then the barrier: when at least `stagedPercent` of the wave's devices are staged
 * (or already on the version), the apply pass applies the staged ones (firmwareApply, inside a
 * maintenance window when the schedule has windows). When fewer are, nothing is applied and the
 * failure threshold's action applies: pause (a resume applies the staged devices anyway) or abort.
 * In a request, `true` means the defaults.
 */
export interface StageThenApply {
  /** Share of the wave's devices that must be staged (or up to date) for its apply pass, 0.01..100 (default 100). */
  stagedPercent: number;
  /** How long the stage pass may take, from its start (at most 7 days). */
  deadlineMinutes: number;
}

/** `once`: the devices the target matches when the rollout starts. `continuous`: also those that match it later. */
export const ROLLOUT_MODES = ['once', 'continuous'] as const;
export type RolloutMode = (typeof ROLLOUT_MODES)[number];

/** How a continuous rollout watches its target after its waves. */
export interface ContinuousPolicy {
  /** Minutes between two runs of the target query (fractional allowed; see SPEC_LIMITS.rescanMinutes). */
  rescanMinutes: number;
  /** When it stops watching (ISO 8601 with offset); absent: until canceled. */
  until?: string;
}

/** What a continuous rollout picked up after its waves. */
export interface ContinuousProgress {
  /** The index in `waves` of the wave named "continuous" that runs the devices picked up (the last wave). */
  wave: number;
  /** Devices picked up by rescans to be updated: that wave's `targeted`. */
  pickedUp: number;
  /** Devices a rescan found new but already on the version: counted skipped, once. */
  skipped: number;
  /** Rescans run so far. */
  rescans: number;
  /** When the last rescan ran (ISO 8601); null before the first. */
  lastRescanAt: string | null;
}

/** The policies of the rollout's spec that its status depends on. */
export interface RolloutPolicy {
  failureThreshold: { percent: number; minDevices: number; action: 'pause' | 'abort' };
  approval: ApprovalPolicy;
  maxConcurrency: number;
  soakSeconds: number;
  /** Absent when the spec has none (devices start at once, at any time). */
  schedule?: RolloutSchedule;
  /** Absent when each device installs right after its download. */
  stageThenApply?: StageThenApply;
  /** Present exactly when the rollout's mode is `continuous`. */
  continuous?: ContinuousPolicy;
}

/** The failure threshold as it stands, judged on one wave's devices (the wave running, or the last one that ran). */
export interface FailureShare {
  wave: number;
  /** succeeded + failed + timedOut in that wave. */
  finished: number;
  /** failed + timedOut in that wave. */
  failed: number;
  /** failed / finished × 100, two decimals; 0 before any device finished. */
  percent: number;
}

export interface RolloutLinks {
  status: string;
  devices: string;
  pause: string;
  resume: string;
  approve: string;
  cancel: string;
  retry: string;
}

/** The GET /api/rollouts/{id} body, and each item of GET /api/rollouts. */
export interface RolloutView extends RolloutStatus {
  /**
   * What the orchestration is doing: scheduled, resolvingTargets, running, soaking, awaitingApproval,
   * waitingForWindow, watching, paused, or the final state.
   */
  phase: string;
  /** When the first device started; null before. */
  startedAt: string | null;
  /** Null for a rollout whose spec is no longer known (its orchestration was purged). */
  policy: RolloutPolicy | null;
  /** While `waitingForWindow`: when the next maintenance window opens (ISO 8601); null otherwise. */
  nextWindowAt: string | null;
  /** While `awaitingApproval` with an approval timeout: when onTimeout applies (ISO 8601); null otherwise. */
  approvalDeadline: string | null;
  /** `continuous` when `policy.continuous` is set. */
  mode: RolloutMode;
  /** While `watching` (or paused while watching): when the next rescan of the target runs (ISO 8601); null otherwise. */
  nextRescanAt: string | null;
  /** A continuous rollout once it is watching (null before, and for mode `once`). */
  continuous: ContinuousProgress | null;
  /** Null until a device of the rollout finished. */
  failureShare: FailureShare | null;
  control: {
    command: ControlCommand;
    pauseReason: PauseReason | null;
    /** The wave the rollout is on (running it, or awaiting approval to start it); null before planning. */
    wave: number | null;
    approvedThrough: number;
    log: ControlLogEntry[];
  };
  /**
   * Per command: null when it applies now, otherwise why not (the reason a POST would get with its 409). `retry`: the
   * answer to POST …/retry without a body (failed and timedOut devices).
   */
  actions: Record<RolloutAction, string | null>;
  /** The attempt the rollout is on, or ended with: 1 for the original run, +1 per retry. */
  attempt: number;
  /** Every attempt, oldest first (empty before the rollout planned its devices). */
  attempts: RolloutAttempt[];
  error?: string;
  links: RolloutLinks;
}

// ---- POST /api/rollouts/{id}/retry: a new attempt on some devices of a finished rollout ---------

/** What POST …/{command} may be, and what `actions` answers for. */
export type RolloutAction = ControlOperation | 'retry';

/**
 * The device states a retry may take. Canceled devices (never started, or stopped by a cancel or an
 * abort) are retried only when `states` names them; succeeded, skipped, pending and inProgress never.
 */
export const RETRYABLE_DEVICE_STATES = ['failed', 'timedOut', 'canceled'] as const;
export type RetryableDeviceState = (typeof RETRYABLE_DEVICE_STATES)[number];
export const DEFAULT_RETRY_STATES: readonly RetryableDeviceState[] = ['failed', 'timedOut'];

/** The body of POST …/retry; both fields optional (an empty body retries failed and timedOut devices). */
export interface RetryRequest {
  states?: RetryableDeviceState[];
  /** Only devices whose error has one of these codes (so never canceled ones, which have none). */
  errorCodes?: string[];
}

/** Which devices an attempt after the first runs again: those in one of `states` and, unless null, with one of `errorCodes`. */
export interface RetrySelection {
  states: RetryableDeviceState[];
  errorCodes: string[] | null;
}

/** The 202 answer of POST …/retry. */
export interface RetryAccepted {
  id: string;
  attempt: number;
  /** The devices that matched when the retry was asked for. */
  devices: number;
  selection: RetrySelection;
  links: RolloutLinks;
}

/** One run over the rollout's devices: attempt 1 is the original run, each retry one more through the same waves and policies. */
export interface RolloutAttempt {
  attempt: number;
  /** When the attempt began (attempt 1: when the rollout was created). */
  startedAt: string;
  /** Null while it runs. */
  finishedAt: string | null;
  /** The devices it retried; null for attempt 1 (every target). */
  retried: RetrySelection | null;
  /** Its devices by how they stand in it (attempt 1: every target as it ended, skipped included). The rollout's totals are each device's latest. */
  totals: Totals;
}

export interface RolloutPage {
  items: RolloutView[];
  continuationToken: string | null;
}

// ---- GET /api/rollouts/{id}/devices[/{deviceId}] ---------------------------------------------

export const DEVICE_ROLLOUT_STATES = ['pending', 'inProgress', 'succeeded', 'failed', 'timedOut', 'skipped', 'canceled'] as const;
export type DeviceRolloutState = (typeof DEVICE_ROLLOUT_STATES)[number];

export interface DeviceError {
  /** The device's code (httpError, hashMismatch, installFailed, …) or the rollout's own (versionMismatch, …). */
  code: string;
  message: string;
}

export function isFinalRolloutState(state: RolloutState): state is FinalRolloutState {
  return state === 'completed' || state === 'completedWithFailures' || state === 'aborted' || state === 'canceled';
}

/**
 * Which deadline runs: `accept` until the first report, then `download`, then `apply`; `done` after a verdict.
 * `staged` (stageThenApply): none; the image waits for the wave's apply pass, whose call starts `apply`.
 */
export type DevicePhase = 'accept' | 'download' | 'staged' | 'apply' | 'done';

export interface TimelineEntry {
  /** When the rollout observed it (orchestration time, ISO 8601). */
  time: string;
  state: DeviceRolloutState;
  /** The device's status, for entries that come from its twin. */
  status?: FirmwareUpdateStatus;
  twinVersion?: number;
  /** The device's own timestamp for that status, when it reported one. */
  deviceTime?: string;
  /** When IoT Hub enqueued the report, for reports that came as twin-change events. */
  hubTime?: string;
  /** On the entry that puts the device back to pending for a retry: that attempt's number. */
  attempt?: number;
  detail: string;
}

/** An item of GET /api/rollouts/{id}/devices. */
export interface DeviceRow {
  deviceId: string;
  /** The wave index; null for devices skipped before planning. */
  wave: number | null;
  state: DeviceRolloutState;
  status: FirmwareUpdateStatus | null;
  error: DeviceError | null;
  updatedAt: string;
  /** The attempt that last ran (or is to run) the device; absent in a stored row means 1. */
  attempt?: number;
}

export interface DevicePage {
  items: (DeviceRow & { links: { self: string } })[];
  /** With a filter a page may hold fewer rows than asked for and still have a token: follow it until it is null. */
  continuationToken: string | null;
  /** False while the rollout is still resolving its targets. */
  planned: boolean;
}

/** What the device's tracker knows beyond the row; null/empty until it starts the device. */
export interface DeviceDetail {
  phase: DevicePhase | null;
  twinVersion: number | null;
  currentFwVersion: string | null;
  /** Download progress, 0-100, while downloading. */
  progress: number | null;
  /** The newest entries (at most 50). */
  timeline: TimelineEntry[];
  /** Oldest entries dropped to keep the timeline bounded. */
  timelineDropped: number;
}

/** GET /api/rollouts/{id}/devices/{deviceId}. */
export type DeviceView = DeviceRow & DeviceDetail & { rolloutId: string };
