/**
 * The per-device records of one device shard (see deviceShards.ts): a row per device with its
 * state, last status and error, for GET /api/rollouts/{id}/devices, and the detail behind
 * GET …/devices/{deviceId} (phase, twin $version, progress, the timeline).
 *
 * Records are created pending (or skipped) when the rollout is planned and updated by the
 * device's tracker (the batch orchestration), all of a tracker episode's changes to a shard in
 * one operation. Each change of bucket (the state, or the stage of a device in progress) is
 * returned as a move, which the shard passes on to the rollout's ledger, so the counts there are
 * exactly the rows' states and stages.
 */
import type { DeviceDetail, DeviceRolloutState, DeviceRow } from '../../../contracts/rolloutApi';
import type { DeviceTracking } from './deviceOutcome';
import { MAX_TIMELINE_ENTRIES, isTerminalDeviceState } from './deviceOutcome';
import { bucketOf } from './rolloutLedger';
import type { DeviceBucket, DeviceMove } from './rolloutLedger';

export type DeviceRecord = DeviceRow & DeviceDetail;

/**
 * A tracker's news about a device: its row and detail as they are now, except that `timeline` and
 * `timelineDropped` are only what happened since its last update (the shard keeps the rest).
 */
export type DeviceUpdate = DeviceRow & DeviceDetail;

export interface DeviceShardState {
  rows: DeviceRecord[];
}

export function emptyShard(): DeviceShardState {
  return { rows: [] };
}

/** A record as planned: no detail yet. */
export function plannedRecord(row: DeviceRow): DeviceRecord {
  return { ...row, phase: null, twinVersion: null, currentFwVersion: null, progress: null, timeline: [], timelineDropped: 0 };
}

/** Planned records; those that exist already (an update overtook the plan) are kept as they are. */
export function addRows(shard: DeviceShardState, rows: readonly DeviceRow[]): DeviceShardState {
  return addNewRows(shard, rows).shard;
}

/** addRows, also saying which devices were not known yet and got their record now (a continuous rollout's rescan). */
export function addNewRows(shard: DeviceShardState, rows: readonly DeviceRow[]): { shard: DeviceShardState; added: string[] } {
  const known = new Set(shard.rows.map((row) => row.deviceId));
  const added = rows.filter((row) => !known.has(row.deviceId) && known.add(row.deviceId)).map(plannedRecord);
  return { shard: added.length === 0 ? shard : { rows: [...shard.rows, ...added] }, added: added.map((row) => row.deviceId) };
}

/**
 * Devices' news, applied in order. A terminal record stays as it is; an unknown device gets a
 * record, counted as having been pending. Returns a move per change of bucket.
 */
export function updateRows(shard: DeviceShardState, updates: readonly DeviceUpdate[]): { shard: DeviceShardState; moves: DeviceMove[] } {
  const index = new Map(shard.rows.map((row, i) => [row.deviceId, i]));
  const rows = [...shard.rows];
  const moves: DeviceMove[] = [];
  let changed = false;
  for (const update of updates) {
    const at = index.get(update.deviceId);
    const current = at === undefined ? null : rows[at];
    if (current !== null && isTerminalDeviceState(current.state)) continue;
    changed = true;
    const from: DeviceBucket = current === null ? 'pending' : bucketOf(current);
    const { timelineDropped: newlyDropped, timeline: entries, ...fields } = update;
    const attempt = current?.attempt === undefined ? {} : { attempt: current.attempt };
    const next: DeviceRecord = {
      ...fields,
      wave: update.wave ?? current?.wave ?? null,
      ...attempt,
      ...appendTimeline(current ?? { timeline: [], timelineDropped: 0 }, entries, newlyDropped),
    };
    if (at === undefined) {
      index.set(update.deviceId, rows.length);
      rows.push(next);
    } else rows[at] = next;
    const to = bucketOf(next);
    if (from !== to && next.wave !== null) moves.push({ wave: next.wave, from, to, ...attempt });
  }
  return { shard: changed ? { rows } : shard, moves };
}

/** A record's timeline with `entries` appended, its oldest entries dropped beyond MAX_TIMELINE_ENTRIES (and counted). */
export function appendTimeline(
  record: Pick<DeviceRecord, 'timeline' | 'timelineDropped'>,
  entries: DeviceRecord['timeline'],
  alreadyDropped = 0,
): Pick<DeviceRecord, 'timeline' | 'timelineDropped'> {
  const timeline = [...record.timeline, ...entries];
  const excess = Math.max(0, timeline.length - MAX_TIMELINE_ENTRIES);
  return { timeline: timeline.slice(excess), timelineDropped: record.timelineDropped + alreadyDropped + excess };
}

/** A tracked device's news: its tracking holds only the timeline entries not sent yet (see trackedDevice.ts). */
export function updateOf(tracking: DeviceTracking, wave: number): DeviceUpdate {
  return {
    deviceId: tracking.deviceId,
    wave,
    state: tracking.state,
    status: tracking.status,
    error: tracking.error,
    updatedAt: tracking.updatedAt,
    phase: tracking.phase,
    twinVersion: tracking.twinVersion,
    currentFwVersion: tracking.currentFwVersion,
    progress: tracking.progress,
    timeline: tracking.timeline,
    timelineDropped: tracking.timelineDropped,
  };
}

/** The listing's view of a record. */
export function rowOf(record: DeviceRecord): DeviceRow {
  return {
    deviceId: record.deviceId,
    wave: record.wave,
    state: record.state,
    status: record.status,
    error: record.error,
    updatedAt: record.updatedAt,
    attempt: record.attempt ?? 1,
  };
}

/**
 * The state a record stands in once its wave is over: a device still pending never started (a cancel
 * or an abort kept it from it), and one still holding a staged image was never told to apply it
 * (stageThenApply: the barrier, a cancel or an abort stopped the wave); both are canceled, as the
 * wave's totals count them.
 */
export function endedState(record: Pick<DeviceRow, 'state'> & Partial<Pick<DeviceDetail, 'phase'>>): DeviceRolloutState {
  const stranded = record.state === 'pending' || (record.state === 'inProgress' && record.phase === 'staged');
  return stranded ? 'canceled' : record.state;
}

type EndingRecord = DeviceRow & Partial<Pick<DeviceDetail, 'phase'>>;

/** The record in the state it ended in (endedState); a staged image never applied also ends its phase. */
export function endedRecord<R extends EndingRecord>(record: R): R {
  const state = endedState(record);
  if (state === record.state) return record;
  return { ...record, state, ...(record.phase === 'staged' ? { phase: 'done' } : {}) };
}

/** A record (or row) as the API shows it: once its wave is over, as it ended (endedRecord). */
export function effectiveRow<R extends EndingRecord>(record: R, isWaveFinal: (wave: number) => boolean): R {
  return record.wave !== null && isWaveFinal(record.wave) ? endedRecord(record) : record;
}
