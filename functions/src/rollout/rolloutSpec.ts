/**
 * The POST /api/rollouts request: its schema, limits and defaults. `parseRolloutSpec` turns any
 * JSON body into either a complete spec (every default applied) or the full list of problems,
 * each naming its field (`firmware.sha256`, `waves[1].percent`, `target.deviceIds[7]`).
 */
import { z } from 'zod';
import { isRecord } from '../../../contracts/guards';
import { MANIFEST_MAX_LENGTH } from '../../../contracts/signing/signedManifest';
import { APPROVAL_MODES, APPROVAL_TIMEOUT_ACTIONS, ROLLOUT_MODES, WEEKDAYS } from '../../../contracts/rolloutApi';
import type {
  ApprovalMode,
  ApprovalPolicy,
  ContinuousPolicy,
  FirmwareSpec,
  MaintenanceWindow,
  RolloutSchedule,
  StageThenApply,
} from '../../../contracts/rolloutApi';
import { DEVICE_ID_PATTERN, DEVICE_ID_RULE, ROLLOUT_ID_PATTERN, ROLLOUT_ID_RULE } from './identifiers';
import { WALL_TIME, minutesOf, overlappingWindows, timeZoneProblem } from './maintenanceWindows';
import { PERCENT_RESOLUTION, basisPoints, hasPercentResolution } from './percent';
import { queryConditionProblems } from './twinQueryCondition';

export const FAILURE_ACTIONS = ['pause', 'abort'] as const;
export type FailureAction = (typeof FAILURE_ACTIONS)[number];

/** Exactly one of a twin query condition (the WHERE clause, without WHERE) or explicit device ids. */
export type TargetSpec = { query: string } | { deviceIds: string[] };

export interface WaveSpec {
  name: string;
  /** Cumulative share of the targets reached once this wave is done, from 0.01 to 100; 0.01 resolution. */
  percent: number;
}

export interface FailureThreshold {
  /** Trips when strictly more than this share of finished devices failed; 0..100, 0.01 resolution. */
  percent: number;
  /** Finished devices needed before the threshold is judged at all (no verdict on 1 of 1). */
  minDevices: number;
  action: FailureAction;
}

export interface DeviceTimeouts {
  /**
   * Direct method response timeout (IoT Hub's responseTimeoutInSeconds), integer; also the time a
   * device that accepted has to report its first status (the accept phase).
   */
  methodSeconds: number;
  /** How long an offline device is retried before it is timedOut. */
  offlineRetryMinutes: number;
  /** Deadline from the device's first report (waiting) until downloadComplete. */
  downloadMinutes: number;
  /** Deadline from downloadComplete until applyComplete. */
  applyMinutes: number;
}

/** A validated request with every default applied. */
export interface RolloutSpec {
  /** Absent when the caller is to generate one. */
  rolloutId?: string;
  firmware: FirmwareSpec;
  target: TargetSpec;
  waves: WaveSpec[];
  maxConcurrency: number;
  failureThreshold: FailureThreshold;
  /** Normalised: the shorthands "auto" and "manual" become { mode }. */
  approval: ApprovalPolicy;
  soakSeconds: number;
  deviceTimeouts: DeviceTimeouts;
  /** Absent: devices start at once and at any time (and the spec's fingerprint is as before schedules existed). */
  schedule?: RolloutSchedule;
  /** Absent: each device installs right after its download (and the fingerprint is as before staging existed). */
  stageThenApply?: StageThenApply;
  /** Present exactly with mode "continuous" (mode "once" leaves the fingerprint as before continuous rollouts existed). */
  continuous?: ContinuousPolicy;
}

export interface SpecProblem {
  /** Path of the offending field, `(body)` for the body as a whole. */
  field: string;
  message: string;
}

export type ParseRolloutSpecResult = { ok: true; spec: RolloutSpec } | { ok: false; problems: SpecProblem[] };

