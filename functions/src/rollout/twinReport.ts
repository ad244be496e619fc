/**
 * Reading the device's firmware reports out of twin JSON: the reported section of a twin-change
 * event (a patch) or of a twin read (the whole section). Both come from outside the app, so every
 * field is checked; a report the rollout cannot use is a problem, never a guess.
 *
 * The order of reports is the reported section's `$version`, which IoT Hub bumps on every
 * reported-properties update and which both a twin-change event (`properties.reported.$version`)
 * and a twin read carry, so events and reads are compared on the same scale.
 *
 * A null in a twin patch deletes the property: a device with no error has no `error` at all, and
 * a reported `iothubDM.firmwareUpdate: null` means the device has no update (anymore).
 */
import { FIRMWARE_UPDATE_STATUSES, TRACKER_PATTERN } from '../../../contracts/firmwareUpdate';
import type { FirmwareUpdateError, FirmwareUpdateReport, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { isRecord } from '../../../contracts/guards';
import type { TwinReport } from './deviceOutcome';
import { isValidDeviceId } from './identifiers';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

const TIME_FIELDS = [
  'startedWaitingTime',
  'startedDownloadingTime',
  'downloadCompleteTime',
  'startedApplyingImage',
  'lastFirmwareUpdate',
] as const;
type TimeField = (typeof TIME_FIELDS)[number];

/** Which of the report's times the device set when it entered each status (failures keep the earlier ones). */
export const STATUS_TIME_FIELD: Readonly<Partial<Record<FirmwareUpdateStatus, TimeField>>> = {
  waiting: 'startedWaitingTime',
  downloading: 'startedDownloadingTime',
  downloadComplete: 'downloadCompleteTime',
  applying: 'startedApplyingImage',
  applyComplete: 'lastFirmwareUpdate',
};

/** A report as a `twinReport` event carries it: what the tracker judges on and the time of its status, no more. */
export type EventReport = Pick<FirmwareUpdateReport, 'status' | 'rolloutId' | 'fwVersion' | 'progress'> &
  Partial<Pick<FirmwareUpdateReport, TimeField | 'error'>>;

/** The event's share of a report: about a third of its size, and what parseFirmwareUpdateReport reads back as the same verdict. */
export function eventReportOf(report: FirmwareUpdateReport): EventReport {
  const compact: EventReport = { status: report.status, rolloutId: report.rolloutId, fwVersion: report.fwVersion };
  if (report.progress !== undefined) compact.progress = report.progress;
  if (report.error !== null) compact.error = report.error;
  const field = STATUS_TIME_FIELD[report.status];
  if (field !== undefined && report[field] !== null) compact[field] = report[field];
  return compact;
}

/**
 * `iothubDM.firmwareUpdate` as the device reported it. status, rolloutId and fwVersion must be
 * right, or the report cannot be attributed; the rest is optional and normalised (missing times
 * and error become null, a malformed progress is dropped).
 */
export function parseFirmwareUpdateReport(value: unknown): ParseResult<FirmwareUpdateReport> {
  if (!isRecord(value)) return { ok: false, problem: 'iothubDM.firmwareUpdate must be an object' };
  const { status, rolloutId, fwVersion, fwPackageUri, tracker, progress, error } = value;
  if (typeof status !== 'string' || !(FIRMWARE_UPDATE_STATUSES as readonly string[]).includes(status)) {
    return { ok: false, problem: `iothubDM.firmwareUpdate.status must be one of ${FIRMWARE_UPDATE_STATUSES.join(', ')}` };
  }
  if (typeof rolloutId !== 'string' || rolloutId === '')
    return { ok: false, problem: 'iothubDM.firmwareUpdate.rolloutId must be a non-empty string' };
  if (typeof fwVersion !== 'string' || fwVersion === '')
    return { ok: false, problem: 'iothubDM.firmwareUpdate.fwVersion must be a non-empty string' };
  if (tracker !== undefined && tracker !== null && (typeof tracker !== 'string' || !TRACKER_PATTERN.test(tracker))) {
    return { ok: false, problem: 'iothubDM.firmwareUpdate.tracker must be a tracker key as the rollout sent it' };
  }
  const parsedError = parseError(error);
  if (!parsedError.ok) return parsedError;
  const report: FirmwareUpdateReport = {
    status: status as FirmwareUpdateStatus,
    rolloutId,
    fwVersion,
    fwPackageUri: typeof fwPackageUri === 'string' ? fwPackageUri : '',
    ...(typeof tracker === 'string' ? { tracker } : {}),
    error: parsedError.value,
    startedWaitingTime: null,
    startedDownloadingTime: null,
    downloadCompleteTime: null,
    startedApplyingImage: null,
    lastFirmwareUpdate: null,
  };
  for (const field of TIME_FIELDS) {
    const time = value[field];
    if (typeof time === 'string') report[field] = time;
  }
  if (typeof progress === 'number' && Number.isFinite(progress) && progress >= 0 && progress <= 100) report.progress = progress;
  return { ok: true, value: report };
}

function parseError(error: unknown): ParseResult<FirmwareUpdateError | null> {
  if (error === undefined || error === null) return { ok: true, value: null };
  if (!isRecord(error) || typeof error.code !== 'string' || error.code === '') {
    return { ok: false, problem: 'iothubDM.firmwareUpdate.error must be null or {code, message}' };
  }
  const message = typeof error.message === 'string' ? error.message : '';
  return { ok: true, value: { code: error.code as FirmwareUpdateError['code'], message } };
}

/**
 * A twin report from a reported-properties section: `$version` (required, a non-negative
 * integer), `iothubDM.firmwareUpdate` (absent: the section says nothing about it; null: no
 * update) and `firmware.currentFwVersion` when present as a string.
 */
export function twinReportOf(reported: unknown): ParseResult<TwinReport> {
  if (!isRecord(reported)) return { ok: false, problem: 'properties.reported must be an object' };
  const version = reported.$version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    return { ok: false, problem: 'properties.reported.$version must be a non-negative integer' };
  }
  const report: TwinReport = { twinVersion: version };
  const iothubDM = reported.iothubDM;
  if (isRecord(iothubDM) && 'firmwareUpdate' in iothubDM) {
    const update = iothubDM.firmwareUpdate;
    if (update === null) report.firmwareUpdate = null;
    else if (update !== undefined) {
      const parsed = parseFirmwareUpdateReport(update);
      if (!parsed.ok) return parsed;
      report.firmwareUpdate = parsed.value;
    }
  }
  const firmware = reported.firmware;
  if (isRecord(firmware) && typeof firmware.currentFwVersion === 'string') report.currentFwVersion = firmware.currentFwVersion;
  return { ok: true, value: report };
}

