/**
 * Entity deviceShard@<rolloutId>:s<n>: the rows of the devices whose id hashes to shard n
 * (rollout/deviceRows.ts, rollout/deviceShards.ts). Rows are added by the rollout orchestration
 * when it plans and updated by the device orchestrations; every change of a device's state is
 * passed on to the rollout's ledger as a move, so the ledger's live counts are the rows' states.
 */
import * as df from 'durable-functions';
import { DEVICE_ROLLOUT_STATES, addRows, emptyShard, updateRow } from '../rollout';
import type { DeviceRow, DeviceShardState } from '../rollout';
import { ENTITY, ledgerEntity, rolloutOfShardKey } from './contracts';
import type { EntityOperations } from './contracts';
import { entityHandler, isObject } from './entityState';

function isRow(value: unknown): value is DeviceRow {
  return (
    isObject(value) &&
    typeof value.deviceId === 'string' &&
    (value.wave === null || typeof value.wave === 'number') &&
    (DEVICE_ROLLOUT_STATES as readonly unknown[]).includes(value.state) &&
    typeof value.updatedAt === 'string'
  );
}

function isGroup(value: unknown): value is EntityOperations['deviceShard']['addRows']['groups'][number] {
  return isObject(value) && (value.wave === null || typeof value.wave === 'number') && Array.isArray(value.deviceIds);
}

export const deviceShardEntity = entityHandler<DeviceShardState>(emptyShard, {
  get: (state) => ({ result: state }),
  addRows: (state, input) => {
    if (!isObject(input) || !Array.isArray(input.groups) || typeof input.at !== 'string') return {};
    const at = input.at;
    const rows = input.groups.filter(isGroup).flatMap((group) =>
      group.deviceIds.filter((id): id is string => typeof id === 'string').map((deviceId): DeviceRow => ({
        deviceId,
        wave: group.wave,
        state: group.wave === null ? 'skipped' : 'pending',
        status: null,
        error: null,
        updatedAt: at,
      })),
    );
    return { state: addRows(state, rows) };
  },
  update: (state, input, context) => {
    if (!isObject(input) || !isRow(input.row)) return {};
    const { row } = input as EntityOperations['deviceShard']['update'];
    const { shard, move } = updateRow(state, row);
    if (move !== null) {
      const moves: EntityOperations['rolloutLedger']['moves'] = { moves: [move], at: row.updatedAt };
      context.df.signalEntity(ledgerEntity(rolloutOfShardKey(context.df.entityKey)), 'moves', moves);
    }
    return { state: shard };
  },
});

df.app.entity(ENTITY.shard, deviceShardEntity);