export interface ParseRolloutSpecOptions {
  /** Accept http:// firmware URIs (local stacks without TLS); https:// only otherwise. */
  allowInsecureFirmwareUri?: boolean;
  /** The time of the request (epoch ms), for `schedule.startAt`'s upper bound and `continuous.until`; without it those are not checked. */
  now?: number;
}

export const BODY_FIELD = '(body)';

/**
 * Bounds, and why where it is not obvious:
 * - firmwareUri 2048: the classic URL limit of proxies and CDNs; a SAS token fits easily.
 * - methodSeconds 5..300, integer: IoT Hub's own range for responseTimeoutInSeconds.
 * - offlineRetryMinutes ≤ 7 days: a device offline longer than a week is not coming back for this rollout.
 * - downloadMinutes, applyMinutes ≤ 24 h: generous for slow links and long installs, yet a stuck
 *   device is noticed the same day. Minutes may be fractional (0.5 for a quick local demo).
 * - approval.timeoutMinutes ≤ 30 days: an approval nobody gave in a month is not coming; fractional too.
 * - stageThenApply.deadlineMinutes ≤ 7 days: how long a wave's stage pass may last (staged images wait that long at most).
 * - continuous.rescanMinutes 0.5..1440: each rescan runs the target query again (one IoT Hub query per 1,000 matching
 *   devices, or per 100 listed ids), the hub's scarcest operation (20 a minute per S1 unit); a day at most, so a
 *   device that newly matches waits no longer than that. The orchestration spaces rescans further when the hub's
 *   tier is set (see rollout/continuousRescan.ts).
 * - soakSeconds and maxConcurrency are integers; rollout ids, firmware versions and wave names
 *   are at most 64 characters (see their patterns); percents have at most two decimals.
 */
export const SPEC_LIMITS = {
  firmwareUriLength: 2048,
  deviceIds: 100_000,
  waves: 20,
  maxConcurrency: { min: 1, max: 1000 },
  soakSeconds: { min: 0, max: 86_400 },
  methodSeconds: { min: 5, max: 300 },
  offlineRetryMinutes: { max: 7 * 24 * 60 },
  downloadMinutes: { max: 24 * 60 },
  applyMinutes: { max: 24 * 60 },
  /** Maintenance windows: two a day for a week. */
  windows: 14,
  startAtDaysAhead: 366,
  approvalTimeoutMinutes: { max: 30 * 24 * 60 },
  stageDeadlineMinutes: { max: 7 * 24 * 60 },
  rescanMinutes: { min: 0.5, max: 24 * 60 },
} as const;

export const DEFAULT_MAX_CONCURRENCY = 50;
export const DEFAULT_SOAK_SECONDS = 0;
export const DEFAULT_APPROVAL: ApprovalMode = 'auto';
export const DEFAULT_MIN_DEVICES = 5;
export const DEFAULT_FAILURE_ACTION: FailureAction = 'pause';
export const DEFAULT_RESCAN_MINUTES = 15;

export function defaultWaves(): WaveSpec[] {
  return [{ name: defaultWaveName(0), percent: 100 }];
}

export function defaultFailureThreshold(): FailureThreshold {
  return { percent: 10, minDevices: DEFAULT_MIN_DEVICES, action: DEFAULT_FAILURE_ACTION };
}

/** What `stageThenApply: true` stands for: wait for the whole wave, for a day at most. */
export function defaultStageThenApply(): StageThenApply {
  return { stagedPercent: 100, deadlineMinutes: 24 * 60 };
}

export function defaultDeviceTimeouts(): DeviceTimeouts {
  return { methodSeconds: 30, offlineRetryMinutes: 60, downloadMinutes: 30, applyMinutes: 15 };
}

/**
 * The approval policy of a spec. Rollouts started before the object form existed hold the mode
 * string in their orchestration input; it means the same as { mode } without a timeout.
 */
export function approvalPolicy(approval: ApprovalPolicy | ApprovalMode): ApprovalPolicy {
  return typeof approval === 'string' ? { mode: approval } : approval;
}

/** The name of an unnamed wave: `wave-1` for the first. */
export function defaultWaveName(index: number): string {
  return `wave-${index + 1}`;
}

