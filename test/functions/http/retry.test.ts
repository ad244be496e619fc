jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { deviceShardEntity } from '../../../functions/src/entities/deviceShardEntity';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControlEntity';
import { rolloutLedgerEntity } from '../../../functions/src/entities/rolloutLedgerEntity';
import { retryRollout } from '../../../functions/src/http/retry';
import type { RolloutInput } from '../../../functions/src/orchestrators/rollout';
import { rolloutPolicy, shardOf } from '../../../functions/src/rollout';
import type { DeviceRolloutState, DeviceUpdate, LedgerPlan, RetryAccepted, RolloutState } from '../../../functions/src/rollout';
import { FIRMWARE, specOf } from '../support/fixtures';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi()
  .entity('rolloutControl', rolloutControlEntity)
  .entity('rolloutLedger', rolloutLedgerEntity)
  .entity('deviceShard', deviceShardEntity);
beforeAll(() => api.start());
afterAll(() => api.stop());

const AT = '2025-01-01T00:00:00.000Z';
const SHARDS = 2;
const INPUT: RolloutInput = { rolloutId: 'r1', spec: specOf({}), specHash: 'h', createdAt: AT, pace: null };

/** A rollout of four devices that ended `state`: a succeeded, b failed (hashMismatch), c timedOut, d canceled. */
async function finished(state: RolloutState = 'completedWithFailures'): Promise<void> {
  api.instances.clear();
  api.entities.clear();
  api.addInstance({ name: 'rollout', instanceId: 'r1', input: INPUT, runtimeStatus: 'Completed' });
  const plan: LedgerPlan = {
    rolloutId: 'r1',
    firmware: FIRMWARE,
    createdAt: AT,
    shardCount: SHARDS,
    waves: [{ index: 0, name: 'all', percent: 100, targeted: 4 }],
    skipped: 0,
    policy: rolloutPolicy(INPUT.spec),
  };
  await api.signal('rolloutLedger', 'r1', 'plan', { plan, at: AT });
  const ended: [string, DeviceRolloutState, string | null][] = [
    ['a', 'succeeded', null],
    ['b', 'failed', 'hashMismatch'],
    ['c', 'timedOut', 'applyTimeout'],
    ['d', 'canceled', null],
  ];
  for (const [deviceId, deviceState, code] of ended) {
    const update: DeviceUpdate = {
      deviceId,
      wave: 0,
      state: deviceState,
      status: null,
      error: code === null ? null : { code, message: code },
      updatedAt: AT,
      phase: 'done',
      twinVersion: 3,
      currentFwVersion: null,
      progress: null,
      timeline: [],
      timelineDropped: 0,
    };
    await api.signal('deviceShard', `r1:s${shardOf(deviceId, SHARDS)}`, 'update', { updates: [update] });
  }
  await api.signal('rolloutControl', 'r1', 'phase', { phase: state, wave: 0, at: AT });
}

function retry(body?: unknown, id = 'r1'): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: 'POST',
    url: `https://fleet.example.com/api/rollouts/${id}/retry?code=KEY`,
    params: { id },
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: { string: typeof body === 'string' ? body : JSON.stringify(body) } }),
  });
  return retryRollout(request, api.context('retryRollout'));
}

const message = (response: HttpResponseInit): string => (response.jsonBody as { message: string }).message;
const problems = (response: HttpResponseInit) => (response.jsonBody as { problems: { field: string; message: string }[] }).problems;
const restartedInput = (): RolloutInput => api.instances.get('r1')!.input as RolloutInput;

