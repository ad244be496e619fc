/**
 * The per-device summaries of one device shard (see deviceShards.ts): a row per device with its
 * state, last status and error, for GET /api/rollouts/{id}/devices. The full timeline stays with
 * the device's orchestration; a row is what a listing needs.
 *
 * Rows are created pending (or skipped) when the rollout is planned and updated by the device
 * orchestration as its state changes. Each change of state is returned as a move, which the shard
 * passes on to the rollout's ledger, so the counts there are exactly the rows' states.
 */
import type { FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import type { DeviceError, DeviceRolloutState, DeviceTracking } from './deviceOutcome';
import { isTerminalDeviceState } from './deviceOutcome';
import type { DeviceMove } from './rolloutLedger';

export interface DeviceRow {
  deviceId: string;
  /** The wave index; null for devices skipped before planning. */
  wave: number | null;
  state: DeviceRolloutState;
  status: FirmwareUpdateStatus | null;
  error: DeviceError | null;
  updatedAt: string;
}

export interface DeviceShardState {
  rows: DeviceRow[];
}

export function emptyShard(): DeviceShardState {
  return { rows: [] };
}

/** Planned rows; rows that exist already (an update overtook the plan) are kept as they are. */
export function addRows(shard: DeviceShardState, rows: readonly DeviceRow[]): DeviceShardState {
  const known = new Set(shard.rows.map((row) => row.deviceId));
  const added = rows.filter((row) => !known.has(row.deviceId));
  return added.length === 0 ? shard : { rows: [...shard.rows, ...added] };
}

/**
 * A device's new summary. A terminal row stays as it is; an unknown device gets a row, counted as
 * having been pending. Returns the move when the state changed.
 */
export function updateRow(shard: DeviceShardState, row: DeviceRow): { shard: DeviceShardState; move: DeviceMove | null } {
  const index = shard.rows.findIndex((item) => item.deviceId === row.deviceId);
  const current = index < 0 ? null : shard.rows[index];
  if (current !== null && isTerminalDeviceState(current.state)) return { shard, move: null };
  const from: DeviceRolloutState = current?.state ?? 'pending';
  const next: DeviceRow = { ...row, wave: row.wave ?? current?.wave ?? null };
  const rows = index < 0 ? [...shard.rows, next] : shard.rows.map((item, i) => (i === index ? next : item));
  const move = from !== next.state && next.wave !== null ? { wave: next.wave, from, to: next.state } : null;
  return { shard: { rows }, move };
}

export function rowOf(tracking: DeviceTracking, wave: number): DeviceRow {
  return { deviceId: tracking.deviceId, wave, state: tracking.state, status: tracking.status, error: tracking.error, updatedAt: tracking.updatedAt };
}

/**
 * A row as the API shows it: a device still pending in a wave that is over (a cancel or an abort
 * kept it from starting) is canceled, as the wave's totals count it.
 */
export function effectiveRow(row: DeviceRow, isWaveFinal: (wave: number) => boolean): DeviceRow {
  return row.state === 'pending' && row.wave !== null && isWaveFinal(row.wave) ? { ...row, state: 'canceled' } : row;
}