export function parseRolloutSpec(body: unknown, options: ParseRolloutSpecOptions = {}): ParseRolloutSpecResult {
  const result = requestSchema(options.allowInsecureFirmwareUri === true).safeParse(body);
  if (!result.success) return { ok: false, problems: toProblems(result.error.issues) };
  const startAt = result.data.schedule?.startAt;
  const problems: SpecProblem[] = [];
  if (startAt !== undefined && options.now !== undefined && Date.parse(startAt) > options.now + SPEC_LIMITS.startAtDaysAhead * DAY_MS) {
    problems.push({ field: 'schedule.startAt', message: `must be at most ${SPEC_LIMITS.startAtDaysAhead} days ahead` });
  }
  const until = result.data.continuous?.until;
  if (until !== undefined && options.now !== undefined && Date.parse(until) <= options.now) {
    problems.push({ field: 'continuous.until', message: 'must be in the future' });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec: result.data };
}

// ---------------------------------------------------------------------------------------------
// Schema

// Printable ASCII, no leading or trailing space: versions are compared byte for byte with what
// the device reports, and a stray space would never match.
const PRINTABLE_NAME = /^[\x21-\x7E](?:[\x20-\x7E]{0,62}[\x21-\x7E])?$/;
const PRINTABLE_NAME_RULE = '1-64 printable ASCII characters, without leading or trailing spaces';
const SHA256 = /^[0-9a-fA-F]{64}$/;

type IssueInput = { readonly input?: unknown };
/** Error map: 'is required' when the field is missing, `message` otherwise. */
function requiredOr(message: string): (issue: IssueInput) => string {
  return (issue) => (issue.input === undefined ? 'is required' : message);
}

function object<Shape extends z.ZodRawShape>(shape: Shape, expected = 'must be an object') {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field (known fields: ${known})` : requiredOr(expected)(issue)),
  });
}

function patterned(pattern: RegExp, rule: string) {
  return z.string({ error: requiredOr(`must be a string: ${rule}`) }).regex(pattern, { error: `must be ${rule}` });
}

function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const message = max === Number.MAX_SAFE_INTEGER ? `must be an integer of at least ${min}` : `must be an integer from ${min} to ${max}`;
  return z
    .number({ error: requiredOr(message) })
    .refine((value) => Number.isSafeInteger(value) && value >= min && value <= max, { error: message });
}

/** A number in (0, max]. */
function positive(max: number) {
  const message = `must be a number greater than 0 and at most ${max}`;
  return z.number({ error: requiredOr(message) }).refine((value) => value > 0 && value <= max, { error: message });
}

/**
 * Percents are counted in basis points (see percent.ts). A wave's percent starts one step above
 * 0: any smaller share counts as 0 % and makes an empty wave.
 */
const PERCENT_FLOORS = { zero: 0, oneStep: PERCENT_RESOLUTION } as const;
type PercentFloor = keyof typeof PERCENT_FLOORS;

function isPercent(value: unknown, lowest: PercentFloor): value is number {
  return typeof value === 'number' && value >= PERCENT_FLOORS[lowest] && value <= 100 && hasPercentResolution(value);
}

function percent(lowest: PercentFloor) {
  const range = `from ${PERCENT_FLOORS[lowest]} to 100`;
  const message = `must be a number ${range} with at most two decimals (percents have a resolution of ${PERCENT_RESOLUTION})`;
  return z.number({ error: requiredOr(message) }).refine((value) => isPercent(value, lowest), { error: message });
}

function quoted(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, { error: requiredOr(`must be one of ${quoted(values)}`) });
}

function firmwareUriProblem(uri: string, allowInsecure: boolean): string | undefined {
  const schemes = allowInsecure ? 'an absolute http:// or https:// URL' : 'an absolute https:// URL';
  if (uri.length > SPEC_LIMITS.firmwareUriLength) return `must be at most ${SPEC_LIMITS.firmwareUriLength} characters`;
  if (/[\s\u0000-\u001F\u007F]/.test(uri)) return 'must not contain spaces or control characters';
  // The WHATWG parser accepts `https:host` without slashes; an absolute URL must spell them out.
  const scheme = /^(https?):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || (scheme === 'http' && !allowInsecure)) {
    return scheme === 'http' ? `must be an https:// URL (http:// is not allowed here)` : `must be ${schemes}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `must be ${schemes}`;
  }
  // Devices echo the URI in their reported properties, where every twin reader would see a password.
  if (parsed.username !== '' || parsed.password !== '')
    return 'must not carry credentials (user:password@); use a token in the query string';
  return undefined;
}

