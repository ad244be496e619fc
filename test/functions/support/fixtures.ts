import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import type { TwinReportEvent } from '../../../functions/src/orchestrators/contracts';
import type { DeviceTimeouts, FirmwareSpec, RolloutSpec, TwinReport } from '../../../functions/src/rollout';
import { eventReportOf, parseRolloutSpec } from '../../../functions/src/rollout';

export const FIRMWARE: FirmwareSpec = {
  version: '2.1.0',
  uri: 'https://fw.example.com/thermo-x/2.1.0.bin',
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  size: 1_048_576,
};

export const TIMEOUTS: DeviceTimeouts = { methodSeconds: 30, offlineRetryMinutes: 60, downloadMinutes: 30, applyMinutes: 15 };

const TIME_OF: Partial<Record<FirmwareUpdateStatus, keyof FirmwareUpdateReport>> = {
  waiting: 'startedWaitingTime',
  downloading: 'startedDownloadingTime',
  downloadComplete: 'downloadCompleteTime',
  applying: 'startedApplyingImage',
  applyComplete: 'lastFirmwareUpdate',
};

/** A twin's firmware report at `twinVersion`, as a twin read or an event gives it to the tracker. */
export function twinReportAt(twinVersion: number, firmwareUpdate: FirmwareUpdateReport, currentFwVersion?: string): TwinReport {
  return { twinVersion, firmwareUpdate, ...(currentFwVersion === undefined ? {} : { currentFwVersion }) };
}

/** A report as the device agent writes it (toReport): no `error` property when there is none. */
export function deviceReport(
  status: FirmwareUpdateStatus,
  extra: Partial<FirmwareUpdateReport> = {},
  rolloutId = 'r1',
): FirmwareUpdateReport {
  const report = {
    status,
    rolloutId,
    fwVersion: FIRMWARE.version,
    fwPackageUri: FIRMWARE.uri,
    startedWaitingTime: null,
    startedDownloadingTime: null,
    downloadCompleteTime: null,
    startedApplyingImage: null,
    lastFirmwareUpdate: null,
    ...extra,
  } as FirmwareUpdateReport;
  const timeField = TIME_OF[status];
  if (timeField !== undefined && report[timeField] === null)
    (report as unknown as Record<string, unknown>)[timeField] = '2025-01-01T00:00:05.000Z';
  if (extra.error === undefined) delete (report as Partial<FirmwareUpdateReport>).error;
  return report;
}

/**
 * One report of the twinReport event the twin-change handler raises for a reported patch: the
 * device's report (error normalised to null, as parsing does) compacted by eventReportOf.
 */
export function twinEvent(
  twinVersion: number,
  status: FirmwareUpdateStatus,
  options: { deviceId?: string; currentFwVersion?: string; extra?: Partial<FirmwareUpdateReport>; rolloutId?: string } = {},
): TwinReportEvent {
  return {
    deviceId: options.deviceId ?? 'd1',
    twinVersion,
    firmwareUpdate: eventReportOf({ ...deviceReport(status, options.extra, options.rolloutId), error: options.extra?.error ?? null }),
    ...(options.currentFwVersion === undefined ? {} : { currentFwVersion: options.currentFwVersion }),
  };
}

/** A complete spec, as parseRolloutSpec makes it from a request body. */
export function specOf(body: Record<string, unknown>): RolloutSpec {
  const parsed = parseRolloutSpec({ firmware: FIRMWARE, target: { query: "tags.model = 'thermo-x'" }, ...body });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.spec;
}
