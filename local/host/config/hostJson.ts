import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The host.json settings this host honours, with the Functions host's defaults filled in. */
export interface HostConfig {
  /** extensions.http.routePrefix; '' means routes sit at the root. */
  routePrefix: string;
  /** host.json `functions`: when set, only these functions run. */
  functionAllowList?: string[];
  logLevel: LogLevelName;
  durableTask: {
    hubName: string;
    maxConcurrentActivityFunctions: number;
    maxConcurrentOrchestratorFunctions: number;
    maxConcurrentEntityFunctions: number;
  };
  eventHubs: {
    maxEventBatchSize: number;
    /** A batch is handed over once it has this many events, or maxWaitMs after its first one. */
    minEventBatchSize: number;
    maxWaitMs: number;
    /** Where a consumer group without a checkpoint starts reading. */
    initialOffset: { type: 'fromStart' } | { type: 'fromEnd' } | { type: 'fromEnqueuedTime'; enqueuedTimeUtc: Date };
    /** clientRetryOptions: how the trigger's Event Hubs client retries, e.g. after the hub went away. */
    clientRetry: { mode: 'exponential' | 'fixed'; delayMs: number; maxDelayMs: number; maxRetries: number; tryTimeoutMs: number };
  };
}

export const LOG_LEVELS = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical', 'None'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const positiveInt = z.coerce.number().int().positive();
const logLevel = z.string().transform((value, ctx) => {
  const match = LOG_LEVELS.find((level) => level.toLowerCase() === value.toLowerCase());
  if (!match) ctx.addIssue({ code: 'custom', message: `must be one of ${LOG_LEVELS.join(', ')}` });
  return match ?? 'Information';
});

// Keys are lower-cased before parsing: the Functions host reads host.json case-insensitively.
const hostJsonSchema = z.object({
  version: z.string().optional(),
  functions: z.array(z.string()).optional(),
  logging: z
    .object({ loglevel: z.object({ default: logLevel.optional() }).loose().optional() })
    .loose()
    .optional(),
  extensions: z
    .object({
      http: z.object({ routeprefix: z.string().optional() }).loose().optional(),
      durabletask: z
        .object({
          hubname: z.string().min(1).optional(),
          maxconcurrentactivityfunctions: positiveInt.optional(),
          maxconcurrentorchestratorfunctions: positiveInt.optional(),
          maxconcurrententityfunctions: positiveInt.optional(),
        })
        .loose()
        .optional(),
      eventhubs: z
        .object({
          maxeventbatchsize: positiveInt.optional(),
          mineventbatchsize: positiveInt.optional(),
          maxwaittime: z.string().optional(),
          // Extension v4 spelling.
          eventprocessoroptions: z.object({ maxbatchsize: positiveInt.optional() }).loose().optional(),
          initialoffsetoptions: z.object({ type: z.string().optional(), enqueuedtimeutc: z.string().optional() }).loose().optional(),
          clientretryoptions: z
            .object({
              mode: z.string().optional(),
              trytimeout: z.string().optional(),
              delay: z.string().optional(),
              maxdelay: z.string().optional(),
              maxretries: z.coerce.number().int().nonnegative().optional(),
            })
            .loose()
            .optional(),
        })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
});

/** Reads DIR/host.json (missing file: all defaults). Setting references (%NAME%) are resolved by the caller. */
export function readHostJson(appDir: string): HostConfig {
  const file = join(appDir, 'host.json');
  let raw: unknown = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return parseHostJson(raw, file);
}

export function parseHostJson(raw: unknown, source = 'host.json'): HostConfig {
  const parsed = hostJsonSchema.safeParse(lowerCaseKeys(raw));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`${source} is invalid: ${problems}`);
  }
  const json = parsed.data;
  const defaultConcurrency = 10 * cpus().length;
  const durable = json.extensions?.durabletask;
  const eventHubs = json.extensions?.eventhubs;
  return {
    routePrefix: trimSlashes(json.extensions?.http?.routeprefix ?? 'api'),
    ...(json.functions ? { functionAllowList: json.functions } : {}),
    logLevel: json.logging?.loglevel?.default ?? 'Information',
    durableTask: {
      hubName: durable?.hubname ?? 'TestHubName',
      maxConcurrentActivityFunctions: durable?.maxconcurrentactivityfunctions ?? defaultConcurrency,
      maxConcurrentOrchestratorFunctions: durable?.maxconcurrentorchestratorfunctions ?? defaultConcurrency,
      maxConcurrentEntityFunctions: durable?.maxconcurrententityfunctions ?? defaultConcurrency,
    },
    eventHubs: eventHubBatching(eventHubs, source),
  };
}

