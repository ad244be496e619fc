/**
 * Activity: turns a rollout's target into device ids through IoT Hub twin queries, page by page,
 * and splits off the devices already on the firmware version (they are `skipped`).
 *
 * - `{query}` becomes `SELECT deviceId, properties.reported.firmware.currentFwVersion AS
 *   currentFwVersion FROM devices WHERE (<query>)`, read in pages of QUERY_PAGE_SIZE with IoT
 *   Hub's continuation token; only the two projected fields travel, never whole twins.
 * - `{deviceIds}` is looked up with `deviceId IN [...]` queries of at most LOOKUP_CHUNK ids.
 *   A listed device the hub does not know stays a target: the method call then fails it with
 *   deviceNotFound, so the operator sees it in the rollout instead of it silently disappearing.
 *
 * A query IoT Hub rejects (400) is answered as `{rejected}`, not thrown: the rollout retries a
 * failed activity, and this one would fail the same way every time. Throttling (429) is waited
 * out, page by page (QueryPacer).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { TargetSpec } from '../rollout';
import { logEvent } from '../logging';
import type { ActivityName } from './catalog';
import { describeFailure, hubFailure, iotHub, isRejectedRequest, isThrottled } from './iotHub';
import { hubScaleSetting } from '../settings';
import { operationLimit } from '../../../contracts/iotHubQuotas';
import type { HubScale } from '../../../contracts/iotHubQuotas';

export interface ResolveTargetsInput {
  rolloutId: string;
  target: TargetSpec;
  fwVersion: string;
}

export interface ResolvedTargets {
  /** Devices to update, de-duplicated, in the order found. */
  targets: string[];
  /** Devices that already report `firmware.currentFwVersion` equal to the version. */
  skipped: string[];
  /** IoT Hub queries (pages) it took: what a continuous rollout's rescan costs the hub's query budget. */
  queries?: number;
}

/** IoT Hub refused a query of the target: why, and the query. */
interface TargetQueryRejected {
  rejected: string;
}

export type ResolveTargetsResult = ResolvedTargets | TargetQueryRejected;

export const QUERY_PAGE_SIZE = 1000;
export const LOOKUP_CHUNK = 100;

interface VersionRow {
  deviceId?: unknown;
  currentFwVersion?: unknown;
}

export async function resolveTargets(input: ResolveTargetsInput, context: InvocationContext): Promise<ResolveTargetsResult> {
  const started = Date.now();
  const rows: VersionRow[] = [];
  let pages = 0;
  const selection = 'SELECT deviceId, properties.reported.firmware.currentFwVersion AS currentFwVersion FROM devices';
  const pacer = new QueryPacer(hubScaleSetting());
  try {
    if ('query' in input.target) {
      pages += await readQuery(`${selection} WHERE (${input.target.query})`, rows, pacer);
    } else {
      for (const chunk of lookupChunks(input.target.deviceIds)) {
        pages += await readQuery(`${selection} WHERE deviceId IN [${chunk.map(quoted).join(', ')}]`, rows, pacer);
      }
    }
  } catch (error) {
    if (!(error instanceof QueryRejected)) throw error;
    logEvent(context, 'error', 'targets.rejected', { rolloutId: input.rolloutId, error: error.message });
    return { rejected: error.message };
  }
  const found = new Map<string, string | null>();
  for (const row of rows) {
    if (typeof row.deviceId === 'string' && !found.has(row.deviceId)) {
      found.set(row.deviceId, typeof row.currentFwVersion === 'string' ? row.currentFwVersion : null);
    }
  }
  const candidates = 'query' in input.target ? [...found.keys()] : [...new Set(input.target.deviceIds)];
  const result: ResolvedTargets = { targets: [], skipped: [], queries: pages };
  for (const deviceId of candidates) (found.get(deviceId) === input.fwVersion ? result.skipped : result.targets).push(deviceId);
  logEvent(context, 'info', 'targets.resolved', {
    rolloutId: input.rolloutId,
    targets: result.targets.length,
    skipped: result.skipped.length,
    pages,
    ms: Date.now() - started,
  });
  return result;
}

