jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { deviceShardEntity } from '../../../functions/src/entities/deviceShardEntity';
import { rolloutCatalogEntity } from '../../../functions/src/entities/rolloutCatalogEntity';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControlEntity';
import { rolloutLedgerEntity } from '../../../functions/src/entities/rolloutLedgerEntity';
import { controlHandler } from '../../../functions/src/http/control';
import { getRolloutDevice, listRolloutDevices } from '../../../functions/src/http/devices';
import { getRollout, listRollouts } from '../../../functions/src/http/rollouts';
import type { RolloutView } from '../../../functions/src/http/rollouts';
import {
  CONTROL_OPERATIONS,
  applyInvokeOutcome,
  applyReports,
  cancelBeforeStart,
  rolloutPolicy,
  shardCountFor,
  shardOf,
  startTracked,
  totalsOf,
  updateOf,
} from '../../../functions/src/rollout';
import type {
  ControlOperation,
  DevicePage,
  DeviceRecord,
  DeviceRow,
  DeviceUpdate,
  LedgerPlan,
  RolloutPage,
  TrackedDevice,
} from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS, deviceReport, specOf } from '../support/fixtures';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi()
  .entity('rolloutControl', rolloutControlEntity)
  .entity('rolloutLedger', rolloutLedgerEntity)
  .entity('deviceShard', deviceShardEntity)
  .entity('rolloutCatalog', rolloutCatalogEntity);
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.instances.clear();
  api.entities.clear();
});

const AT = '2025-01-01T00:00:00.000Z';
/** The spec every planned rollout here runs with. */
const SPEC = specOf({ failureThreshold: { percent: 20, minDevices: 2, action: 'pause' }, maxConcurrency: 25, soakSeconds: 60 });

