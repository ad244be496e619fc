/**
 * Entity deviceShard@<rolloutId>:s<n>: the records of the devices whose id hashes to shard n
 * (rollout/deviceRows.ts, rollout/deviceShards.ts). Records are added by the rollout orchestration
 * when it plans and updated by the trackers (batch orchestrations), one operation per tracker
 * episode; the changes of bucket it brings (state, or stage in progress) are passed on to the
 * rollout's ledger as one `moves` signal, so the ledger's live counts are the rows' states and stages.
 */
import * as df from 'durable-functions';
import { DEVICE_ROLLOUT_STATES, addNewRows, addRows, emptyShard, isRetryOperation, retryRows, updateRows } from '../rollout';
import type { DeviceRow, DeviceShardState, DeviceUpdate } from '../rollout';
import { ENTITY, ledgerEntity, rolloutOfShardKey } from './contracts';
import type { EntityOperations } from './contracts';
import { FIRMWARE_UPDATE_STATUSES } from '../../../contracts/firmwareUpdate';
import { isRecord } from '../../../contracts/guards';
import { entityHandler } from './entityState';

function isRow(value: unknown): value is DeviceRow {
  return (
    isRecord(value) &&
    typeof value.deviceId === 'string' &&
    (value.wave === null || typeof value.wave === 'number') &&
    (DEVICE_ROLLOUT_STATES as readonly unknown[]).includes(value.state) &&
    (value.status === null || (FIRMWARE_UPDATE_STATUSES as readonly unknown[]).includes(value.status)) &&
    typeof value.updatedAt === 'string'
  );
}

function isUpdate(value: unknown): value is DeviceUpdate {
  return (
    isRow(value) &&
    Array.isArray((value as Partial<DeviceUpdate>).timeline) &&
    typeof (value as Partial<DeviceUpdate>).timelineDropped === 'number'
  );
}

function isGroup(value: unknown): value is EntityOperations['deviceShard']['addRows']['groups'][number] {
  return isRecord(value) && (value.wave === null || typeof value.wave === 'number') && Array.isArray(value.deviceIds);
}

/** The planned rows of an addRows/addNewRows input; null when it is malformed. */
function plannedRows(input: unknown): DeviceRow[] | null {
  if (!isRecord(input) || !Array.isArray(input.groups) || typeof input.at !== 'string') return null;
  const at = input.at;
  return input.groups.filter(isGroup).flatMap((group) =>
    group.deviceIds
      .filter((id): id is string => typeof id === 'string')
      .map((deviceId): DeviceRow => ({
        deviceId,
        wave: group.wave,
        state: group.wave === null ? 'skipped' : 'pending',
        status: null,
        error: null,
        updatedAt: at,
      })),
  );
}

export const deviceShardEntity = entityHandler<DeviceShardState>(emptyShard, {
  get: (state) => ({ result: state }),
  addRows: (state, input) => {
    const rows = plannedRows(input);
    return rows === null ? {} : { state: addRows(state, rows) };
  },
  // In one operation, so a device is added (and so started) once, however the rollout's rescans overlap or replay.
  addNewRows: (state, input) => {
    const rows = plannedRows(input);
    if (rows === null) return { result: [] };
    const { shard, added } = addNewRows(state, rows);
    return { state: shard, result: added };
  },
  update: (state, input, context) => {
    if (!isRecord(input) || !Array.isArray(input.updates)) return {};
    const updates = input.updates.filter(isUpdate);
    if (updates.length === 0) return {};
    const { shard, moves } = updateRows(state, updates);
    if (moves.length > 0) {
      const at = updates.reduce((latest, update) => (update.updatedAt > latest ? update.updatedAt : latest), updates[0].updatedAt);
      const op: EntityOperations['rolloutLedger']['moves'] = { moves, at };
      context.df.signalEntity(ledgerEntity(rolloutOfShardKey(context.df.entityKey)), 'moves', op);
    }
    return { state: shard };
  },
  // The records and the answer in one operation: the devices the retry runs are exactly those it put back to pending.
  retry: (state, input) => {
    if (!isRetryOperation(input)) return { result: [] };
    const { shard, devices } = retryRows(state, input.selection, input.attempt, input.at);
    return { state: shard, result: devices };
  },
});

df.app.entity(ENTITY.shard, deviceShardEntity);
