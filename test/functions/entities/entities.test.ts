jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { InvocationContext } from '@azure/functions';
import type { EntityContext } from 'durable-functions';
import { deviceShardEntity } from '../../../functions/src/entities/deviceShard';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControl';
import { rolloutLedgerEntity } from '../../../functions/src/entities/rolloutLedger';
import { initialControlState } from '../../../functions/src/rollout';
import type { DeviceRow } from '../../../functions/src/rollout';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createEntityFunction } = require('durable-functions/lib/src/util/testingUtils') as {
  createEntityFunction: (handler: (context: EntityContext<never>) => void) => (trigger: unknown, context: InvocationContext) => Promise<EntityResult>;
};

interface EntityResult {
  entityExists: boolean;
  entityState?: string;
  results: { isError: boolean; result?: string }[];
  signals: { target: { name: string; key: string }; name: string; input?: string }[];
}

/** One batch of operations, as the Durable extension hands it to the entity function. */
async function run(handler: (context: EntityContext<never>) => void, name: string, key: string, state: unknown, batch: { name: string; input?: unknown; signal?: boolean }[]): Promise<EntityResult> {
  const trigger = {
    self: { name, key },
    exists: state !== undefined,
    state: state === undefined ? undefined : JSON.stringify(state),
    batch: batch.map((op, i) => ({ id: `op-${i}`, name: op.name, signal: op.signal ?? true, input: op.input === undefined ? undefined : JSON.stringify(op.input) })),
  };
  const lines: string[] = [];
  const result = await createEntityFunction(handler)(trigger, new InvocationContext({ functionName: name, logHandler: (_l, ...args) => lines.push(args.join(' ')) }));
  return Object.assign(result, { lines });
}

const row = (deviceId: string, state: DeviceRow['state'], updatedAt = '2025-01-01T00:01:00.000Z'): DeviceRow => ({ deviceId, wave: 0, state, status: null, error: null, updatedAt });

describe('entities as the Durable extension runs them', () => {
  test('a device shard passes each change of state on to its rollout ledger, in one batch', async () => {
    const result = await run(deviceShardEntity, 'deviceshard', 'r1:s3', undefined, [
      { name: 'addRows', input: { groups: [{ wave: 0, deviceIds: ['a', 'b'] }, { wave: null, deviceIds: ['s'] }, { wave: 'x', deviceIds: ['bad'] }], at: '2025-01-01T00:00:00.000Z' } },
      { name: 'update', input: { row: row('a', 'inProgress') } },
      { name: 'update', input: { row: { ...row('a', 'inProgress'), status: 'downloading' } } },
      { name: 'update', input: { row: row('b', 'failed') } },
      { name: 'update', input: { row: { deviceId: 42 } } },
      { name: 'get', signal: false },
    ]);
    expect(result.signals.map((s) => [s.target, s.name, JSON.parse(s.input!)])).toEqual([
      [{ name: 'rolloutLedger', key: 'r1' }, 'moves', { moves: [{ wave: 0, from: 'pending', to: 'inProgress' }], at: '2025-01-01T00:01:00.000Z' }],
      [{ name: 'rolloutLedger', key: 'r1' }, 'moves', { moves: [{ wave: 0, from: 'pending', to: 'failed' }], at: '2025-01-01T00:01:00.000Z' }],
    ]);
    const state = JSON.parse(result.entityState!) as { rows: DeviceRow[] };
    expect(state.rows.map((r) => [r.deviceId, r.wave, r.state, r.status])).toEqual([['a', 0, 'inProgress', 'downloading'], ['b', 0, 'failed', null], ['s', null, 'skipped', null]]);
    expect(JSON.parse(result.results[5].result!)).toEqual(state);
  });

  test('the control entity answers get before anything was recorded, and ignores malformed input and unknown operations', async () => {
    const result = await run(rolloutControlEntity, 'rolloutcontrol', 'r1', undefined, [
      { name: 'get', signal: false },
      { name: 'command', input: { operation: 'explode', at: 'now' } },
      { name: 'command', input: { operation: 'pause', at: '2025-01-01T00:00:00.000Z' } },
      { name: 'frobnicate' },
      { name: 'get', signal: false },
    ]);
    expect(JSON.parse(result.results[0].result!)).toEqual(initialControlState());
    expect(JSON.parse(result.results[4].result!)).toMatchObject({ command: 'pause', generation: 1 });
    expect((result as unknown as { lines: string[] }).lines.some((line) => line.includes('entity.unknownOperation') && line.includes('frobnicate'))).toBe(true);
  });

  test('the ledger exists only once planned; moves before the plan are ignored', async () => {
    const result = await run(rolloutLedgerEntity, 'rolloutledger', 'r1', undefined, [
      { name: 'moves', input: { moves: [{ wave: 0, from: 'pending', to: 'inProgress' }], at: 'x' } },
      { name: 'get', signal: false },
    ]);
    expect(JSON.parse(result.results[1].result!)).toBeNull();
  });
});
