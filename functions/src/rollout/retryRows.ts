/**
 * A retry in a device shard: the records of a finished rollout that a retry takes go back to
 * pending for the new attempt, in the shard's one operation that also answers which they are.
 */
import type { DeviceRolloutState, RetrySelection } from '../../../contracts/rolloutApi';
import type { DeviceRecord, DeviceShardState } from './deviceRows';
import { appendTimeline, endedRecord, endedState } from './deviceRows';
import { isRetried } from './retrySelection';

/** A device a retry takes: its wave and the state it ended the last attempt in. */
export interface RetriedDevice {
  deviceId: string;
  wave: number;
  from: DeviceRolloutState;
}

/** Whether a retry with this selection takes the record (devices skipped before planning never). */
export function isRetriedRecord(selection: RetrySelection, row: Pick<DeviceRecord, 'state' | 'phase' | 'wave' | 'error'>): boolean {
  return row.wave !== null && isRetried(selection, endedState(row), row.error);
}

/**
 * Records still pending, or staged and never applied, are made canceled (endedState), as the ledger
 * counts them (a reopened wave would otherwise show them pending or in progress). The
 * records the selection takes become pending in `attempt` with a timeline entry saying what they
 * are retried from; their status, error and progress are cleared (twin $version and firmware kept:
 * the tracker goes on from them). Records already in `attempt` are answered as they are, so a repeat
 * changes nothing.
 */
export function retryRows(
  shard: DeviceShardState,
  selection: RetrySelection,
  attempt: number,
  at: string,
): { shard: DeviceShardState; devices: RetriedDevice[] } {
  const devices: RetriedDevice[] = [];
  const rows = shard.rows.map((row): DeviceRecord => {
    if (row.wave === null) return row;
    if (row.attempt === attempt) {
      devices.push({ deviceId: row.deviceId, wave: row.wave, from: row.state });
      return row;
    }
    if (!isRetriedRecord(selection, row)) return endedRecord(row);
    const state = endedState(row);
    devices.push({ deviceId: row.deviceId, wave: row.wave, from: state });
    const because = row.error === null ? state : `${state}: ${row.error.code}`;
    const entry = { time: at, state: 'pending' as const, attempt, detail: `attempt ${attempt}: retried (was ${because})` };
    return {
      ...row,
      ...appendTimeline(row, [entry]),
      state: 'pending',
      status: null,
      error: null,
      updatedAt: at,
      attempt,
      phase: null,
      progress: null,
    };
  });
  return { shard: { rows }, devices };
}
