/**
 * The wire contract between the rollout app (functions/) and the device agent (device/): the
 * direct method, its payload and answers, and the reported properties the device keeps. Both
 * sides import this module, so they cannot drift apart.
 */

/** The direct method a rollout invokes on each device. */
export const FIRMWARE_UPDATE_METHOD = 'firmwareUpdate';

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

export type DownloadErrorCode = 'httpError' | 'network' | 'timeout' | 'sizeMismatch' | 'hashMismatch';
export type ApplyErrorCode = 'installFailed' | 'bootFailed' | 'rolledBack';

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
  firmware?: { currentFwVersion?: string };
}

/** Direct method answers: 200 accepted / current state, 400 invalid (naming the field), 409 busy. */
export type FirmwareUpdateResponse =
  | { status: 'accepted'; rolloutId: string }
  | { status: 'current'; rolloutId: string; state: FirmwareUpdateReport }
  | { status: 'alreadyInstalled'; rolloutId: string; fwVersion: string }
  | { status: 'invalid'; field: string; message: string }
  | { status: 'busy'; rolloutId: string; message: string };

export const METHOD_STATUS = { ok: 200, badRequest: 400, conflict: 409 } as const;