/**
 * The rollout a reported section's firmware update names, without judging the rest of it:
 * how the event handler decides whether an event concerns a rollout at all.
 */
export function reportedRolloutId(reported: unknown): string | null {
  if (!isRecord(reported) || !isRecord(reported.iothubDM)) return null;
  const update = reported.iothubDM.firmwareUpdate;
  return isRecord(update) && typeof update.rolloutId === 'string' && update.rolloutId !== '' ? update.rolloutId : null;
}

/**
 * Download progress reports repeat `downloading` up to once a second and change nothing the
 * rollout decides on. Forwarding only the transition (progress absent or 0) and every tenth
 * percent keeps a device's event count near ten instead of one per second of download.
 */
export function isProgressOnly(report: FirmwareUpdateReport): boolean {
  return report.status === 'downloading' && report.progress !== undefined && report.progress !== 0 && report.progress % 10 !== 0;
}

/** A report of a `twinReport` event, with the device it is from. */
export interface DeviceReport {
  deviceId: string;
  report: TwinReport;
}

/**
 * The payload of a `twinReport` external event (see orchestrators/contracts.ts) as a tracker
 * receives it: `{ reports: [{ deviceId, twinVersion, … }] }`. Checked again here, since anyone
 * holding the system key can raise an event on an instance: each bad report is named and left
 * out, the good ones are kept.
 */
export function parseTwinReportsEvent(value: unknown): { reports: DeviceReport[]; problems: string[] } {
  if (!isRecord(value) || !Array.isArray(value.reports)) return { reports: [], problems: ['the event must be {reports: [...]}'] };
  const reports: DeviceReport[] = [];
  const problems: string[] = [];
  value.reports.forEach((item: unknown, index) => {
    const deviceId = isRecord(item) ? item.deviceId : undefined;
    const parsed = parseTwinReportEvent(item);
    if (typeof deviceId !== 'string' || !isValidDeviceId(deviceId)) problems.push(`reports[${index}]: deviceId must be a device id`);
    else if (!parsed.ok) problems.push(`reports[${index}]: ${parsed.problem}`);
    else reports.push({ deviceId, report: parsed.value });
  });
  return { reports, problems };
}

/** One report of a `twinReport` event (its deviceId aside). */
export function parseTwinReportEvent(value: unknown): ParseResult<TwinReport> {
  if (!isRecord(value)) return { ok: false, problem: 'the report must be an object' };
  const { twinVersion, firmwareUpdate, currentFwVersion, enqueuedTime } = value;
  if (typeof twinVersion !== 'number' || !Number.isSafeInteger(twinVersion) || twinVersion < 0) {
    return { ok: false, problem: 'twinVersion must be a non-negative integer' };
  }
  const report: TwinReport = { twinVersion };
  if (firmwareUpdate === null) report.firmwareUpdate = null;
  else if (firmwareUpdate !== undefined) {
    const parsed = parseFirmwareUpdateReport(firmwareUpdate);
    if (!parsed.ok) return parsed;
    report.firmwareUpdate = parsed.value;
  }
  if (typeof currentFwVersion === 'string') report.currentFwVersion = currentFwVersion;
  if (typeof enqueuedTime === 'string' && !Number.isNaN(Date.parse(enqueuedTime))) report.enqueuedTime = enqueuedTime;
  return { ok: true, value: report };
}
