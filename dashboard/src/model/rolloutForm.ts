/**
 * The start form's values (as typed, all text) and the POST /api/rollouts body they make. The API
 * is the one validator: what cannot be a number goes as typed, so its message names the problem;
 * blank optional fields are left out so its defaults apply.
 */
import type { ApprovalTimeoutAction } from '../../../contracts/rolloutApi';

export interface WaveRow {
  /** Identifies the row across re-renders while rows are added and removed. */
  key: number;
  name: string;
  percent: string;
}

export interface RolloutFormValues {
  version: string;
  uri: string;
  sha256: string;
  size: string;
  /** The signed manifest (a compact JWS); blank: unsigned. */
  manifest: string;
  targetKind: 'query' | 'deviceIds';
  query: string;
  deviceIds: string;
  waves: WaveRow[];
  maxConcurrency: string;
  thresholdPercent: string;
  minDevices: string;
  action: '' | 'pause' | 'abort';
  approval: 'auto' | 'manual';
  /** With manual approval: how long to wait for it, and what then. */
  approvalTimeoutMinutes: string;
  onTimeout: '' | ApprovalTimeoutAction;
  soakSeconds: string;
  /** ISO 8601 with an offset; blank: at once. */
  startAt: string;
  /** One weekly maintenance window (the API takes several): days as typed ("sat, sun"), HH:MM, an IANA zone. */
  windowDays: string;
  windowFrom: string;
  windowTo: string;
  windowTimeZone: string;
  /** `staged`: stage the wave (download and verify on every device), then apply; blank numbers: `true`, the API's defaults. */
  install: 'immediate' | 'staged';
  stagedPercent: string;
  stageDeadlineMinutes: string;
  /** `continuous`: after its waves the rollout takes devices that match the target later. */
  mode: 'once' | 'continuous';
  rescanMinutes: string;
  /** ISO 8601 with an offset; blank: until canceled. */
  until: string;
}

export function emptyForm(): RolloutFormValues {
  return {
    version: '',
    uri: '',
    sha256: '',
    size: '',
    manifest: '',
    targetKind: 'query',
    query: '',
    deviceIds: '',
    waves: [{ key: 0, name: '', percent: '100' }],
    maxConcurrency: '',
    thresholdPercent: '',
    minDevices: '',
    action: '',
    approval: 'auto',
    approvalTimeoutMinutes: '',
    onTimeout: '',
    soakSeconds: '',
    startAt: '',
    windowDays: '',
    windowFrom: '',
    windowTo: '',
    windowTimeZone: '',
    install: 'immediate',
    stagedPercent: '',
    stageDeadlineMinutes: '',
    mode: 'once',
    rescanMinutes: '',
    until: '',
  };
}

/** A number when the text is one, else the text itself (trimmed) for the API to reject by name. */
function numeric(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

/** Only the fields that were filled in. */
function filled(fields: Record<string, string>): Record<string, number | string> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, text]) => text.trim() !== '')
      .map(([name, text]) => [name, numeric(text)]),
  );
}

export function rolloutRequestBody(values: RolloutFormValues): Record<string, unknown> {
  const threshold = {
    ...filled({ percent: values.thresholdPercent, minDevices: values.minDevices }),
    ...(values.action === '' ? {} : { action: values.action }),
  };
  return {
    firmware: {
      version: values.version.trim(),
      uri: values.uri.trim(),
      sha256: values.sha256.trim(),
      size: numeric(values.size),
      ...(values.manifest.trim() === '' ? {} : { manifest: values.manifest.trim() }),
    },
    target:
      values.targetKind === 'query'
        ? { query: values.query }
        : {
            deviceIds: values.deviceIds
              .split('\n')
              .map((line) => line.trim())
              .filter((line) => line !== ''),
          },
    waves: values.waves.map((wave) => ({ ...(wave.name.trim() === '' ? {} : { name: wave.name.trim() }), percent: numeric(wave.percent) })),
    ...filled({ maxConcurrency: values.maxConcurrency, soakSeconds: values.soakSeconds }),
    ...(Object.keys(threshold).length === 0 ? {} : { failureThreshold: threshold }),
    approval: approvalOf(values),
    ...scheduleOf(values),
    ...stageThenApplyOf(values),
    ...modeOf(values),
  };
}

function stageThenApplyOf(values: RolloutFormValues): { stageThenApply?: unknown } {
  if (values.install === 'immediate') return {};
  const given = filled({ stagedPercent: values.stagedPercent, deadlineMinutes: values.stageDeadlineMinutes });
  return { stageThenApply: Object.keys(given).length === 0 ? true : given };
}

function modeOf(values: RolloutFormValues): { mode?: 'continuous'; continuous?: Record<string, unknown> } {
  if (values.mode === 'once') return {};
  const continuous = {
    ...filled({ rescanMinutes: values.rescanMinutes }),
    ...(values.until.trim() === '' ? {} : { until: values.until.trim() }),
  };
  return { mode: 'continuous', ...(Object.keys(continuous).length === 0 ? {} : { continuous }) };
}

/** The shorthand, or the object form once a timeout or its action is given. */
function approvalOf(values: RolloutFormValues): unknown {
  if (values.approvalTimeoutMinutes.trim() === '' && values.onTimeout === '') return values.approval;
  return {
    mode: values.approval,
    ...filled({ timeoutMinutes: values.approvalTimeoutMinutes }),
    ...(values.onTimeout === '' ? {} : { onTimeout: values.onTimeout }),
  };
}

/** `schedule` when a start time or any part of the window was given; the API names what is missing or wrong. */
function scheduleOf(values: RolloutFormValues): { schedule?: Record<string, unknown> } {
  const window = [values.windowDays, values.windowFrom, values.windowTo, values.windowTimeZone].some((text) => text.trim() !== '')
    ? {
        days: values.windowDays
          .split(/[\s,]+/)
          .map((day) => day.trim().toLowerCase())
          .filter((day) => day !== ''),
        from: values.windowFrom.trim(),
        to: values.windowTo.trim(),
        timeZone: values.windowTimeZone.trim(),
      }
    : null;
  const schedule = {
    ...(values.startAt.trim() === '' ? {} : { startAt: values.startAt.trim() }),
    ...(window === null ? {} : { windows: [window] }),
  };
  return Object.keys(schedule).length === 0 ? {} : { schedule };
}