function firmwareSchema(allowInsecure: boolean) {
  return object({
    version: patterned(PRINTABLE_NAME, PRINTABLE_NAME_RULE),
    uri: z.string({ error: requiredOr('must be a string: the URL of the firmware image') }).superRefine((uri, ctx) => {
      const problem = firmwareUriProblem(uri, allowInsecure);
      if (problem !== undefined) ctx.addIssue(problem);
    }),
    sha256: patterned(SHA256, '64 hexadecimal digits').transform((hash) => hash.toLowerCase()),
    size: integer(1),
    // What it says is verified with the app's trust (functions/src/firmwareSignature.ts), not here.
    manifest: z
      .string({ error: 'must be a string: the signed manifest (compact JWS), as `fleetwave firmware sign` writes it' })
      .max(MANIFEST_MAX_LENGTH, { error: `must be at most ${MANIFEST_MAX_LENGTH} characters` })
      .optional(),
  });
}

const deviceIdsSchema = z
  .array(patterned(DEVICE_ID_PATTERN, DEVICE_ID_RULE), { error: requiredOr('must be an array of device ids') })
  .min(1, { error: 'must list at least one device id' })
  .max(SPEC_LIMITS.deviceIds, { error: `must list at most ${SPEC_LIMITS.deviceIds} device ids` })
  .check(
    // Runs even when some ids are malformed, so duplicates are reported alongside them.
    z.superRefine(
      (ids: unknown, ctx) => {
        const firstIndex = new Map<string, number>();
        (ids as unknown[]).forEach((id, index) => {
          if (typeof id !== 'string') return;
          const first = firstIndex.get(id);
          if (first === undefined) firstIndex.set(id, index);
          else ctx.addIssue({ code: 'custom', path: [index], message: `duplicates target.deviceIds[${first}]` });
        });
      },
      { when: (payload) => Array.isArray(payload.value) },
    ),
  );

const targetSchema = object({
  query: z
    .string({ error: requiredOr('must be a string: the condition of a twin query WHERE clause') })
    // Checked before trimming, so that lines and columns in the messages are those of the text as sent.
    .superRefine((query, ctx) => {
      if (query.trim() !== '') queryConditionProblems(query).forEach((problem) => ctx.addIssue(problem));
    })
    .trim()
    .min(1, { error: 'must not be empty' })
    .optional(),
  deviceIds: deviceIdsSchema.optional(),
}).check(
  z.superRefine(
    (target: unknown, ctx) => {
      const { query, deviceIds } = target as Record<string, unknown>;
      if (query !== undefined && deviceIds !== undefined) ctx.addIssue('must have exactly one of query or deviceIds, not both');
      if (query === undefined && deviceIds === undefined) ctx.addIssue('must have either query (a twin query condition) or deviceIds');
    },
    { when: (payload) => isRecord(payload.value) },
  ),
);

const wavesSchema = z
  .array(object({ name: patterned(PRINTABLE_NAME, PRINTABLE_NAME_RULE).optional(), percent: percent('oneStep') }), {
    error: requiredOr('must be an array of waves'),
  })
  .min(1, { error: `must have 1 to ${SPEC_LIMITS.waves} waves` })
  .max(SPEC_LIMITS.waves, { error: `must have 1 to ${SPEC_LIMITS.waves} waves` })
  .check(z.superRefine(checkWaveSequence, { when: (payload) => Array.isArray(payload.value) }))
  .transform((waves): WaveSpec[] => waves.map((wave, index) => ({ name: wave.name ?? defaultWaveName(index), percent: wave.percent })));