function get(path: string, params: Record<string, string>, query: Record<string, string> = {}): HttpRequest {
  const url = new URL(`https://fleet.example.com/api/${path}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return new HttpRequest({ method: 'GET', url: url.toString(), params, query });
}

const body = <T>(response: HttpResponseInit): T => response.jsonBody as T;

/** A rollout as the orchestration leaves it after planning: ledger, shard rows, control. */
async function planned(rolloutId: string, waves: string[][], skipped: string[] = [], spec = SPEC): Promise<number> {
  const all = [...waves.flat(), ...skipped];
  const shardCount = Math.max(3, shardCountFor(all.length));
  api.addInstance({ name: 'rollout', instanceId: rolloutId, input: { rolloutId, spec, specHash: 'h', createdAt: AT } });
  const plan: LedgerPlan = {
    rolloutId,
    firmware: FIRMWARE,
    createdAt: AT,
    shardCount,
    waves: waves.map((ids, index) => ({
      index,
      name: index === 0 ? 'canary' : `wave-${index + 1}`,
      percent: index === waves.length - 1 ? 100 : 10,
      targeted: ids.length,
    })),
    skipped: skipped.length,
    policy: rolloutPolicy(spec),
  };
  await api.signal('rolloutLedger', rolloutId, 'plan', { plan, at: AT });
  const groups: { wave: number | null; deviceIds: string[] }[] = [
    ...waves.map((deviceIds, wave) => ({ wave, deviceIds })),
    { wave: null, deviceIds: skipped },
  ];
  for (let shard = 0; shard < shardCount; shard += 1) {
    const inShard = groups.map((group) => ({
      wave: group.wave,
      deviceIds: group.deviceIds.filter((id) => shardOf(id, shardCount) === shard),
    }));
    await api.signal('deviceShard', `${rolloutId}:s${shard}`, 'addRows', { groups: inShard, at: AT });
  }
  return shardCount;
}

/** What a tracker (batch orchestration) publishes: its devices' news, one shard `update` op per shard touched. */
async function publish(rolloutId: string, shardCount: number, updates: DeviceUpdate[]): Promise<void> {
  for (let shard = 0; shard < shardCount; shard += 1) {
    const group = updates.filter((update) => shardOf(update.deviceId, shardCount) === shard);
    if (group.length > 0) await api.signal('deviceShard', `${rolloutId}:s${shard}`, 'update', { updates: group });
  }
}

/** A device's row changed (its detail aside). */
async function deviceChanged(
  rolloutId: string,
  shardCount: number,
  row: Partial<DeviceRow> & { deviceId: string; wave: number },
): Promise<void> {
  const full: DeviceRow = { state: 'inProgress', status: null, error: null, updatedAt: '2025-01-01T00:05:00.000Z', ...row };
  const detail = { phase: null, twinVersion: null, currentFwVersion: null, progress: null, timeline: [], timelineDropped: 0 };
  await publish(rolloutId, shardCount, [{ ...full, ...detail }]);
}

/**
 * Publishes tracked devices' news as a tracker does (rollout/trackedDevice.ts, orchestrators/batch.ts): each
 * device's tracking as it is now, and only the timeline entries not published yet, which it then forgets.
 */
async function tracked(rolloutId: string, shardCount: number, wave: number, devices: TrackedDevice[]): Promise<TrackedDevice[]> {
  await publish(
    rolloutId,
    shardCount,
    devices.map((device) => updateOf(device.tracking, wave)),
  );
  return devices.map((device) => ({ ...device, tracking: { ...device.tracking, timeline: [], timelineDropped: 0 } }));
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
    api.addInstance({
      name: 'rollout',
      instanceId: 'r1',
      input: { rolloutId: 'r1', spec, specHash: 'h', createdAt: AT },
      customStatus: { phase: 'resolvingTargets' },
    });
    const response = await getRollout(get('rollouts/r1', { id: 'r1' }), api.context());
    expect(response.status).toBe(200);
    expect(body<RolloutView>(response)).toMatchObject({
      id: 'r1',
      state: 'running',
      phase: 'resolvingTargets',
      firmware: FIRMWARE,
      createdAt: AT,
      totals: totalsOf(),
      waves: [
        { name: 'canary', state: 'pending', targeted: 0 },
        { name: 'wave-2', state: 'pending', targeted: 0 },
      ],
      links: { status: 'https://fleet.example.com/api/rollouts/r1' },
    });
  });

  test('live counts: each device state change reaches the totals through its shard and the ledger', async () => {
    const shards = await planned(
      'r1',
      [
        ['c1', 'c2'],
        ['d1', 'd2', 'd3'],
      ],
      ['old'],
    );
    const view = async (): Promise<RolloutView> => body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect((await view()).totals).toEqual(totalsOf({ pending: 5, skipped: 1 }));
    expect((await view()).startedAt).toBeNull();

    await api.signal('rolloutLedger', 'r1', 'waveState', { index: 0, state: 'running', at: AT });
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'inProgress', status: 'waiting' });
    await deviceChanged('r1', shards, { deviceId: 'c2', wave: 0, state: 'inProgress' });
    let now = await view();
    expect(now.waves[0]).toMatchObject({
      name: 'canary',
      state: 'running',
      pending: 0,
      inProgress: 2,
      inProgressBy: { waiting: 2, downloading: 0, staged: 0, applying: 0 },
    });
    expect(now.startedAt).toBe('2025-01-01T00:05:00.000Z');
    // A new status moves the device to another stage; its state stays.
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'inProgress', status: 'downloading' });
    await deviceChanged('r1', shards, { deviceId: 'c2', wave: 0, state: 'inProgress', status: 'applyComplete' });
    now = await view();
    expect(now.totals).toMatchObject({ inProgress: 2, pending: 3 });
    expect(now.inProgressBy).toEqual({ waiting: 0, downloading: 1, staged: 0, applying: 1 });
    expect(now.waves.map((wave) => wave.inProgressBy)).toEqual([
      { waiting: 0, downloading: 1, staged: 0, applying: 1 },
      { waiting: 0, downloading: 0, staged: 0, applying: 0 },
    ]);
    await deviceChanged('r1', shards, { deviceId: 'c1', wave: 0, state: 'succeeded', status: 'applyComplete' });
    await deviceChanged('r1', shards, {
      deviceId: 'c2',
      wave: 0,
      state: 'failed',
      status: 'downloadFailed',
      error: { code: 'hashMismatch', message: 'x' },
    });
    now = await view();
    expect(now.totals).toEqual(totalsOf({ succeeded: 1, failed: 1, pending: 3, skipped: 1 }));
    expect(now.inProgressBy).toEqual({ waiting: 0, downloading: 0, staged: 0, applying: 0 });
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
    expect(body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()))).toMatchObject({
      state: 'completed',
      totals: totalsOf({ succeeded: 1, pending: 1 }),
    });
    instance.runtimeStatus = 'Completed';
    instance.output = {
      rolloutId: 'r1',
      state: 'completed',
      totals: totalsOf({ succeeded: 2, skipped: 1 }),
      waves: [{ index: 0, name: 'canary', percent: 100, state: 'completed', ...totalsOf({ succeeded: 2 }) }],
    };
    const view = body<RolloutView>(await getRollout(get('rollouts/r1', { id: 'r1' }), api.context()));
    expect(view).toMatchObject({
      state: 'completed',
      firmware: FIRMWARE,
      createdAt: AT,
      totals: totalsOf({ succeeded: 2, skipped: 1 }),
      waves: [{ name: 'canary', succeeded: 2 }],
    });
  });

  test('an aborted rollout shows why', async () => {
    await planned('r1', [['a', 'b']]);
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'aborted', wave: 0, at: AT });
    const instance = api.instances.get('r1')!;
    instance.runtimeStatus = 'Completed';
    instance.output = {
      rolloutId: 'r1',
      state: 'aborted',
      totals: totalsOf({ failed: 2 }),
      waves: [],
      error: 'the failure threshold (5 %, at least 1 devices) was exceeded in wave 0',
    };
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

describe('GET /api/rollouts/{id}: policy, failure share and the commands that apply', () => {
  const view = async (id = 'r1'): Promise<RolloutView> => body<RolloutView>(await getRollout(get(`rollouts/${id}`, { id }), api.context()));
  const phase = (state: string, wave: number | null): Promise<void> =>
    api.signal('rolloutControl', 'r1', 'phase', { phase: state, wave, at: AT });
  const post = (operation: ControlOperation): Promise<HttpResponseInit> =>
    controlHandler(operation)(
      new HttpRequest({ method: 'POST', url: `https://fleet.example.com/api/rollouts/r1/${operation}`, params: { id: 'r1' } }),
      api.context(),
    );
  /** Each reason the view gives is what a POST of that command gets with its 409 now (accepted POSTs would change the rollout). */
  async function expectActionsMatchPosts(actions: RolloutView['actions']): Promise<void> {
    for (const operation of CONTROL_OPERATIONS) {
      const reason = actions[operation];
      if (reason === null) continue;
      const response = await post(operation);
      expect([operation, response.status, (response.jsonBody as { message: string }).message]).toEqual([
        operation,
        409,
        `Cannot ${operation} rollout r1: ${reason}.`,
      ]);
    }
  }

  test('running: the policy of its spec, the share on the wave it is on, pause and cancel apply', async () => {
    const shards = await planned('r1', [
      ['a', 'b', 'c'],
      ['d', 'e', 'f', 'g'],
    ]);
    await phase('running', 1);
    expect(await view()).toMatchObject({ failureShare: null, control: { wave: 1 } });
    await deviceChanged('r1', shards, { deviceId: 'a', wave: 0, state: 'succeeded' });
    await deviceChanged('r1', shards, { deviceId: 'd', wave: 1, state: 'succeeded' });
    await deviceChanged('r1', shards, { deviceId: 'e', wave: 1, state: 'failed', error: { code: 'hashMismatch', message: 'x' } });
    await deviceChanged('r1', shards, { deviceId: 'f', wave: 1, state: 'timedOut' });
    const running = await view();
    expect(running).toMatchObject({
      state: 'running',
      policy: {
        failureThreshold: { percent: 20, minDevices: 2, action: 'pause' },
        approval: { mode: 'auto' },
        maxConcurrency: 25,
        soakSeconds: 60,
      },
      approvalDeadline: null,
      failureShare: { wave: 1, finished: 3, failed: 2, percent: 66.67 },
      control: { command: 'run', pauseReason: null, wave: 1, approvedThrough: -1, log: [] },
    });
    expect(running.actions).toEqual({
      pause: null,
      resume: 'the rollout is not paused',
      approve: 'the rollout is not awaiting approval',
      cancel: null,
      retry: 'the rollout is running: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried',
    });
    await expectActionsMatchPosts(running.actions);
  });

  test('paused: resume and cancel apply', async () => {
    await planned('r1', [['a']]);
    await phase('running', 0);
    await api.signal('rolloutControl', 'r1', 'command', { operation: 'pause', at: AT });
    const paused = await view();
    expect(paused.actions).toEqual({
      pause: 'the rollout is already paused',
      resume: null,
      approve: 'the rollout is not awaiting approval',
      cancel: null,
      retry: 'the rollout is paused: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried',
    });
    await expectActionsMatchPosts(paused.actions);
  });

  test('awaiting approval: approve and cancel apply; the share is on the last wave that ran, which the operator decides on', async () => {
    const shards = await planned('r1', [['a', 'b'], ['c']]);
    await deviceChanged('r1', shards, { deviceId: 'a', wave: 0, state: 'succeeded' });
    await deviceChanged('r1', shards, { deviceId: 'b', wave: 0, state: 'failed', error: { code: 'installFailed', message: 'x' } });
    await phase('awaitingApproval', 1);
    const waiting = await view();
    expect(waiting).toMatchObject({
      state: 'awaitingApproval',
      control: { wave: 1 },
      failureShare: { wave: 0, finished: 2, failed: 1, percent: 50 },
    });
    expect(waiting.actions).toEqual({
      pause: 'the rollout is awaiting approval: approve or cancel it',
      resume: 'the rollout is not paused',
      approve: null,
      cancel: null,
      retry:
        'the rollout is awaitingApproval: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried',
    });
    await expectActionsMatchPosts(waiting.actions);
    // Before any wave is named, the last wave with finished devices.
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'running', wave: null, at: AT });
    expect((await view()).failureShare).toEqual({ wave: 0, finished: 2, failed: 1, percent: 50 });
  });

  test('awaiting approval with a timeout: the policy in its object form and the deadline, which goes with the phase', async () => {
    const approval = { mode: 'manual', timeoutMinutes: 90, onTimeout: 'pause' } as const;
    await planned('r1', [['a'], ['b']], [], specOf({ approval }));
    const deadline = '2025-01-01T01:30:00.000Z';
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'awaitingApproval', wave: 1, approvalDeadline: deadline, at: AT });
    expect(await view()).toMatchObject({ state: 'awaitingApproval', approvalDeadline: deadline, policy: { approval } });
    await phase('running', 1);
    expect(await view()).toMatchObject({ state: 'running', approvalDeadline: null, policy: { approval } });
  });

  test('a ledger planned before the approval had an object form: its mode string shows as the object', async () => {
    await planned('r1', [['a'], ['b']]);
    const ledger = JSON.parse(api.entities.get('rolloutledger@r1')!) as { policy: Record<string, unknown> };
    api.entities.set('rolloutledger@r1', JSON.stringify({ ...ledger, policy: { ...ledger.policy, approval: 'manual' } }));
    expect((await view()).policy).toMatchObject({ approval: { mode: 'manual' } });
  });

  test('finished: nothing applies; the policy from the spec, the start from the ledger', async () => {
    const shards = await planned('r1', [['a', 'b']]);
    await deviceChanged('r1', shards, { deviceId: 'a', wave: 0, state: 'succeeded', updatedAt: '2025-01-01T00:07:00.000Z' });
    await phase('completed', 0);
    const instance = api.instances.get('r1')!;
    instance.runtimeStatus = 'Completed';
    instance.output = {
      rolloutId: 'r1',
      state: 'completed',
      totals: totalsOf({ succeeded: 2 }),
      waves: [{ index: 0, name: 'canary', percent: 100, state: 'completed', ...totalsOf({ succeeded: 2 }) }],
    };
    const done = await view();
    expect(done).toMatchObject({
      state: 'completed',
      startedAt: '2025-01-01T00:07:00.000Z',
      policy: rolloutPolicy(SPEC),
      failureShare: { wave: 0, finished: 2, failed: 0, percent: 0 },
      // An output written before the stages were counted reads as none in progress.
      inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
      waves: [{ inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 } }],
    });
    expect(done.actions).toEqual({
      ...Object.fromEntries(CONTROL_OPERATIONS.map((operation) => [operation, 'the rollout is completed'])),
      retry: 'no device is failed or timedOut',
    });
    await expectActionsMatchPosts(done.actions);
  });

  test('not planned yet: the policy from the spec, nothing started, nothing finished', async () => {
    api.addInstance({ name: 'rollout', instanceId: 'r1', input: { rolloutId: 'r1', spec: SPEC, specHash: 'h', createdAt: AT } });
    expect(await view()).toMatchObject({
      phase: 'resolvingTargets',
      startedAt: null,
      policy: rolloutPolicy(SPEC),
      failureShare: null,
      inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
      control: { wave: null },
      actions: { pause: null, cancel: null },
    });
  });

  test('a ledger planned by the previous version (no policy, no stages): the policy from the spec, in progress as waiting', async () => {
    api.addInstance({ name: 'rollout', instanceId: 'r1', input: { rolloutId: 'r1', spec: SPEC, specHash: 'h', createdAt: AT } });
    // As that version stored it.
    api.entities.set(
      'rolloutledger@r1',
      JSON.stringify({
        rolloutId: 'r1',
        firmware: FIRMWARE,
        createdAt: AT,
        updatedAt: AT,
        shardCount: 3,
        waves: [{ index: 0, name: 'all', percent: 100, state: 'running', ...totalsOf({ pending: 1, inProgress: 2 }) }],
        finalWaves: [false],
        outsideWaves: totalsOf(),
      }),
    );
    expect(await view()).toMatchObject({
      state: 'running',
      startedAt: null,
      policy: rolloutPolicy(SPEC),
      totals: { inProgress: 2 },
      inProgressBy: { waiting: 2, downloading: 0, staged: 0, applying: 0 },
    });
  });
});

