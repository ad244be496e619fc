jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { EntityContext } from 'durable-functions';
import { deviceShardEntity } from '../../../functions/src/entities/deviceShardEntity';
import { hubBudgetEntity } from '../../../functions/src/entities/hubBudgetEntity';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControlEntity';
import { rolloutLedgerEntity } from '../../../functions/src/entities/rolloutLedgerEntity';
import { initialControlState } from '../../../functions/src/rollout';
import type { DeviceRecord, DeviceUpdate, RolloutLedgerState } from '../../../functions/src/rollout';
import type { EntityBatchResult } from '../../../local/host/durable/protocol/entities';
import { entityFunction, runEntityBatch, type EntityOperation } from '../support/durableFunctions';

/** One batch of operations, as the Durable extension hands it to the entity function. */
async function run(
  handler: (context: EntityContext<never>) => void,
  name: string,
  key: string,
  state: unknown,
  batch: EntityOperation[],
): Promise<EntityBatchResult & { lines: string[] }> {
  const lines: string[] = [];
  const entity = { name, key, state: state === undefined ? undefined : JSON.stringify(state) };
  const result = await runEntityBatch(entityFunction(handler), entity, batch, (...args) => lines.push(args.join(' ')));
  return Object.assign(result, { lines });
}

/** A tracker's news about a device, as the batch orchestration sends it (updateOf). */
const update = (deviceId: string, state: DeviceUpdate['state'], second: number, fields: Partial<DeviceUpdate> = {}): DeviceUpdate => {
  const time = `2025-01-01T00:01:${String(second).padStart(2, '0')}.000Z`;
  return {
    deviceId,
    wave: 0,
    state,
    status: null,
    error: null,
    updatedAt: time,
    phase: 'accept',
    twinVersion: null,
    currentFwVersion: null,
    progress: null,
    timeline: [{ time, state, detail: `${state} at ${second}` }],
    timelineDropped: 0,
    ...fields,
  };
};