/**
 * Rules across waves, judged on whatever parts of each wave are well-formed so that they are
 * reported together with the per-wave problems: cumulative percents strictly increasing, the
 * last one 100, names (explicit or default) unique.
 */
function checkWaveSequence(waves: unknown, ctx: z.RefinementCtx): void {
  const items = (waves as unknown[]).map((item) => (isRecord(item) ? item : {}));
  let previous: { index: number; percent: number } | undefined;
  const nameOwner = new Map<string, number>();
  items.forEach((wave, index) => {
    const value = wave.percent;
    if (isPercent(value, 'oneStep')) {
      if (previous !== undefined && basisPoints(value) <= basisPoints(previous.percent)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'percent'],
          message: `must be greater than waves[${previous.index}].percent (${previous.percent}): percents are cumulative`,
        });
      }
      previous = { index, percent: value };
      if (index === items.length - 1 && basisPoints(value) !== basisPoints(100)) {
        ctx.addIssue({ code: 'custom', path: [index, 'percent'], message: 'must be 100 in the last wave: percents are cumulative' });
      }
    }
    const explicit = typeof wave.name === 'string';
    if (wave.name !== undefined && !explicit) return;
    const name = explicit ? (wave.name as string) : defaultWaveName(index);
    const owner = nameOwner.get(name);
    if (owner === undefined) nameOwner.set(name, index);
    else {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: explicit
          ? `duplicates waves[${owner}].name ${JSON.stringify(name)}`
          : `is missing and its default ${JSON.stringify(name)} is taken by waves[${owner}]; name this wave`,
      });
    }
  });
}

const failureThresholdSchema = object({
  percent: percent('zero'),
  minDevices: integer(1).default(DEFAULT_MIN_DEVICES),
  action: oneOf(FAILURE_ACTIONS).default(DEFAULT_FAILURE_ACTION),
});

const TIMEOUT_DEFAULTS = defaultDeviceTimeouts();
const deviceTimeoutsSchema = object({
  methodSeconds: integer(SPEC_LIMITS.methodSeconds.min, SPEC_LIMITS.methodSeconds.max).default(TIMEOUT_DEFAULTS.methodSeconds),
  offlineRetryMinutes: positive(SPEC_LIMITS.offlineRetryMinutes.max).default(TIMEOUT_DEFAULTS.offlineRetryMinutes),
  downloadMinutes: positive(SPEC_LIMITS.downloadMinutes.max).default(TIMEOUT_DEFAULTS.downloadMinutes),
  applyMinutes: positive(SPEC_LIMITS.applyMinutes.max).default(TIMEOUT_DEFAULTS.applyMinutes),
});

/**
 * "auto" | "manual", or { mode, timeoutMinutes?, onTimeout? }. onTimeout has no default: cancel,
 * approve and pause each suit some fleets and would surprise others, so the author names it.
 */
const approvalSchema = z
  .preprocess(
    (value) => (typeof value === 'string' && (APPROVAL_MODES as readonly string[]).includes(value) ? { mode: value } : value),
    object(
      {
        mode: oneOf(APPROVAL_MODES),
        timeoutMinutes: positive(SPEC_LIMITS.approvalTimeoutMinutes.max).optional(),
        onTimeout: oneOf(APPROVAL_TIMEOUT_ACTIONS).optional(),
      },
      'must be "auto", "manual" or an object { mode, timeoutMinutes, onTimeout }',
    ).check(z.superRefine(checkApprovalTimeout, { when: (payload) => isRecord(payload.value) })),
  )
  .transform(({ mode, timeoutMinutes, onTimeout }): ApprovalPolicy =>
    timeoutMinutes === undefined || onTimeout === undefined ? { mode } : { mode, timeoutMinutes, onTimeout },
  );