describe('GET /api/rollouts', () => {
  beforeEach(async () => {
    for (const [id, createdAt] of [
      ['r-old', '2025-01-01T00:00:00.000Z'],
      ['r-new', '2025-03-01T00:00:00.000Z'],
      ['r-mid', '2025-02-01T00:00:00.000Z'],
    ]) {
      await api.signal('rolloutCatalog', 'all', 'register', {
        id,
        createdAt,
        firmwareVersion: '2.1.0',
        state: 'running',
        updatedAt: createdAt,
      });
    }
    await api.signal('rolloutCatalog', 'all', 'state', { id: 'r-old', state: 'completed', at: '2025-01-02T00:00:00.000Z' });
  });

  test('newest first, paged with a continuation token', async () => {
    const first = body<{ items: { id: string; state: string }[]; continuationToken: string | null }>(
      await listRollouts(get('rollouts', {}, { top: '2' }), api.context()),
    );
    expect(first.items.map((item) => item.id)).toEqual(['r-new', 'r-mid']);
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = body<{ items: { id: string; state: string; links: { status: string } }[]; continuationToken: string | null }>(
      await listRollouts(get('rollouts', {}, { top: '2', continuationToken: first.continuationToken! }), api.context()),
    );
    expect(second.items).toEqual([
      expect.objectContaining({
        id: 'r-old',
        state: 'completed',
        links: expect.objectContaining({ status: 'https://fleet.example.com/api/rollouts/r-old' }),
      }),
    ]);
    expect(second.continuationToken).toBeNull();
  });

  test('each item is the rollout as GET /api/rollouts/{id} shows it, with its totals', async () => {
    const shards = await planned('r-new', [['a', 'b', 'c']]);
    await deviceChanged('r-new', shards, { deviceId: 'b', wave: 0, state: 'succeeded' });
    const page = body<{ items: RolloutView[] }>(await listRollouts(get('rollouts', {}, { top: '1' }), api.context()));
    expect(page.items).toEqual([
      expect.objectContaining({ id: 'r-new', state: 'running', firmware: FIRMWARE, totals: totalsOf({ pending: 2, succeeded: 1 }) }),
    ]);
  });

  test('filtered by state before paging: full pages, tokens that follow the filter; 400 naming state for a bad one', async () => {
    await api.signal('rolloutCatalog', 'all', 'register', {
      id: 'r-done',
      createdAt: '2024-12-01T00:00:00.000Z',
      firmwareVersion: '2.0.0',
      state: 'running',
      updatedAt: AT,
    });
    await api.signal('rolloutCatalog', 'all', 'state', { id: 'r-done', state: 'completed', at: AT });
    const page = (query: Record<string, string>): Promise<RolloutPage> =>
      listRollouts(get('rollouts', {}, query), api.context()).then((response) => body<RolloutPage>(response));
    const first = await page({ state: 'completed', top: '1' });
    expect(first.items.map((item) => [item.id, item.state])).toEqual([['r-old', 'completed']]);
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = await page({ state: 'completed', top: '1', continuationToken: first.continuationToken! });
    expect(second.items.map((item) => [item.id, item.state])).toEqual([['r-done', 'completed']]);
    expect(second.continuationToken).toBeNull();
    expect((await page({ state: 'running' })).items.map((item) => item.id)).toEqual(['r-new', 'r-mid']);
    expect((await page({ state: 'paused' })).items).toEqual([]);

    for (const bad of ['done', 'Completed', 'pending']) {
      const response = await listRollouts(get('rollouts', {}, { state: bad }), api.context());
      expect(response.status).toBe(400);
      expect(body<{ problems: { field: string; message: string }[] }>(response).problems).toEqual([
        {
          field: 'state',
          message: expect.stringContaining('running, paused, awaitingApproval, scheduled, waitingForWindow, watching, completed'),
        },
      ]);
    }
  });

  test('a rollout the task hub no longer knows (purged) is listed in the full shape, from its catalog entry', async () => {
    const page = body<RolloutPage>(await listRollouts(get('rollouts', {}, { state: 'completed' }), api.context()));
    expect(page.items).toEqual([
      {
        id: 'r-old',
        state: 'completed',
        phase: 'completed',
        firmware: { version: '2.1.0', uri: '', sha256: '', size: 0 },
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-02T00:00:00.000Z',
        totals: totalsOf(),
        inProgressBy: { waiting: 0, downloading: 0, staged: 0, applying: 0 },
        waves: [],
        startedAt: null,
        policy: null,
        approvalDeadline: null,
        nextWindowAt: null,
        mode: 'once',
        nextRescanAt: null,
        continuous: null,
        failureShare: null,
        control: { command: 'run', pauseReason: null, wave: null, approvedThrough: -1, log: [] },
        actions: {
          pause: 'the rollout is completed',
          resume: 'the rollout is completed',
          approve: 'the rollout is completed',
          cancel: 'the rollout is completed',
          retry: 'no device is failed or timedOut',
        },
        attempt: 1,
        attempts: [],
        links: {
          status: 'https://fleet.example.com/api/rollouts/r-old',
          devices: 'https://fleet.example.com/api/rollouts/r-old/devices',
          pause: 'https://fleet.example.com/api/rollouts/r-old/pause',
          resume: 'https://fleet.example.com/api/rollouts/r-old/resume',
          approve: 'https://fleet.example.com/api/rollouts/r-old/approve',
          cancel: 'https://fleet.example.com/api/rollouts/r-old/cancel',
          retry: 'https://fleet.example.com/api/rollouts/r-old/retry',
        },
      },
    ]);
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
      const page: { items: DeviceRow[]; continuationToken: string | null } = body(
        await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, query), api.context()),
      );
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((item) => item.deviceId));
      token = page.continuationToken;
      pages += 1;
    } while (token !== null && pages < 50);
    expect(seen.sort()).toEqual([...ids, 'old-1'].sort());
  });

  test('filtered by state, with errors; devices of a wave that is over without them are canceled', async () => {
    const shards = await planned('r1', [
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    await deviceChanged('r1', shards, {
      deviceId: 'a',
      wave: 0,
      state: 'failed',
      error: { code: 'hashMismatch', message: 'sha256 differs' },
    });
    await deviceChanged('r1', shards, { deviceId: 'b', wave: 0, state: 'succeeded' });
    // Wave 0 was canceled with c never started.
    await api.signal('rolloutLedger', 'r1', 'waveFinal', {
      index: 0,
      state: 'canceled',
      totals: totalsOf({ failed: 1, succeeded: 1, canceled: 1 }),
      at: AT,
    });
    const list = async (filter: Record<string, string>): Promise<DeviceRow[]> => {
      const all: DeviceRow[] = [];
      let token: string | null = null;
      do {
        const query: Record<string, string> = { ...filter, ...(token === null ? {} : { continuationToken: token }) };
        const page: DevicePage = body(await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, query), api.context()));
        all.push(...page.items);
        token = page.continuationToken;
      } while (token !== null);
      return all;
    };
    expect(await list({ state: 'failed' })).toEqual([
      expect.objectContaining({ deviceId: 'a', wave: 0, error: { code: 'hashMismatch', message: 'sha256 differs' } }),
    ]);
    expect((await list({ state: 'canceled' })).map((row) => row.deviceId)).toEqual(['c']);
    expect((await list({ state: 'pending' })).map((row) => row.deviceId).sort()).toEqual(['d', 'e']);
  });

  test('filtered by error code, with or without a state: the devices whose error has that code', async () => {
    const shards = await planned('r1', [['a', 'b', 'c', 'd'], ['e']]);
    const failed = (deviceId: string, wave: number, code: string, state: 'failed' | 'timedOut' = 'failed') =>
      deviceChanged('r1', shards, { deviceId, wave, state, error: { code, message: `${code} on ${deviceId}` } });
    await failed('a', 0, 'hashMismatch');
    await failed('b', 0, 'installFailed');
    await failed('c', 0, 'hashMismatch');
    await failed('d', 0, 'downloadTimeout', 'timedOut');
    await failed('e', 1, 'hashMismatch');
    const ids = async (query: Record<string, string>): Promise<string[]> => {
      const all: string[] = [];
      let token: string | null = null;
      do {
        const page: DevicePage = body(
          await listRolloutDevices(
            get('rollouts/r1/devices', { id: 'r1' }, { ...query, top: '1', ...(token === null ? {} : { continuationToken: token }) }),
            api.context(),
          ),
        );
        all.push(...page.items.map((item) => item.deviceId));
        token = page.continuationToken;
      } while (token !== null);
      return all.sort();
    };
    expect(await ids({ errorCode: 'hashMismatch' })).toEqual(['a', 'c', 'e']);
    expect(await ids({ errorCode: 'downloadTimeout', state: 'timedOut' })).toEqual(['d']);
    expect(await ids({ errorCode: 'downloadTimeout', state: 'failed' })).toEqual([]);
    expect(await ids({ errorCode: 'hashmismatch' })).toEqual([]);
    expect(await ids({ errorCode: 'versionMismatch' })).toEqual([]);
  });

  test('a bad error code → 400 naming errorCode', async () => {
    await planned('r1', [['a']]);
    for (const bad of ['x'.repeat(65), 'hash\u0000', 'code\n', 'café']) {
      const response = await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, { errorCode: bad }), api.context());
      expect([bad, response.status]).toEqual([bad, 400]);
      expect(body<{ problems: unknown[] }>(response).problems).toEqual([
        { field: 'errorCode', message: 'must be 1-64 printable ASCII characters' },
      ]);
    }
    const longest = await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }, { errorCode: 'x'.repeat(64) }), api.context());
    expect(longest.status).toBe(200);
  });

  test('bad parameters → 400 naming them; unknown rollout → 404; not planned yet → empty', async () => {
    const bad = await listRolloutDevices(
      get('rollouts/r1/devices', { id: 'r1' }, { state: 'done', top: '5000', continuationToken: '%%%' }),
      api.context(),
    );
    expect(bad.status).toBe(400);
    expect(body<{ problems: { field: string }[] }>(bad).problems.map((p) => p.field)).toEqual(['state', 'top', 'continuationToken']);
    expect((await listRolloutDevices(get('rollouts/zz/devices', { id: 'zz' }), api.context())).status).toBe(404);
    api.addInstance({ name: 'rollout', instanceId: 'r2', input: null });
    expect(body(await listRolloutDevices(get('rollouts/r2/devices', { id: 'r2' }), api.context()))).toEqual({
      items: [],
      continuationToken: null,
      planned: false,
    });
  });
});