describe('entities as the Durable extension runs them', () => {
  test("a device shard takes a tracker's news about many devices in one operation, and tells its ledger the moves in ONE signal", async () => {
    const result = await run(deviceShardEntity, 'deviceshard', 'r1:s3', undefined, [
      {
        name: 'addRows',
        input: {
          groups: [
            { wave: 0, deviceIds: ['a', 'b', 'c'] },
            { wave: null, deviceIds: ['s'] },
            { wave: 'x', deviceIds: ['bad'] },
          ],
          at: '2025-01-01T00:00:00.000Z',
        },
      },
      {
        name: 'update',
        input: {
          updates: [
            update('a', 'inProgress', 10),
            update('b', 'failed', 30, { error: { code: 'invalidRequest', message: 'size: too big' } }),
            { deviceId: 42 },
            update('a', 'inProgress', 20, { status: 'downloading', phase: 'download', twinVersion: 4, progress: 30 }),
            { ...update('c', 'succeeded', 40), timeline: 'not a list' },
          ],
        },
      },
      // News without a change of bucket (more progress): no signal.
      {
        name: 'update',
        input: { updates: [update('a', 'inProgress', 50, { status: 'downloading', phase: 'download', twinVersion: 5, progress: 60 })] },
      },
      // A status the shard does not know: ignored.
      { name: 'update', input: { updates: [update('a', 'inProgress', 52, { status: 'rebooting' as never })] } },
      // Nothing usable, or the shape of another version: ignored.
      { name: 'update', input: { updates: [{ deviceId: 'c', state: 'succeeded' }] } },
      { name: 'update', input: { row: update('c', 'succeeded', 55) } },
      { name: 'update', input: { updates: [update('a', 'succeeded', 59), update('s', 'inProgress', 59, { wave: null })] } },
      { name: 'get', signal: false },
    ]);
    expect(result.signals.map((s) => [s.target, s.name, JSON.parse(s.input!)])).toEqual([
      [
        { name: 'rolloutLedger', key: 'r1' },
        'moves',
        {
          moves: [
            { wave: 0, from: 'pending', to: 'waiting' },
            { wave: 0, from: 'pending', to: 'failed' },
            { wave: 0, from: 'waiting', to: 'downloading' },
          ],
          at: '2025-01-01T00:01:30.000Z',
        },
      ],
      [
        { name: 'rolloutLedger', key: 'r1' },
        'moves',
        { moves: [{ wave: 0, from: 'downloading', to: 'succeeded' }], at: '2025-01-01T00:01:59.000Z' },
      ],
    ]);
    const state = JSON.parse(result.entityState!) as { rows: DeviceRecord[] };
    expect(state.rows.map((r) => [r.deviceId, r.wave, r.state, r.status, r.twinVersion, r.timeline.map((e) => e.detail)])).toEqual([
      ['a', 0, 'succeeded', null, null, ['inProgress at 10', 'inProgress at 20', 'inProgress at 50', 'succeeded at 59']],
      ['b', 0, 'failed', null, null, ['failed at 30']],
      ['c', 0, 'pending', null, null, []],
      ['s', null, 'skipped', null, null, []],
    ]);
    expect(state.rows[1].error).toEqual({ code: 'invalidRequest', message: 'size: too big' });
    expect(JSON.parse(result.results[7].result!)).toEqual(state);
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
    expect(
      (result as unknown as { lines: string[] }).lines.some(
        (line) => line.includes('entity.unknownOperation') && line.includes('frobnicate'),
      ),
    ).toBe(true);
  });

  test('the control entity keeps the approval deadline of the phase report and answers an approval timeout with its state', async () => {
    const deadline = '2025-01-01T01:00:00.000Z';
    const result = await run(rolloutControlEntity, 'rolloutcontrol', 'r1', undefined, [
      { name: 'phase', input: { phase: 'awaitingApproval', wave: 1, approvalDeadline: deadline, at: '2025-01-01T00:00:00.000Z' } },
      { name: 'get', signal: false },
      { name: 'approvalTimeout', input: { wave: 1, action: 'sometimes', minutes: 60, at: deadline }, signal: false },
      { name: 'approvalTimeout', input: { wave: 1, action: 'pause', minutes: 60, at: deadline }, signal: false },
      { name: 'get', signal: false },
    ]);
    expect(JSON.parse(result.results[1].result!)).toMatchObject({ phase: 'awaitingApproval', approvalDeadline: deadline });
    expect(JSON.parse(result.results[2].result!)).toMatchObject({ command: 'run', generation: 0 }); // malformed: unchanged
    const paused = { command: 'pause', pauseReason: 'approvalTimeout', generation: 1 };
    expect(JSON.parse(result.results[3].result!)).toMatchObject(paused);
    expect(JSON.parse(result.results[4].result!)).toMatchObject(paused);
  });

  test('the ledger exists only once planned; moves before the plan are ignored', async () => {
    const result = await run(rolloutLedgerEntity, 'rolloutledger', 'r1', undefined, [
      { name: 'moves', input: { moves: [{ wave: 0, from: 'pending', to: 'inProgress' }], at: 'x' } },
      { name: 'get', signal: false },
    ]);
    expect(JSON.parse(result.results[1].result!)).toBeNull();
  });

  test('the ledger applies moves of this version and the previous one (inProgress), and drops malformed ones', async () => {
    const plan = {
      rolloutId: 'r1',
      firmware: { version: '2.1.0', uri: 'https://fw.example.com/a.bin', sha256: 'a'.repeat(64), size: 10 },
      createdAt: 'T0',
      shardCount: 1,
      waves: [{ index: 0, name: 'all', percent: 100, targeted: 4 }],
      skipped: 0,
      policy: { failureThreshold: { percent: 5, minDevices: 1, action: 'pause' }, approval: 'auto', maxConcurrency: 10, soakSeconds: 0 },
    };
    const result = await run(rolloutLedgerEntity, 'rolloutledger', 'r1', undefined, [
      { name: 'plan', input: { plan, at: 'T0' } },
      {
        name: 'moves',
        input: {
          moves: [
            { wave: 0, from: 'pending', to: 'inProgress' },
            { wave: 0, from: 'pending', to: 'applying' },
            { wave: 0, from: 'pending', to: 'rebooting' },
            { wave: '0', from: 'pending', to: 'waiting' },
            { wave: 0, from: 'pending' },
            'pending→waiting',
          ],
          at: 'T1',
        },
      },
      { name: 'moves', input: { moves: [{ wave: 0, from: 'pending', to: 'waiting' }] } },
      { name: 'get', signal: false },
    ]);
    const ledger = JSON.parse(result.results[3].result!) as RolloutLedgerState;
    expect(ledger.waves[0]).toMatchObject({ pending: 2, inProgress: 2, inProgressBy: { waiting: 1, downloading: 0, applying: 1 } });
    expect([ledger.startedAt, ledger.updatedAt]).toEqual(['T1', 'T1']);
  });

  test('the hub budget grants from one bucket to every caller, slows on a 429 signal, and ignores malformed asks', async () => {
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    const result = await run(hubBudgetEntity, 'hubbudget', 'hub', undefined, [
      { name: 'reserve', input: { want: 5, at: t0, ceiling: 8 }, signal: false },
      // A second tracker in the same second gets what is left.
      { name: 'reserve', input: { want: 5, at: t0, ceiling: 8 }, signal: false },
      { name: 'reserve', input: { want: -1, at: t0, ceiling: 8 }, signal: false },
      { name: 'throttled', input: { at: t0 + 1000, ceiling: 8 } },
      { name: 'throttled', input: { at: 'soon' } },
      { name: 'reserve', input: { want: 5, at: t0 + 1000, ceiling: 8 }, signal: false },
    ]);
    expect(result.results.filter((r) => r.result !== undefined).map((r) => JSON.parse(r.result!))).toEqual([
      { granted: 5, retryAt: null },
      // The other 2 accrue in a quarter of a second.
      { granted: 3, retryAt: t0 + 250 },
      { granted: 0, retryAt: null },
      // After the 429 the bucket is empty and fills at half the rate: a group of 4 in a second.
      { granted: 0, retryAt: t0 + 2000 },
    ]);
    expect(JSON.parse(result.entityState!)).toMatchObject({ rate: 4, tokens: 0, at: t0 + 1000 });
  });
});