/** timeoutMinutes and onTimeout come together, and only with mode "manual" ("auto" never waits). */
function checkApprovalTimeout(approval: unknown, ctx: z.RefinementCtx): void {
  const { mode, timeoutMinutes, onTimeout } = approval as Record<string, unknown>;
  if (timeoutMinutes !== undefined && mode === 'auto')
    ctx.addIssue({ code: 'custom', path: ['timeoutMinutes'], message: 'applies only with mode "manual"' });
  if (timeoutMinutes !== undefined && onTimeout === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['onTimeout'],
      message: `is required with timeoutMinutes: one of ${quoted(APPROVAL_TIMEOUT_ACTIONS)}`,
    });
  if (timeoutMinutes === undefined && onTimeout !== undefined)
    ctx.addIssue({ code: 'custom', path: ['onTimeout'], message: 'applies only with timeoutMinutes' });
}

/** `true`, or { stagedPercent?, deadlineMinutes }: the deadline has no default in the object form, as it depends on the fleet. */
const stageThenApplySchema = z.preprocess(
  (value) => (value === true ? defaultStageThenApply() : value),
  object(
    {
      stagedPercent: percent('oneStep').default(defaultStageThenApply().stagedPercent),
      deadlineMinutes: positive(SPEC_LIMITS.stageDeadlineMinutes.max),
    },
    'must be true or an object { stagedPercent, deadlineMinutes }',
  ),
);

const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE_TIME_RULE = 'must be an ISO 8601 date and time with Z or a ±HH:MM offset, e.g. 2026-05-01T22:00:00+02:00';

const continuousSchema = object({
  rescanMinutes: z
    .number({ error: requiredOr(continuousRescanRule()) })
    .refine((value) => value >= SPEC_LIMITS.rescanMinutes.min && value <= SPEC_LIMITS.rescanMinutes.max, { error: continuousRescanRule() })
    .default(DEFAULT_RESCAN_MINUTES),
  until: z.iso.datetime({ offset: true, error: ISO_DATE_TIME_RULE }).optional(),
});

function continuousRescanRule(): string {
  const { min, max } = SPEC_LIMITS.rescanMinutes;
  return `must be a number of minutes from ${min} to ${max}: each rescan costs the hub's scarce twin queries`;
}

/** `continuous` belongs to mode "continuous" (which defaults it), and its `until` comes after the schedule's startAt. */
function checkContinuous(request: unknown, ctx: z.RefinementCtx): void {
  const { mode, continuous, schedule } = request as Record<string, unknown>;
  if (continuous !== undefined && mode !== 'continuous') {
    ctx.addIssue({ code: 'custom', path: ['continuous'], message: 'applies only with mode "continuous"' });
  }
  const until = isRecord(continuous) && typeof continuous.until === 'string' ? Date.parse(continuous.until) : NaN;
  const startAt = isRecord(schedule) && typeof schedule.startAt === 'string' ? Date.parse(schedule.startAt) : NaN;
  if (until <= startAt) ctx.addIssue({ code: 'custom', path: ['continuous', 'until'], message: 'must be after schedule.startAt' });
}

const wallTime = patterned(WALL_TIME, 'a time of day HH:MM, 00:00 to 23:59');

const windowSchema = object({
  days: z
    .array(oneOf(WEEKDAYS), { error: requiredOr(`must be an array of days (${WEEKDAYS.join(', ')})`) })
    .min(1, { error: 'must list at least one day' })
    .refine((days) => new Set(days).size === days.length, { error: 'must not list a day twice' }),
  from: wallTime,
  to: wallTime,
  timeZone: z.string({ error: requiredOr('must be a string: an IANA time zone id such as Europe/Berlin') }).superRefine((zone, ctx) => {
    const problem = timeZoneProblem(zone);
    if (problem !== null) ctx.addIssue(problem);
  }),
}).superRefine((window, ctx) => {
  if (minutesOf(window.from) === minutesOf(window.to)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must differ from from (a window ending where it starts is empty)' });
  }
});