describe('GET /api/rollouts/{id}/devices/{deviceId}', () => {
  const device = async (rolloutId: string, deviceId: string): Promise<HttpResponseInit> =>
    getRolloutDevice(get(`rollouts/${rolloutId}/devices/${encodeURIComponent(deviceId)}`, { id: rolloutId, deviceId }), api.context());
  const target = { rolloutId: 'r1', fwVersion: FIRMWARE.version };
  const T = (second: number): string => `2025-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

  test('a device its tracker follows: the shard record with phase, twin $version, status and the whole timeline', async () => {
    const shards = await planned('r1', [['thermo#7', 'a%41']]);
    let devices = [startTracked('thermo#7', T(1)), startTracked('a%41', T(1))];
    devices = devices.map((d) => applyInvokeOutcome(d, { kind: 'accepted' }, T(2), TIMEOUTS, FIRMWARE.version));
    devices = await tracked('r1', shards, 0, devices);
    const reports = [
      { twinVersion: 2, firmwareUpdate: deviceReport('waiting', {}, 'r1'), currentFwVersion: '1.0.0', enqueuedTime: T(3) },
      { twinVersion: 3, firmwareUpdate: deviceReport('downloading', { progress: 40 }, 'r1') },
    ];
    devices = await tracked('r1', shards, 0, [applyReports(devices[0], reports, target, T(4)), devices[1]]);

    const response = await device('r1', 'thermo#7');
    expect(response.status).toBe(200);
    const view = body<DeviceRecord & { rolloutId: string }>(response);
    expect(view).toEqual({
      rolloutId: 'r1',
      deviceId: 'thermo#7',
      wave: 0,
      state: 'inProgress',
      status: 'downloading',
      error: null,
      updatedAt: T(4),
      attempt: 1,
      phase: 'download',
      twinVersion: 3,
      currentFwVersion: '1.0.0',
      progress: 40,
      timeline: [
        { time: T(1), state: 'pending', detail: 'planned' },
        { time: T(2), state: 'inProgress', detail: 'accepted the firmwareUpdate method' },
        {
          time: T(4),
          state: 'inProgress',
          status: 'waiting',
          twinVersion: 2,
          deviceTime: T(5),
          hubTime: T(3),
          detail: 'waiting to download',
        },
        { time: T(4), state: 'inProgress', status: 'downloading', twinVersion: 3, deviceTime: T(5), detail: 'downloading (40 %)' },
      ],
      timelineDropped: 0,
    });
    expect(view).not.toHaveProperty('orchestration');

    // Its verdict comes in a later publish; the timeline goes on where it was.
    const done = { twinVersion: 4, firmwareUpdate: deviceReport('applyComplete', {}, 'r1'), currentFwVersion: FIRMWARE.version };
    await tracked('r1', shards, 0, [applyReports(devices[0], [done], target, T(9))]);
    const after = body<DeviceRecord>(await device('r1', 'thermo#7'));
    expect(after).toMatchObject({ state: 'succeeded', status: 'applyComplete', phase: 'done', twinVersion: 4 });
    expect(after.currentFwVersion).toBe(FIRMWARE.version);
    expect(after.progress).toBeNull();
    expect(after.timeline.map((entry) => entry.status ?? entry.detail)).toEqual([
      'planned',
      'accepted the firmwareUpdate method',
      'waiting',
      'downloading',
      'applyComplete',
    ]);

    // A device id with % reaches its own record (the client path is percent-decoded).
    expect(body(await device('r1', 'a%41'))).toMatchObject({
      deviceId: 'a%41',
      state: 'inProgress',
      phase: 'accept',
      twinVersion: null,
      timeline: [{ detail: 'planned' }, { state: 'inProgress' }],
    });
  });

  test('planned, skipped and canceled devices have a one-entry timeline saying why', async () => {
    const shards = await planned('r1', [['a', 'b'], ['c']], ['old']);
    const pending = body(await device('r1', 'c'));
    expect(pending).toEqual({
      rolloutId: 'r1',
      deviceId: 'c',
      wave: 1,
      state: 'pending',
      status: null,
      error: null,
      updatedAt: AT,
      attempt: 1,
      phase: null,
      twinVersion: null,
      currentFwVersion: null,
      progress: null,
      timeline: [{ time: AT, state: 'pending', detail: 'planned' }],
      timelineDropped: 0,
    });
    expect(body(await device('r1', 'old'))).toMatchObject({
      state: 'skipped',
      wave: null,
      timeline: [{ time: AT, state: 'skipped', detail: 'already on the version when the rollout resolved its targets' }],
    });
    // Wave 0 canceled: a, canceled by its tracker before it took the update, has the tracker's timeline; b never started.
    await tracked('r1', shards, 0, [cancelBeforeStart(startTracked('a', T(1)), T(2))]);
    await api.signal('rolloutLedger', 'r1', 'waveFinal', { index: 0, state: 'canceled', totals: totalsOf({ canceled: 2 }), at: AT });
    expect(body(await device('r1', 'b'))).toMatchObject({
      state: 'canceled',
      timeline: [{ time: AT, state: 'canceled', detail: 'not started: the rollout stopped before its turn' }],
    });
    expect(body<DeviceRecord>(await device('r1', 'a')).timeline).toEqual([
      { time: T(1), state: 'pending', detail: 'planned' },
      { time: T(2), state: 'canceled', detail: 'the rollout was canceled before the device took the update' },
    ]);
  });

  test('the listing shows rows only: no detail, no timeline', async () => {
    const shards = await planned('r1', [['a', 'b']]);
    const started = applyInvokeOutcome(startTracked('a', T(1)), { kind: 'accepted' }, T(2), TIMEOUTS, FIRMWARE.version);
    const downloading = { twinVersion: 2, firmwareUpdate: deviceReport('downloading', { progress: 10 }, 'r1') };
    await tracked('r1', shards, 0, [applyReports(started, [downloading], target, T(3))]);
    expect(body<DeviceRecord>(await device('r1', 'a')).timeline).toHaveLength(3);
    const listing = await listRolloutDevices(get('rollouts/r1/devices', { id: 'r1' }), api.context());
    const page = body<{ items: Record<string, unknown>[] }>(listing);
    expect(page.items.map((item) => item.deviceId).sort()).toEqual(['a', 'b']);
    const rowFields = ['attempt', 'deviceId', 'error', 'links', 'state', 'status', 'updatedAt', 'wave'];
    for (const item of page.items) expect(Object.keys(item).sort()).toEqual(rowFields);
    expect(page.items.find((item) => item.deviceId === 'a')).toMatchObject({ state: 'inProgress', status: 'downloading', updatedAt: T(3) });
  });

  test('not a target, not planned yet, unknown rollout, or a bad device id', async () => {
    await planned('r1', [['a']]);
    const notTarget = await device('r1', 'zz');
    expect(notTarget.status).toBe(404);
    expect(JSON.stringify(notTarget.jsonBody)).toContain('Device zz is not a target of rollout r1');
    api.addInstance({ name: 'rollout', instanceId: 'r2', input: null });
    expect(JSON.stringify((await device('r2', 'a')).jsonBody)).toContain('Rollout r2 has not planned its devices yet');
    expect((await device('zz', 'a')).status).toBe(404);
    const bad = await getRolloutDevice(get('rollouts/r1/devices/a%2Fb', { id: 'r1', deviceId: 'a/b' }), api.context());
    expect(bad.status).toBe(400);
    expect(body<{ problems: { field: string }[] }>(bad).problems[0].field).toBe('deviceId');
  });
});
