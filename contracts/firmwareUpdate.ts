/**
 * The wire contract between the rollout app (functions/) and the device agent (device/): the
 * direct method, its payload and answers, and the reported properties the device keeps. Both
 * sides import this module, so they cannot drift apart.
 */
import type { SignatureErrorCode } from './signing/signatureResult';

/** The direct method a rollout invokes on each device. */
export const FIRMWARE_UPDATE_METHOD = 'firmwareUpdate';

/** The direct method that applies an image a `staged` firmwareUpdate downloaded and verified. */
export const FIRMWARE_APPLY_METHOD = 'firmwareApply';

/**
 * When the device installs: `immediate` (the default) right after the download; `staged` keeps the
 * verified image at `downloadComplete` until firmwareApply. An agent older than this field ignores
 * it and installs at once; it answers `accepted` without echoing `install: 'staged'`.
 */
export const INSTALL_MODES = ['immediate', 'staged'] as const;
export type InstallMode = (typeof INSTALL_MODES)[number];

/** Payload of the firmwareUpdate direct method. */
export interface FirmwareUpdateRequest {
  rolloutId: string;
  fwVersion: string;
  /** https:// unless the device allows insecure downloads explicitly. */
  fwPackageUri: string;
  /** SHA-256 of the image, 64 hex digits. */
  sha256: string;
  /** Image size in bytes. */
  size: number;
  /**
   * Which instance of the rollout follows this device; opaque to the device, which echoes it in
   * every report of this update so that its twin changes reach that instance with no lookup.
   */
  tracker?: string;
  /**
   * The rollout's attempt: 2, 3, … when the rollout is retried (absent: 1). A device whose update of
   * this rollout failed starts over for a later attempt; otherwise a request for the rollout it has
   * is answered with its state (`current`), whatever the attempt. Agents older than this field answer
   * `current`, so a retry finds them failed again.
   */
  attempt?: number;
  /** Absent: `immediate`. Any other value is a 400 naming `install`. */
  install?: InstallMode;
  /**
   * The signed manifest of the image (compact JWS, see contracts/signing): an agent with trust roots
   * verifies it, and that it signs fwVersion, sha256 and size, before downloading anything. Agents
   * older than this field, or without trust roots, ignore it.
   */
  manifest?: string;
  /** The app's current root-signed trust bundle (General JSON JWS): a verifying agent adopts it first when newer. */
  trustBundle?: TrustBundleJws;
}

/** A trust bundle as `fleetwave firmware bundle` writes it: one signature per root over the same payload. */
export interface TrustBundleJws {
  payload: string;
  signatures: { protected: string; signature: string }[];
}

/** Payload of the firmwareApply direct method: which staged update to apply. */
export interface FirmwareApplyRequest {
  rolloutId: string;
  fwVersion: string;
  /** Who follows the apply: replaces the staged request's tracker in the reports from here on (absent: none). */
  tracker?: string;
}

/** What a tracker key may be: the characters and length of a Durable instance id the app issues. */
export const TRACKER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:~^-]{0,199}$/;

/** The device's update state machine, as reported in iothubDM.firmwareUpdate.status. */
export const FIRMWARE_UPDATE_STATUSES = [
  'waiting',
  'downloading',
  'downloadComplete',
  'downloadFailed',
  'applying',
  'applyComplete',
  'applyFailed',
] as const;
export type FirmwareUpdateStatus = (typeof FIRMWARE_UPDATE_STATUSES)[number];

/** Statuses after which the device does nothing more for that rollout. */
export const TERMINAL_STATUSES: ReadonlySet<FirmwareUpdateStatus> = new Set(['downloadFailed', 'applyComplete', 'applyFailed']);

/** The last four are the signature checks' (contracts/signing): the device refused the image before downloading it. */
export type DownloadErrorCode = 'httpError' | 'network' | 'timeout' | 'sizeMismatch' | 'hashMismatch' | SignatureErrorCode;
/** imageMissing: the staged image was no longer on the device when it was to be applied. */
export type ApplyErrorCode = 'installFailed' | 'bootFailed' | 'rolledBack' | 'imageMissing';

export interface FirmwareUpdateError {
  code: DownloadErrorCode | ApplyErrorCode;
  message: string;
}

/** properties.reported.iothubDM.firmwareUpdate */
export interface FirmwareUpdateReport {
  status: FirmwareUpdateStatus;
  rolloutId: string;
  fwVersion: string;
  fwPackageUri: string;
  /**
   * The request's tracker, echoed. The agent writes null when the request had none, which deletes
   * an earlier update's tracker from the twin (reported properties merge); readers treat null as absent.
   */
  tracker?: string | null;
  /** Download progress, 0-100, while downloading. */
  progress?: number;
  error: FirmwareUpdateError | null;
  startedWaitingTime: string | null;
  startedDownloadingTime: string | null;
  downloadCompleteTime: string | null;
  startedApplyingImage: string | null;
  lastFirmwareUpdate: string | null;
}

/** The device's reported properties this contract owns. */
export interface FirmwareReportedProperties {
  iothubDM?: { firmwareUpdate?: FirmwareUpdateReport | null };
  /** model and manufacturer: what the device is, when its agent is told (null removes them). */
  firmware?: { currentFwVersion?: string; model?: string | null; manufacturer?: string | null };
}

/**
 * firmwareUpdate answers: 200 accepted (echoing `install: 'staged'` when the device will stop at
 * downloadComplete) / current state (with the same echo when the update it holds is a staged one, so a
 * caller whose first answer was lost still learns it) / already installed, 400 invalid (naming the
 * field), 409 busy.
 */
export type FirmwareUpdateResponse =
  | { status: 'accepted'; rolloutId: string; install?: 'staged' }
  | { status: 'current'; rolloutId: string; state: FirmwareUpdateReport; install?: 'staged' }
  | { status: 'alreadyInstalled'; rolloutId: string; fwVersion: string }
  | { status: 'invalid'; field: string; message: string }
  | { status: 'busy'; rolloutId: string; message: string };

/**
 * firmwareApply answers: 200 applying (it started), 200 current (that update is already applying
 * or applied: nothing restarts), 400 invalid, 409 notStaged (nothing staged for that rollout and
 * version; rolloutId names the device's update, null when it has none).
 */
export type FirmwareApplyResponse =
  | { status: 'applying'; rolloutId: string }
  | { status: 'current'; rolloutId: string; state: FirmwareUpdateReport }
  | { status: 'invalid'; field: string; message: string }
  | { status: 'notStaged'; rolloutId: string | null; message: string };

export const METHOD_STATUS = { ok: 200, badRequest: 400, conflict: 409 } as const;
