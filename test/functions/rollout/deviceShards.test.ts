import fc from 'fast-check';
import { FIRMWARE_UPDATE_STATUSES } from '../../../contracts/firmwareUpdate';
import {
  DEVICE_ROLLOUT_STATES,
  DEVICE_SHARD_SIZE,
  MAX_DEVICE_SHARDS,
  MAX_TIMELINE_ENTRIES,
  addRows,
  applyReport,
  bucketOf,
  effectiveRow,
  emptyShard,
  fnv1a32,
  groupByShard,
  isTerminalDeviceState,
  markAccepted,
  plannedRecord,
  rowOf,
  shardCountFor,
  shardOf,
  startTracking,
  updateOf,
  updateRows,
} from '../../../functions/src/rollout';
import type {
  DeviceBucket,
  DeviceMove,
  DeviceRecord,
  DeviceRolloutState,
  DeviceRow,
  DeviceShardState,
  DeviceUpdate,
  TimelineEntry,
} from '../../../functions/src/rollout';
import { deviceReport } from '../support/fixtures';
import { deviceIdArb } from './fixtures';

const at = (second: number): string => new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString();
const row = (deviceId: string, state: DeviceRow['state'] = 'pending', wave: number | null = 0): DeviceRow => ({
  deviceId,
  wave,
  state,
  status: null,
  error: null,
  updatedAt: at(0),
});
const entry = (second: number, state: DeviceRolloutState, detail = `${state} at ${second}`): TimelineEntry => ({
  time: at(second),
  state,
  detail,
});

/** A tracker's news about a device: its state now and the timeline entries since its last update. */
const update = (deviceId: string, state: DeviceRolloutState, fields: Partial<DeviceUpdate> = {}): DeviceUpdate => ({
  ...plannedRecord(row(deviceId, state)),
  phase: 'accept',
  updatedAt: at(1),
  ...fields,
});

/** The state a bucket counts in. */
const stateOf = (bucket: DeviceBucket): DeviceRolloutState =>
  bucket === 'waiting' || bucket === 'downloading' || bucket === 'staged' || bucket === 'applying' ? 'inProgress' : bucket;

const recordOf = (shard: DeviceShardState, deviceId: string): DeviceRecord | undefined => shard.rows.find((r) => r.deviceId === deviceId);

describe('device shards', () => {
  test('shard count: about 100 devices a shard, at most 100 shards', () => {
    expect([0, 1, 100, 101, 5_000, 10_000, 1_000_000].map(shardCountFor)).toEqual([1, 1, 1, 2, 50, MAX_DEVICE_SHARDS, MAX_DEVICE_SHARDS]);
    expect(DEVICE_SHARD_SIZE).toBe(100);
  });

  test('FNV-1a by its published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test('a device always lands in the same shard, inside the range, and shards fill evenly', () => {
    fc.assert(
      fc.property(deviceIdArb, fc.integer({ min: 1, max: 100 }), (id, count) => {
        const shard = shardOf(id, count);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(count);
        expect(shardOf(id, count)).toBe(shard);
      }),
    );
    const ids = Array.from({ length: 100_000 }, (_, i) => `thermo-${i}`);
    const sizes = groupByShard(ids, 100, (id) => id).map((shard) => shard.length);
    expect(Math.min(...sizes)).toBeGreaterThan(850);
    expect(Math.max(...sizes)).toBeLessThan(1150);
    expect(() => shardOf('x', 0)).toThrow(RangeError);
  });

  test('a device still pending in a wave that is over is shown canceled, with the rest of its record as it is', () => {
    expect(effectiveRow(row('a'), () => true).state).toBe('canceled');
    expect(effectiveRow(row('a'), () => false).state).toBe('pending');
    expect(effectiveRow(row('s', 'skipped', null), () => true).state).toBe('skipped');
    const waveOne = plannedRecord(row('b', 'pending', 1));
    expect(effectiveRow(waveOne, (wave) => wave === 1)).toEqual({ ...waveOne, state: 'canceled' });
    const running = updateRows(emptyShard(), [update('c', 'inProgress', { timeline: [entry(1, 'inProgress')] })]).shard.rows[0];
    expect(effectiveRow(running, () => true)).toBe(running);
    // stageThenApply: a device holding a staged image its wave never applied ended canceled, its phase over.
    const staged = { ...running, status: 'downloadComplete' as const, phase: 'staged' as const };
    expect(effectiveRow(staged, () => true)).toEqual({ ...staged, state: 'canceled', phase: 'done' });
    expect(effectiveRow(staged, () => false)).toBe(staged);
  });
});

