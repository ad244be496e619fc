jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { deviceShardEntity } from '../../../functions/src/entities/deviceShard';
import { rolloutCatalogEntity } from '../../../functions/src/entities/rolloutCatalog';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControl';
import { rolloutLedgerEntity } from '../../../functions/src/entities/rolloutLedger';
import { getRolloutDevice, listRolloutDevices } from '../../../functions/src/http/devices';
import { getRollout, listRollouts } from '../../../functions/src/http/rollouts';
import type { RolloutView } from '../../../functions/src/http/rollouts';
import { markAccepted, shardCountFor, shardOf, startTracking, totalsOf } from '../../../functions/src/rollout';
import type { DeviceRow, LedgerPlan } from '../../../functions/src/rollout';
import { FIRMWARE, specOf } from '../support/fixtures';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi().entity('rolloutControl', rolloutControlEntity).entity('rolloutLedger', rolloutLedgerEntity).entity('deviceShard', deviceShardEntity).entity('rolloutCatalog', rolloutCatalogEntity);
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.instances.clear();
  api.entities.clear();
});

const AT = '2025-01-01T00:00:00.000Z';

function get(path: string, params: Record<string, string>, query: Record<string, string> = {}): HttpRequest {
  const url = new URL(`https://fleet.example.com/api/${path}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return new HttpRequest({ method: 'GET', url: url.toString(), params, query });
}

const body = <T>(response: HttpResponseInit): T => response.jsonBody as T;

/** A rollout as the orchestration leaves it after planning: ledger, shard rows, control. */
async function planned(rolloutId: string, waves: string[][], skipped: string[] = []): Promise<number> {
  const all = [...waves.flat(), ...skipped];
  const shardCount = Math.max(3, shardCountFor(all.length));
  api.addInstance({ name: 'rollout', instanceId: rolloutId, input: { rolloutId, spec: specOf({}), specHash: 'h', createdAt: AT } });
  const plan: LedgerPlan = {
    rolloutId,
    firmware: FIRMWARE,
    createdAt: AT,
    shardCount,
    waves: waves.map((ids, index) => ({ index, name: index === 0 ? 'canary' : `wave-${index + 1}`, percent: index === waves.length - 1 ? 100 : 10, targeted: ids.length })),
    skipped: skipped.length,
  };
  await api.signal('rolloutLedger', rolloutId, 'plan', { plan, at: AT });
  const groups: { wave: number | null; deviceIds: string[] }[] = [...waves.map((deviceIds, wave) => ({ wave, deviceIds })), { wave: null, deviceIds: skipped }];
  for (let shard = 0; shard < shardCount; shard += 1) {
    const inShard = groups.map((group) => ({ wave: group.wave, deviceIds: group.deviceIds.filter((id) => shardOf(id, shardCount) === shard) }));
    await api.signal('deviceShard', `${rolloutId}:s${shard}`, 'addRows', { groups: inShard, at: AT });
  }
  return shardCount;
}

/** What a device orchestration signals when its state changes. */
async function deviceChanged(rolloutId: string, shardCount: number, row: Partial<DeviceRow> & { deviceId: string; wave: number }): Promise<void> {
  const full: DeviceRow = { state: 'inProgress', status: null, error: null, updatedAt: '2025-01-01T00:05:00.000Z', ...row };
  await api.signal('deviceShard', `${rolloutId}:s${shardOf(row.deviceId, shardCount)}`, 'update', { row: full });
}

describe('GET /api/rollouts/{id}', () => {
  test('unknown → 404; an id outside the rules → 400 naming id', async () => {
    expect((await getRollout(get('rollouts/nope', { id: 'nope' }), api.context())).status).toBe(404);
    const bad = await getRollout(get('rollouts/a:b', { id: 'a:b' }), api.context());
    expect(bad.status).toBe(400);
    expect(body<{ problems: unknown[] }>(bad).problems).toEqual([{ field: 'id', message: expect.stringMatching(/A-Z a-z 0-9/) }]);
  });

  test('while the targets are being resolved: the waves of the spec, nothing counted yet', async () => {
    const spec = specOf({ waves: [{ name: 'canary', percent: 5 }, { percent: 100 }] });
    api.addInstance({ name: 'rollout', instanceId: 'r1', input: { rolloutId: 'r1', spec, specHash: 'h', createdAt: AT }, customStatus: { phase: 'resolvingTargets' } });
    const response = await getRollout(get('rollouts/r1', { id: 'r1' }), api.context());
    expect(response.status).toBe(200);
    expect(body<RolloutView>(response)).toMatchObject({
      id: 'r1',
      state: 'running',
      phase: 'resolvingTargets',
      firmware: FIRMWARE,
      createdAt: AT,
      totals: totalsOf(),
      waves: [{ name: 'canary', state: 'pending', targeted: 0 }, { name: 'wave-2', state: 'pending', targeted: 0 }],
      links: { status: 'https://fleet.example.com/api/rollouts/r1' },
    });
  });

  test('live counts: each device state change reaches the totals through its shard and the ledger', async () => {
    const shards = await planned('r1', [['c1', 'c2'], ['d1', 'd2', 'd3']], ['old']);
    const view = async (): Promise<RolloutView> => body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect((await view()).totals).toEqual(totalsOf({ pending: 5, skipped: 1 }));

    await api.signal('rolloutLedger', 'r1', 'waveState', { index: 0, state: 'running', at: AT });
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'inProgress', status: 'waiting' });
    await deviceChanged('r1', shards, { deviceId: 'c2', wave: 0, state: 'inProgress' });
    let now = await view();
    expect(now.waves[0]).toMatchObject({ name: 'canary', state: 'running', pending: 0, inProgress: 2 });
    // A row update that does not change the state (a new status) moves nothing.
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'inProgress', status: 'downloading' });
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'succeeded', status: 'applyComplete' });
    await deviceChanged('r1', shards, { deviceId: 'c2', wave: 0, state: 'failed', status: 'downloadFailed', error: { code: 'hashMismatch', message: 'x' } });
    now = await view();
    expect(now.totals).toEqual(totalsOf({ succeeded: 1, failed: 1, pending: 3, skipped: 1 }));
    expect(now.updatedAt).toBe('2025-01-01T00:05:00.000Z');
    // A repeated terminal update counts once.
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'succeeded', status: 'applyComplete' });
    expect((await view()).totals.succeeded).toBe(1);
  });

  test('a pause shows at once, before the orchestration acts on it', async () => {
    await planned('r1', [['a']]);
    await api.signal('rolloutControl', 'r1', 'command', { operation: 'pause', at: AT });
    const view = body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect(view).toMatchObject({ state: 'paused', phase: 'running', control: { command: 'pause', pauseReason: 'operator' } });
  });

  test('once over, the final totals come from the orchestration output, not the ledger still catching up', async () => {
    const shards = await planned('r1', [['a', 'b']]);
    await deviceChanged('r1', shards, { deviceId: 'a', wave: 0, state: 'succeeded' });
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'completed', wave: 0, at: AT });
    const instance = api.instances.get('r1')!;
    // The control entity already says completed; the output is not readable yet: the ledger answers.
    expect(body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()))).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: 1, pending: 1 }) });
    instance.runtimeStatus = 'Completed';
    instance.output = {
      rolloutId: 'r1',
      state: 'completed',
      totals: totalsOf({ succeeded: 2, skipped: 1 }),
      waves: [{ index: 0, name: 'canary', percent: 100, state: 'completed', ...totalsOf({ succeeded: 2 }) }],
    };
    const view = body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect(view).toMatchObject({ state: 'completed', firmware: FIRMWARE, createdAt: AT, totals: totalsOf({ succeeded: 2, skipped: 1 }), waves: [{ name: 'canary', succeeded: 2 }] });
  });

  test('an aborted rollout shows why', async () => {
    await planned('r1', [['a', 'b']]);
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'aborted', wave: 0, at: AT });
    const instance = api.instances.get('r1')!;
    instance.runtimeStatus = 'Completed';
    instance.output = { rolloutId: 'r1', state: 'aborted', totals: totalsOf({ failed: 2 }), waves: [], error: 'the failure threshold (5 %, at least 1 devices) was exceeded in wave 0' };
    const view = body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect(view).toMatchObject({ state: 'aborted', phase: 'aborted', error: expect.stringMatching(/failure threshold/) });
  });

  test('a rollout that ended before planning shows its final state and error', async () => {
    api.addInstance({
      name: 'rollout',
      instanceId: 'r1',
      runtimeStatus: 'Completed',
      input: { rolloutId: 'r1', spec: specOf({}), specHash: 'h', createdAt: AT },
      output: { rolloutId: 'r1', state: 'aborted', totals: totalsOf(), waves: [], error: 'resolving the targets failed: HTTP 503' },
    });
    const view = body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect(view).toMatchObject({ state: 'aborted', error: 'resolving the targets failed: HTTP 503' });
  });
});

describe('GET /api/rollouts', () => {
  beforeEach(async () => {
    for (const [id, createdAt] of [
      ['r-old', '2025-01-01T00:00:00.000Z'],
      ['r-new', '2025-03-01T00:00:00.000Z'],
      ['r-mid', '2025-02-01T00:00:00.000Z'],
    ]) {
      await api.signal('rolloutCatalog', 'all', 'register', { id, createdAt, firmwareVersion: '2.1.0', state: 'running', updatedAt: createdAt });
    }
    await api.signal('rolloutCatalog', 'all', 'state', { id: 'r-old', state: 'completed', at: '2025-01-02T00:00:00.000Z' });
  });

  test('newest first, paged with a continuation token', async () => {
    const first = body<{ items: { id: string; state: string }[]; continuationToken: string | null }>(await listRollouts(get('rollouts', {}, { top: '2' }), api.context()));
    expect(first.items.map((item) => item.id)).toEqual(['r-new', 'r-mid']);
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = body<{ items: { id: string; state: string; links: { status: string } }[]; continuationToken: string | null }>(
      await listRollouts(get('rollouts', {}, { top: '2', continuationToken: first.continuationToken! }), api.context()),
    );
    expect(second.items).toEqual([expect.objectContaining({ id: 'r-old', state: 'completed', links: expect.objectContaining({ status: 'https://fleet.example.com/api/rollouts/r-old' }) })]);
    expect(second.continuationToken).toBeNull();
  });

  test('each item is the rollout as GET /api/rollouts/{id} shows it, with its totals', async () => {
    const shards = await planned('r-new', [['a', 'b', 'c']]);
    await deviceChanged('r-new', shards, { deviceId: 'b', wave: 0, state: 'succeeded' });
    const page = body<{ items: RolloutView[] }>(await listRollouts(get('rollouts', {}, { top: '1' }), api.context()));
    expect(page.items).toEqual([expect.objectContaining({ id: 'r-new', state: 'running', firmware: FIRMWARE, totals: totalsOf({ pending: 2, succeeded: 1 }) })]);
  });

  test('an empty catalog is an empty list', async () => {
    api.entities.clear();
    expect(body(await listRollouts(get('rollouts', {}), api.context()))).toEqual({ items: [], continuationToken: null });
  });

  test('bad paging parameters → 400 naming them', async () => {
    const response = await listRollouts(get('rollouts', {}, { top: '0', continuationToken: 'not-a-token' }), api.context());
    expect(response.status).toBe(400);
    expect(body<{ problems: { field: string }[] }>(response).problems.map((p) => p.field)).toEqual(['top', 'continuationToken']);
  });
});

describe('GET /api/rollouts/{id}/devices', () => {
  test('lists every device once across shards, page by page', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `dev-${i}`);
    await planned('r1', [ids.slice(0, 3), ids.slice(3)], ['old-1']);
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { top: '4', ...(token === null ? {} : { continuationToken: token }) };
      const page: { items: DeviceRow[]; continuationToken: string | null } = body(await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, query), api.context()));
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((item) => item.deviceId));
      token = page.continuationToken;
      pages += 1;
    } while (token !== null && pages < 50);
    expect(seen.sort()).toEqual([...ids, 'old-1'].sort());
  });

  test('filtered by state, with errors; devices of a wave that is over without them are canceled', async () => {
    const shards = await planned('r1', [['a', 'b', 'c'], ['d', 'e']]);
    await deviceChanged('r1', shards, { deviceId: 'a', wave: 0, state: 'failed', error: { code: 'hashMismatch', message: 'sha256 differs' } });
    await deviceChanged('r1', shards, { deviceId: 'b', wave: 0, state: 'succeeded' });
    // Wave 0 was canceled with c never started.
    await api.signal('rolloutLedger', 'r1', 'waveFinal', { index: 0, state: 'canceled', totals: totalsOf({ failed: 1, succeeded: 1, canceled: 1 }), at: AT });
    const list = async (state: string): Promise<DeviceRow[]> => {
      const all: DeviceRow[] = [];
      let token: string | null = null;
      do {
        const query: Record<string, string> = { state, ...(token === null ? {} : { continuationToken: token }) };
        const page: { items: DeviceRow[]; continuationToken: string | null } = body(await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, query), api.context()));
        all.push(...page.items);
        token = page.continuationToken;
      } while (token !== null);
      return all;
    };
    expect(await list('failed')).toEqual([expect.objectContaining({ deviceId: 'a', wave: 0, error: { code: 'hashMismatch', message: 'sha256 differs' } })]);
    expect((await list('canceled')).map((row) => row.deviceId)).toEqual(['c']);
    expect((await list('pending')).map((row) => row.deviceId).sort()).toEqual(['d', 'e']);
  });

  test('bad parameters → 400 naming them; unknown rollout → 404; not planned yet → empty', async () => {
    const bad = await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, { state: 'done', top: '5000', continuationToken: '%%%' }), api.context());
    expect(bad.status).toBe(400);
    expect(body<{ problems: { field: string }[] }>(bad).problems.map((p) => p.field)).toEqual(['state', 'top', 'continuationToken']);
    expect((await listRolloutDevices(get('rollouts/zz/devices', { id: 'zz' }), api.context())).status).toBe(404);
    api.addInstance({ name: 'rollout', instanceId: 'r2', input: null });
    expect(body(await listRolloutDevices(get('rollouts/r2/devices', { id: 'r2' }), api.context()))).toEqual({ items: [], continuationToken: null, planned: false });
  });
});

describe('GET /api/rollouts/{id}/devices/{deviceId}', () => {
  test("a running device: its orchestration's tracking with the timeline", async () => {
    await planned('r1', [['thermo#7']]);
    const tracking = markAccepted(startTracking('thermo#7', AT), '2025-01-01T00:00:02.000Z');
    api.addInstance({ name: 'rolloutDevice', instanceId: 'r1:d:thermo~7', input: { rolloutId: 'r1', deviceId: 'thermo#7', wave: 0 }, customStatus: tracking });
    const response = await getRolloutDevice(get('rollouts/r1/devices/thermo%237', { id: 'r1', deviceId: 'thermo#7' }), api.context());
    expect(response.status).toBe(200);
    expect(body(response)).toMatchObject({
      rolloutId: 'r1',
      deviceId: 'thermo#7',
      wave: 0,
      state: 'inProgress',
      phase: 'accept',
      orchestration: 'Running',
      timeline: [
        { time: AT, state: 'pending', detail: 'planned' },
        { time: '2025-01-01T00:00:02.000Z', state: 'inProgress', detail: 'accepted the firmwareUpdate method' },
      ],
    });
  });

  test('a device id with % reaches the right instance (the client path is percent-decoded)', async () => {
    await planned('r1', [['a%41']]);
    api.addInstance({ name: 'rolloutDevice', instanceId: 'r1:d:a%41', input: { wave: 0 }, customStatus: startTracking('a%41', AT) });
    const response = await getRolloutDevice(get('rollouts/r1/devices/a%2541', { id: 'r1', deviceId: 'a%41' }), api.context());
    expect(body(response)).toMatchObject({ deviceId: 'a%41', state: 'pending', orchestration: 'Running' });
  });

  test('not started, skipped, or not a target', async () => {
    await planned('r1', [['a']], ['old']);
    expect(body(await getRolloutDevice(get('rollouts/r1/devices/a', { id: 'r1', deviceId: 'a' }), api.context()))).toMatchObject({
      state: 'pending',
      wave: 0,
      orchestration: null,
      timeline: [{ state: 'pending', detail: 'planned' }],
    });
    expect(body(await getRolloutDevice(get('rollouts/r1/devices/old', { id: 'r1', deviceId: 'old' }), api.context()))).toMatchObject({ state: 'skipped', wave: null });
    expect((await getRolloutDevice(get('rollouts/r1/devices/zz', { id: 'r1', deviceId: 'zz' }), api.context())).status).toBe(404);
    const bad = await getRolloutDevice(get('rollouts/r1/devices/a%2Fb', { id: 'r1', deviceId: 'a/b' }), api.context());
    expect(bad.status).toBe(400);
    expect(body<{ problems: { field: string }[] }>(bad).problems[0].field).toBe('deviceId');
  });
});
