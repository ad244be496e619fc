import fc from 'fast-check';
import { DEVICE_SHARD_SIZE, MAX_DEVICE_SHARDS, addRows, effectiveRow, emptyShard, fnv1a32, groupByShard, shardCountFor, shardOf, updateRow } from '../../../functions/src/rollout';
import type { DeviceRow } from '../../../functions/src/rollout';
import { deviceIdArb } from './fixtures';

const row = (deviceId: string, state: DeviceRow['state'] = 'pending', wave: number | null = 0): DeviceRow => ({ deviceId, wave, state, status: null, error: null, updatedAt: '2025-01-01T00:00:00.000Z' });

describe('device shards', () => {
  test('shard count: about 1000 devices a shard, at most 100 shards', () => {
    expect([0, 1, 100, 101, 5_000, 10_000, 1_000_000].map(shardCountFor)).toEqual([1, 1, 1, 2, 50, MAX_DEVICE_SHARDS, MAX_DEVICE_SHARDS]);
    expect(DEVICE_SHARD_SIZE).toBe(100);
  });

  test('FNV-1a by its published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test('a device always lands in the same shard, inside the range, and shards fill evenly', () => {
    fc.assert(fc.property(deviceIdArb, fc.integer({ min: 1, max: 100 }), (id, count) => {
      const shard = shardOf(id, count);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(count);
      expect(shardOf(id, count)).toBe(shard);
    }));
    const ids = Array.from({ length: 100_000 }, (_, i) => `thermo-${i}`);
    const sizes = groupByShard(ids, 100, (id) => id).map((shard) => shard.length);
    expect(Math.min(...sizes)).toBeGreaterThan(850);
    expect(Math.max(...sizes)).toBeLessThan(1150);
    expect(() => shardOf('x', 0)).toThrow(RangeError);
  });

  test('rows: planned once, updated with a move per change of state, terminal rows stay', () => {
    let shard = addRows(emptyShard(), [row('a'), row('b'), row('s', 'skipped', null)]);
    expect(addRows(shard, [row('a', 'failed')]).rows.find((r) => r.deviceId === 'a')!.state).toBe('pending');
    let result = updateRow(shard, { ...row('a', 'inProgress'), status: 'waiting' });
    expect(result.move).toEqual({ wave: 0, from: 'pending', to: 'inProgress' });
    shard = result.shard;
    result = updateRow(shard, { ...row('a', 'inProgress'), status: 'downloading' });
    expect(result.move).toBeNull();
    expect(result.shard.rows.find((r) => r.deviceId === 'a')!.status).toBe('downloading');
    shard = updateRow(result.shard, row('a', 'succeeded')).shard;
    expect(updateRow(shard, row('a', 'failed'))).toEqual({ shard, move: null });
    // An update that overtook the plan: counted as coming from pending, and the plan keeps it.
    const early = updateRow(emptyShard(), row('late', 'inProgress', 2));
    expect(early.move).toEqual({ wave: 2, from: 'pending', to: 'inProgress' });
    expect(addRows(early.shard, [row('late', 'pending', 2)]).rows).toEqual([row('late', 'inProgress', 2)]);
  });

  test('a device still pending in a wave that is over is shown canceled', () => {
    expect(effectiveRow(row('a'), () => true).state).toBe('canceled');
    expect(effectiveRow(row('a'), () => false).state).toBe('pending');
    expect(effectiveRow(row('s', 'skipped', null), () => true).state).toBe('skipped');
  });
});