const scheduleSchema = object({
  startAt: z.iso.datetime({ offset: true, error: ISO_DATE_TIME_RULE }).optional(),
  windows: z
    .array(windowSchema, { error: 'must be an array of maintenance windows' })
    .min(1, { error: `must have 1 to ${SPEC_LIMITS.windows} windows` })
    .max(SPEC_LIMITS.windows, { error: `must have 1 to ${SPEC_LIMITS.windows} windows` })
    .superRefine((windows: MaintenanceWindow[], ctx) => {
      for (const [earlier, later] of overlappingWindows(windows)) {
        ctx.addIssue({ code: 'custom', path: [later], message: `overlaps schedule.windows[${earlier}] (same time zone, same day)` });
      }
    })
    .optional(),
}).refine((schedule) => schedule.startAt !== undefined || schedule.windows !== undefined, {
  error: 'must have startAt, windows or both',
});

function buildRequestSchema(allowInsecure: boolean) {
  return object({
    rolloutId: patterned(ROLLOUT_ID_PATTERN, ROLLOUT_ID_RULE).optional(),
    firmware: firmwareSchema(allowInsecure),
    target: targetSchema,
    waves: wavesSchema.default(defaultWaves),
    maxConcurrency: integer(SPEC_LIMITS.maxConcurrency.min, SPEC_LIMITS.maxConcurrency.max).default(DEFAULT_MAX_CONCURRENCY),
    failureThreshold: failureThresholdSchema.default(defaultFailureThreshold),
    approval: approvalSchema.default(() => ({ mode: DEFAULT_APPROVAL })),
    soakSeconds: integer(SPEC_LIMITS.soakSeconds.min, SPEC_LIMITS.soakSeconds.max).default(DEFAULT_SOAK_SECONDS),
    deviceTimeouts: deviceTimeoutsSchema.default(defaultDeviceTimeouts),
    schedule: scheduleSchema.optional(),
    stageThenApply: stageThenApplySchema.optional(),
    mode: oneOf(ROLLOUT_MODES).default('once'),
    continuous: continuousSchema.optional(),
  })
    .check(z.superRefine(checkContinuous, { when: (payload) => isRecord(payload.value) }))
    .transform((request): RolloutSpec => ({
      ...(request.rolloutId === undefined ? {} : { rolloutId: request.rolloutId }),
      firmware: request.firmware,
      target: request.target.query !== undefined ? { query: request.target.query } : { deviceIds: request.target.deviceIds ?? [] },
      waves: request.waves,
      maxConcurrency: request.maxConcurrency,
      failureThreshold: request.failureThreshold,
      approval: request.approval,
      soakSeconds: request.soakSeconds,
      deviceTimeouts: request.deviceTimeouts,
      ...(request.schedule === undefined ? {} : { schedule: request.schedule }),
      ...(request.stageThenApply === undefined ? {} : { stageThenApply: request.stageThenApply }),
      ...(request.mode === 'continuous' ? { continuous: request.continuous ?? { rescanMinutes: DEFAULT_RESCAN_MINUTES } } : {}),
    }));
}

const requestSchemas = { secure: buildRequestSchema(false), insecure: buildRequestSchema(true) };

function requestSchema(allowInsecure: boolean) {
  return allowInsecure ? requestSchemas.insecure : requestSchemas.secure;
}

/** The request body as clients write it: every defaulted field optional. */
export type RolloutRequest = z.input<typeof requestSchemas.secure>;

// ---------------------------------------------------------------------------------------------
// Problems

function toProblems(issues: readonly z.core.$ZodIssue[]): SpecProblem[] {
  const seen = new Set<string>();
  const problems: SpecProblem[] = [];
  const add = (path: readonly PropertyKey[], message: string) => {
    const field = fieldPath(path);
    const key = `${field}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ field, message });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') issue.keys.forEach((key) => add([...issue.path, key], issue.message));
    else add(issue.path, issue.message);
  }
  return problems;
}

/** `waves[1].percent`; keys that are not identifiers are quoted: `["odd key"]`. */
function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return BODY_FIELD;
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}