describe('POST /api/rollouts/{id}/retry', () => {
  test('no body: failed and timedOut devices; the instance is started again with its input and the retry', async () => {
    await finished();
    const response = await retry();
    expect(response.status).toBe(202);
    expect(response.headers).toMatchObject({ location: 'https://fleet.example.com/api/rollouts/r1' });
    expect(response.jsonBody).toEqual({
      id: 'r1',
      attempt: 2,
      devices: 2,
      selection: { states: ['failed', 'timedOut'], errorCodes: null },
      links: expect.objectContaining({ retry: 'https://fleet.example.com/api/rollouts/r1/retry' }),
    } satisfies RetryAccepted);
    expect(api.instances.get('r1')).toMatchObject({ name: 'rollout', runtimeStatus: 'Pending' });
    expect(restartedInput()).toEqual({
      ...INPUT,
      retry: { attempt: 2, states: ['failed', 'timedOut'], errorCodes: null, requestedAt: expect.any(String) },
    });
  });

  test('canceled ones when asked for; an error-code filter narrows; the attempt after a retry is the next one', async () => {
    await finished('canceled');
    expect((await retry({ states: ['canceled'] })).jsonBody).toMatchObject({ attempt: 2, devices: 1 });
    await finished();
    await api.signal('rolloutControl', 'r1', 'retry', { attempt: 2, selection: { states: ['failed'], errorCodes: null }, at: AT });
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'completedWithFailures', wave: 0, at: AT });
    const narrowed = await retry({ states: ['failed', 'timedOut', 'canceled'], errorCodes: ['hashMismatch'] });
    expect(narrowed.jsonBody).toMatchObject({ attempt: 3, devices: 1, selection: { errorCodes: ['hashMismatch'] } });
    expect(restartedInput().retry).toMatchObject({ attempt: 3, states: ['failed', 'timedOut', 'canceled'], errorCodes: ['hashMismatch'] });
  });

  test('400 naming the field for a bad body; nothing started', async () => {
    await finished();
    const cases: [unknown, string, string][] = [
      ['{not json', '(body)', 'must be valid JSON'],
      [{ states: ['succeeded'] }, 'states[0]', 'succeeded devices are not retried'],
      [{ states: ['failed', 'nope'] }, 'states[1]', 'must be one of failed, timedOut, canceled'],
      [{ errorCodes: ['x', 7] }, 'errorCodes[1]', 'must be an error code'],
      [{ errorCodes: 'x' }, 'errorCodes', 'must be an array'],
      [{ states: ['failed'], force: true }, 'force', 'is not a retry field'],
    ];
    for (const [body, field, text] of cases) {
      const response = await retry(body);
      expect([response.status, problems(response)]).toEqual([400, [{ field, message: expect.stringContaining(text) }]]);
    }
    expect(api.instances.get('r1')!.runtimeStatus).toBe('Completed');
  });

  test('404 for an unknown rollout, 400 for a bad id', async () => {
    await finished();
    const unknown = await retry(undefined, 'nope');
    expect([unknown.status, message(unknown)]).toEqual([404, 'No rollout nope.']);
    expect((await retry(undefined, 'bad id!')).status).toBe(400);
  });

  test.each(['running', 'paused', 'awaitingApproval', 'scheduled', 'waitingForWindow'] as const)('409 while %s', async (state) => {
    await finished();
    api.entities.delete('rolloutcontrol@r1');
    await api.signal('rolloutControl', 'r1', 'phase', { phase: state, wave: 0, at: AT });
    if (state === 'paused') await api.signal('rolloutControl', 'r1', 'command', { operation: 'pause', at: AT });
    const response = await retry();
    expect(response.status).toBe(409);
    expect(message(response)).toBe(
      `Cannot retry rollout r1: the rollout is ${state}: only a finished rollout (completed, completedWithFailures, aborted or canceled) can be retried.`,
    );
    expect(response.jsonBody).toMatchObject({ error: 'conflict', state, attempt: 1 });
    expect(api.instances.get('r1')!.runtimeStatus).toBe('Completed');
  });

  test('409 when no device matches, and nothing changes', async () => {
    await finished();
    const before = JSON.stringify([...api.entities]);
    const response = await retry({ states: ['failed'], errorCodes: ['httpError'] });
    expect([response.status, message(response)]).toEqual([
      409,
      'Cannot retry rollout r1: no device of it is failed with error code httpError.',
    ]);
    expect(JSON.stringify([...api.entities])).toBe(before);
    expect(api.instances.get('r1')).toMatchObject({ runtimeStatus: 'Completed', input: INPUT });
  });

  test('a second retry while the first is starting: 409; two at once: one starts', async () => {
    await finished();
    expect((await retry()).status).toBe(202);
    const second = await retry();
    expect([second.status, message(second)]).toEqual([
      409,
      'Cannot retry rollout r1: its orchestration is still running (finishing, or a retry starting).',
    ]);

    // Both read the instance finished; the task hub takes the first start and refuses the second.
    await finished();
    const answers = await Promise.all([retry(), retry()]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    expect(message(answers.find((answer) => answer.status === 409)!)).toMatch(
      /^Cannot retry rollout r1: (a retry of it is already starting|its orchestration is still running)/,
    );
    expect(restartedInput().retry).toMatchObject({ attempt: 2 });
  });

  test('the window between the status read and the start: the start refused by the task hub is a 409, not a 500', async () => {
    await finished();
    api.beforeStart = (id) => api.addInstance({ name: 'rollout', instanceId: id, input: INPUT, runtimeStatus: 'Running' });
    try {
      const response = await retry();
      expect([response.status, message(response)]).toEqual([409, 'Cannot retry rollout r1: a retry of it is already starting.']);
    } finally {
      api.beforeStart = undefined;
    }
  });
});