/** IoT Hub refused a query (400): readQuery throws it, resolveTargets answers it as `{rejected}`. */
class QueryRejected extends Error {}

/** A throttled page is asked for again until this long has passed since the first 429 of a streak. */
export const QUERY_THROTTLE_PATIENCE_MS = 5 * 60_000;
/** Without a configured tier, the first wait after a 429; with one, the tier's interval between queries. */
const QUERY_THROTTLE_FIRST_WAIT_MS = 3000;
const QUERY_THROTTLE_MAX_WAIT_MS = 60_000;

/**
 * Page requests are IoT Hub queries, the scarcest operation (20 a minute per S1 unit). With the
 * hub's tier configured, the pages after a window's worth are spaced at the tier's query rate; a
 * 429 all the same (other clients share the budget) waits and asks for the same page again.
 */
class QueryPacer {
  private readonly intervalMs: number;
  private readonly burst: number;
  private sent = 0;
  private readonly started = Date.now();

  constructor(scale: HubScale | null) {
    const limit = scale === null ? null : operationLimit(scale, 'queries');
    this.intervalMs = limit === null ? 0 : 1000 / limit.perSecond;
    this.burst = limit === null ? Infinity : Math.floor(limit.perSecond * 60);
  }

  /** Waits until the next page request is within the budget. */
  async next(): Promise<void> {
    const dueAt = this.started + Math.max(0, this.sent - this.burst + 1) * this.intervalMs;
    this.sent += 1;
    if (dueAt > Date.now()) await sleep(dueAt - Date.now());
  }

  /** The wait after the `streak`-th 429 in a row. */
  throttledWait(streak: number): number {
    return Math.min(QUERY_THROTTLE_MAX_WAIT_MS, Math.max(this.intervalMs, QUERY_THROTTLE_FIRST_WAIT_MS) * 2 ** (streak - 1));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads every page. The token is passed to next() explicitly: azure-iothub 1.16's Query.next()
 * called without arguments sends no continuation at all and so returns the first page forever.
 */
async function readQuery(sql: string, rows: VersionRow[], pacer: QueryPacer): Promise<number> {
  const query = iotHub().registry.createQuery(sql, QUERY_PAGE_SIZE);
  let pages = 0;
  let previous: string | null = null;
  do {
    let page: unknown;
    let throttledSince: number | null = null;
    for (let streak = 1; ; streak++) {
      await pacer.next();
      try {
        page = (await query.next(query.continuationToken)).result;
        break;
      } catch (error) {
        const failure = hubFailure(error);
        const reason = `(${describeFailure(failure)}): ${sql.slice(0, 200)}`;
        throttledSince ??= Date.now();
        if (isThrottled(failure) && Date.now() - throttledSince < QUERY_THROTTLE_PATIENCE_MS) {
          await sleep(pacer.throttledWait(streak));
          continue;
        }
        throw isRejectedRequest(failure)
          ? new QueryRejected(`IoT Hub rejected the twin query ${reason}`)
          : new Error(`the twin query failed ${reason}`);
      }
    }
    pages += 1;
    if (Array.isArray(page)) rows.push(...(page as VersionRow[]));
    if (query.hasMoreResults && query.continuationToken === previous)
      throw new Error(`the twin query returned the same continuation twice: ${sql.slice(0, 200)}`);
    previous = query.continuationToken;
  } while (query.hasMoreResults);
  return pages;
}

/** Device ids never contain `"` or `\`, so double quotes need no escaping. */
function quoted(deviceId: string): string {
  return `"${deviceId}"`;
}

/** Chunks of at most LOOKUP_CHUNK ids and about 4 KB of query text each. */
export function lookupChunks(deviceIds: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const id of new Set(deviceIds)) {
    if (current.length >= LOOKUP_CHUNK || (current.length > 0 && length + id.length + 4 > 4000)) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(id);
    length += id.length + 4;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

df.app.activity('resolveTargets' satisfies ActivityName, { handler: resolveTargets });