/** Extension v5's batching (and client retries): up to maxEventBatchSize; minEventBatchSize (default 1) waits up to maxWaitTime (default 60 s) to fill. */
type EventHubsJson = NonNullable<NonNullable<z.infer<typeof hostJsonSchema>['extensions']>['eventhubs']>;

function eventHubBatching(options: EventHubsJson | undefined, source: string): HostConfig['eventHubs'] {
  const maxEventBatchSize = options?.maxeventbatchsize ?? options?.eventprocessoroptions?.maxbatchsize ?? 100;
  const minEventBatchSize = options?.mineventbatchsize ?? 1;
  if (minEventBatchSize > maxEventBatchSize) {
    throw new Error(
      `${source}: extensions.eventHubs.minEventBatchSize (${minEventBatchSize}) must not exceed maxEventBatchSize (${maxEventBatchSize}).`,
    );
  }
  const maxWaitMs = options?.maxwaittime === undefined ? 60_000 : timeSpanMs(options.maxwaittime);
  if (maxWaitMs === undefined || maxWaitMs <= 0) {
    throw new Error(
      `${source}: extensions.eventHubs.maxWaitTime must be a positive time span like "00:00:01" or "00:00:00.250", not ${JSON.stringify(options?.maxwaittime)}.`,
    );
  }
  return {
    maxEventBatchSize,
    minEventBatchSize,
    maxWaitMs,
    initialOffset: initialOffset(options?.initialoffsetoptions, source),
    clientRetry: clientRetry(options?.clientretryoptions, source),
  };
}

/**
 * Extension v5's clientRetryOptions, defaults those of the .NET EventHubsRetryOptions behind it:
 * exponential from 0.8 s up to 1 min, 3 retries, 1 min per try.
 */
function clientRetry(options: EventHubsJson['clientretryoptions'], source: string): HostConfig['eventHubs']['clientRetry'] {
  const mode = (options?.mode ?? 'exponential').toLowerCase();
  if (mode !== 'exponential' && mode !== 'fixed')
    throw new Error(
      `${source}: extensions.eventHubs.clientRetryOptions.mode must be exponential or fixed, not ${JSON.stringify(options?.mode)}.`,
    );
  const span = (name: 'tryTimeout' | 'delay' | 'maxDelay', text: string | undefined, fallbackMs: number): number => {
    if (text === undefined) return fallbackMs;
    const ms = timeSpanMs(text);
    if (ms === undefined || ms <= 0)
      throw new Error(
        `${source}: extensions.eventHubs.clientRetryOptions.${name} must be a positive time span like "00:00:00.800", not ${JSON.stringify(text)}.`,
      );
    return ms;
  };
  return {
    mode,
    delayMs: span('delay', options?.delay, 800),
    maxDelayMs: span('maxDelay', options?.maxdelay, 60_000),
    maxRetries: options?.maxretries ?? 3,
    tryTimeoutMs: span('tryTimeout', options?.trytimeout, 60_000),
  };
}

/** A .NET TimeSpan as host.json writes it: [d.]hh:mm:ss[.fffffff]. */
function timeSpanMs(text: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):([0-5]\d):([0-5]\d)(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days = '0', hours, minutes, seconds, fraction = '0'] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction}`) * 1000)
  );
}

function initialOffset(
  options: { type?: string; enqueuedtimeutc?: string } | undefined,
  source: string,
): HostConfig['eventHubs']['initialOffset'] {
  switch (options?.type?.toLowerCase() ?? 'fromstart') {
    case 'fromstart':
      return { type: 'fromStart' };
    case 'fromend':
      return { type: 'fromEnd' };
    case 'fromenqueuedtime': {
      const time = new Date(options?.enqueuedtimeutc ?? '');
      if (Number.isNaN(time.getTime()))
        throw new Error(`${source}: extensions.eventHubs.initialOffsetOptions.enqueuedTimeUtc must be a date.`);
      return { type: 'fromEnqueuedTime', enqueuedTimeUtc: time };
    }
    default:
      throw new Error(`${source}: extensions.eventHubs.initialOffsetOptions.type must be fromStart, fromEnd or fromEnqueuedTime.`);
  }
}

function trimSlashes(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

function lowerCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), lowerCaseKeys(inner)]));
}