describe('device records', () => {
  test('planned records: the row with no detail yet; a device that has a record already keeps it', () => {
    const shard = addRows(emptyShard(), [row('a'), row('b', 'pending', 1), row('s', 'skipped', null)]);
    expect(shard.rows).toEqual([
      { ...row('a'), phase: null, twinVersion: null, currentFwVersion: null, progress: null, timeline: [], timelineDropped: 0 },
      plannedRecord(row('b', 'pending', 1)),
      plannedRecord(row('s', 'skipped', null)),
    ]);
    expect(addRows(shard, [row('a', 'failed'), row('b')])).toBe(shard);
    expect(addRows(shard, [row('a', 'failed'), row('c')]).rows.map((r) => [r.deviceId, r.state, r.wave])).toEqual([
      ['a', 'pending', 0],
      ['b', 'pending', 1],
      ['s', 'skipped', null],
      ['c', 'pending', 0],
    ]);
  });

  test('an update replaces the row and detail, appends its timeline entries, and returns a move per change of bucket', () => {
    const planned = addRows(emptyShard(), [row('a'), row('b')]);
    const first = updateRows(planned, [
      update('a', 'inProgress', {
        status: 'waiting',
        phase: 'download',
        twinVersion: 3,
        timeline: [entry(0, 'pending', 'planned'), entry(1, 'inProgress')],
      }),
    ]);
    expect(first.moves).toEqual([{ wave: 0, from: 'pending', to: 'waiting' }]);
    expect(recordOf(first.shard, 'a')).toEqual({
      ...row('a', 'inProgress'),
      status: 'waiting',
      updatedAt: at(1),
      phase: 'download',
      twinVersion: 3,
      currentFwVersion: null,
      progress: null,
      timeline: [entry(0, 'pending', 'planned'), entry(1, 'inProgress')],
      timelineDropped: 0,
    });
    expect(recordOf(first.shard, 'b')).toEqual(plannedRecord(row('b')));

    // Same state, another stage: a move; the new entries follow the ones the shard has.
    const second = updateRows(first.shard, [
      update('a', 'inProgress', {
        status: 'downloading',
        phase: 'download',
        progress: 40,
        twinVersion: 5,
        updatedAt: at(2),
        timeline: [entry(2, 'inProgress', 'downloading')],
      }),
    ]);
    expect(second.moves).toEqual([{ wave: 0, from: 'waiting', to: 'downloading' }]);
    expect(recordOf(second.shard, 'a')).toMatchObject({ status: 'downloading', progress: 40, twinVersion: 5, updatedAt: at(2) });
    expect(recordOf(second.shard, 'a')!.timeline.map((e) => e.detail)).toEqual(['planned', 'inProgress at 1', 'downloading']);
    // More progress, same stage: no move.
    const progressed = updateRows(second.shard, [
      update('a', 'inProgress', { status: 'downloading', phase: 'download', progress: 70, twinVersion: 6, updatedAt: at(2) }),
    ]);
    expect(progressed.moves).toEqual([]);
    expect(recordOf(progressed.shard, 'a')).toMatchObject({ progress: 70 });

    // An update with nothing new for the timeline keeps the timeline the shard has.
    const third = updateRows(second.shard, [
      update('a', 'failed', { error: { code: 'hashMismatch', message: 'sha256 differs' }, updatedAt: at(3) }),
    ]);
    expect(third.moves).toEqual([{ wave: 0, from: 'downloading', to: 'failed' }]);
    expect(recordOf(third.shard, 'a')).toMatchObject({ state: 'failed', error: { code: 'hashMismatch', message: 'sha256 differs' } });
    expect(recordOf(third.shard, 'a')!.timeline).toHaveLength(3);
  });

  test('several devices and several updates of one device in one call: applied in order, a move for each change', () => {
    const planned = addRows(emptyShard(), [row('a'), row('b', 'pending', 1), row('c', 'pending', 1)]);
    const { shard, moves } = updateRows(planned, [
      update('a', 'inProgress', { timeline: [entry(1, 'inProgress')] }),
      update('b', 'inProgress', { wave: 1, timeline: [entry(1, 'inProgress')] }),
      update('a', 'inProgress', { status: 'waiting', timeline: [entry(2, 'inProgress', 'waiting')] }),
      update('a', 'succeeded', { status: 'applyComplete', timeline: [entry(3, 'succeeded')] }),
      update('b', 'timedOut', { wave: 1, timeline: [entry(4, 'timedOut')] }),
    ]);
    // a: accepted (no report: waiting), then `waiting` (the same stage: no move), then succeeded.
    expect(moves).toEqual([
      { wave: 0, from: 'pending', to: 'waiting' },
      { wave: 1, from: 'pending', to: 'waiting' },
      { wave: 0, from: 'waiting', to: 'succeeded' },
      { wave: 1, from: 'waiting', to: 'timedOut' },
    ]);
    expect(shard.rows.map((r) => [r.deviceId, r.state, r.status, r.timeline.map((e) => e.time)])).toEqual([
      ['a', 'succeeded', 'applyComplete', [at(1), at(2), at(3)]],
      ['b', 'timedOut', null, [at(1), at(4)]],
      ['c', 'pending', null, []],
    ]);
    // The shard given is left as it was.
    expect(planned.rows.map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
  });

  test('terminal records stay as they are, whatever comes later in the same call or after', () => {
    const planned = addRows(emptyShard(), [row('a'), row('s', 'skipped', null)]);
    const done = updateRows(planned, [
      update('a', 'succeeded', { timeline: [entry(1, 'succeeded')] }),
      update('a', 'failed', { timeline: [entry(2, 'failed')] }),
    ]);
    expect(done.moves).toEqual([{ wave: 0, from: 'pending', to: 'succeeded' }]);
    const succeeded = recordOf(done.shard, 'a')!;
    expect(succeeded.timeline).toEqual([entry(1, 'succeeded')]);
    const later = updateRows(done.shard, [
      update('a', 'inProgress', { timeline: [entry(3, 'inProgress')] }),
      update('s', 'inProgress', { wave: null }),
    ]);
    expect(later.moves).toEqual([]);
    expect(later.shard).toBe(done.shard); // nothing changed: the same state, so the entity writes nothing new
    expect(recordOf(later.shard, 'a')).toBe(succeeded);
  });

  test('an update that overtook the plan: a record counted as coming from pending, which the plan keeps', () => {
    const early = updateRows(emptyShard(), [update('late', 'inProgress', { wave: 2, timeline: [entry(1, 'inProgress')] })]);
    expect(early.moves).toEqual([{ wave: 2, from: 'pending', to: 'waiting' }]);
    const record = recordOf(early.shard, 'late')!;
    expect(record).toMatchObject({ wave: 2, state: 'inProgress', timeline: [entry(1, 'inProgress')] });
    expect(addRows(early.shard, [row('late', 'pending', 2)]).rows).toEqual([record]);
    // Still pending, it moves nothing.
    expect(updateRows(emptyShard(), [update('quiet', 'pending', { wave: 2 })]).moves).toEqual([]);
  });

  test(`the timeline keeps the newest ${MAX_TIMELINE_ENTRIES} entries, counting those dropped by the shard and by the tracker`, () => {
    let shard = addRows(emptyShard(), [row('a')]);
    const entries = (from: number, count: number): TimelineEntry[] =>
      Array.from({ length: count }, (_, i) => entry(from + i, 'inProgress'));
    shard = updateRows(shard, [update('a', 'inProgress', { timeline: entries(0, 45) })]).shard;
    expect(recordOf(shard, 'a')).toMatchObject({ timelineDropped: 0 });
    expect(recordOf(shard, 'a')!.timeline).toHaveLength(45);
    // 10 more, the tracker having dropped 2 before it published: 55 would be kept, 5 too many.
    shard = updateRows(shard, [update('a', 'inProgress', { timeline: entries(100, 10), timelineDropped: 2 })]).shard;
    const record = recordOf(shard, 'a')!;
    expect(record.timeline).toHaveLength(MAX_TIMELINE_ENTRIES);
    expect(record.timeline[0]).toEqual(entry(5, 'inProgress'));
    expect(record.timeline.at(-1)).toEqual(entry(109, 'inProgress'));
    expect(record.timelineDropped).toBe(7);
    // A tracker's own overflow alone is counted too.
    shard = updateRows(shard, [update('a', 'inProgress', { timelineDropped: 4 })]).shard;
    expect(recordOf(shard, 'a')!.timelineDropped).toBe(11);
    expect(recordOf(shard, 'a')!.timeline).toEqual(record.timeline);
  });

  test("the moves account for every record: the plan's pending counts plus the moves are the records' buckets", () => {
    const universe = ['a', 'b', 'c', 'd', 'e', 'f'].map((deviceId, i) => ({ deviceId, wave: i % 2 }));
    const updateArb = fc.record({
      device: fc.nat({ max: universe.length - 1 }),
      state: fc.constantFrom(...DEVICE_ROLLOUT_STATES),
      status: fc.constantFrom(null, ...FIRMWARE_UPDATE_STATUSES),
      entries: fc.nat({ max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(updateArb, { maxLength: 6 }), { maxLength: 8 }),
        fc.nat({ max: universe.length }),
        (calls, plannedFirst) => {
          const rowsOf = (devices: typeof universe) => devices.map(({ deviceId, wave }) => row(deviceId, 'pending', wave));
          let shard = addRows(emptyShard(), rowsOf(universe.slice(0, plannedFirst)));
          const moves: DeviceMove[] = [];
          const model = new Map<string, DeviceBucket>(universe.map(({ deviceId }) => [deviceId, 'pending']));
          let second = 0;
          for (const call of calls) {
            const updates = call.map(({ device, state, status, entries }) => {
              const { deviceId, wave } = universe[device];
              second += 1;
              if (!isTerminalDeviceState(stateOf(model.get(deviceId)!))) model.set(deviceId, bucketOf({ state, status }));
              return update(deviceId, state, {
                status,
                wave,
                updatedAt: at(second),
                timeline: Array.from({ length: entries }, () => entry(second, state)),
              });
            });
            const result = updateRows(shard, updates);
            shard = result.shard;
            moves.push(...result.moves);
          }
          // The rest of the plan arrives after the updates that overtook it.
          shard = addRows(shard, rowsOf(universe.slice(plannedFirst)));

          expect(new Map(shard.rows.map((r) => [r.deviceId, bucketOf(r)]))).toEqual(model);
          const counts = new Map<string, number>();
          const add = (wave: number, bucket: DeviceMove['from'], n: number) =>
            counts.set(`${wave}:${bucket}`, (counts.get(`${wave}:${bucket}`) ?? 0) + n);
          for (const { wave } of universe) add(wave, 'pending', 1);
          for (const move of moves) {
            add(move.wave, move.from, -1);
            add(move.wave, move.to, 1);
          }
          const fromRows = new Map<string, number>();
          for (const r of shard.rows) fromRows.set(`${r.wave}:${bucketOf(r)}`, (fromRows.get(`${r.wave}:${bucketOf(r)}`) ?? 0) + 1);
          expect(new Map([...counts].filter(([, n]) => n !== 0))).toEqual(fromRows);
          for (const r of shard.rows) expect(r.timeline.length).toBeLessThanOrEqual(MAX_TIMELINE_ENTRIES);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("updateOf: a tracking's state and detail, for its wave", () => {
    const tracking = applyReport(
      markAccepted(startTracking('thermo#7', at(0)), at(1)),
      { twinVersion: 4, firmwareUpdate: deviceReport('downloading', { progress: 30 }), currentFwVersion: '1.9.0' },
      { rolloutId: 'r1', fwVersion: '2.1.0' },
      at(2),
    );
    expect(updateOf(tracking, 3)).toEqual({
      deviceId: 'thermo#7',
      wave: 3,
      state: 'inProgress',
      status: 'downloading',
      error: null,
      updatedAt: at(2),
      phase: 'download',
      twinVersion: 4,
      currentFwVersion: '1.9.0',
      progress: 30,
      timeline: tracking.timeline,
      timelineDropped: 0,
    });
    const { shard, moves } = updateRows(addRows(emptyShard(), [row('thermo#7', 'pending', 3)]), [updateOf(tracking, 3)]);
    expect(moves).toEqual([{ wave: 3, from: 'pending', to: 'downloading' }]);
    expect(shard.rows[0].timeline.map((e) => e.detail)).toEqual(['planned', 'accepted the firmwareUpdate method', 'downloading (30 %)']);
  });

  test("rowOf: the listing's view of a record", () => {
    const applying = update('a', 'inProgress', { status: 'applying', phase: 'apply', twinVersion: 9, timeline: [entry(1, 'inProgress')] });
    const record = updateRows(emptyShard(), [applying]).shard.rows[0];
    expect(rowOf(record)).toEqual({ ...row('a', 'inProgress'), status: 'applying', updatedAt: at(1), attempt: 1 });
    expect(rowOf(plannedRecord(row('s', 'skipped', null)))).toEqual({ ...row('s', 'skipped', null), attempt: 1 });
  });
});
