jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControlEntity';
import { controlHandler } from '../../../functions/src/http/control';
import type { ControlOperation, RolloutControlState } from '../../../functions/src/rollout';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi().entity('rolloutControl', rolloutControlEntity);
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.instances.clear();
  api.entities.clear();
  api.addInstance({ name: 'rollout', instanceId: 'r1', input: { specHash: 'h' } });
});

function command(operation: ControlOperation, id = 'r1'): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: 'POST',
    url: `https://fleet.example.com/api/rollouts/${id}/${operation}?code=KEY`,
    params: { id },
  });
  return controlHandler(operation)(request, api.context(`${operation}Rollout`));
}

const control = (): RolloutControlState | undefined => api.entityState<RolloutControlState>('rolloutControl', 'r1');
const message = (response: HttpResponseInit): string => (response.jsonBody as { message: string }).message;
/** What the rollout orchestration reports to the control entity. */
const phase = (state: string, wave: number | null): Promise<void> =>
  api.signal('rolloutControl', 'r1', 'phase', { phase: state, wave, at: '2025-01-01T00:00:00.000Z' });

describe('POST /api/rollouts/{id}/pause|resume|approve|cancel', () => {
  test('pause: recorded in the control entity, the rollout woken, 202 with Location', async () => {
    const response = await command('pause');
    expect(response.status).toBe(202);
    expect(response.headers).toMatchObject({ location: 'https://fleet.example.com/api/rollouts/r1' });
    expect(response.jsonBody).toMatchObject({ id: 'r1', operation: 'pause', accepted: true });
    expect(control()).toMatchObject({ command: 'pause', pauseReason: 'operator', generation: 1 });
    expect(api.instances.get('r1')!.events).toEqual([{ name: 'control', data: { operation: 'pause', requestedAt: expect.any(String) } }]);
  });

  test('pause twice → 409; resume when not paused → 409', async () => {
    expect((await command('resume')).status).toBe(409);
    expect((await command('pause')).status).toBe(202);
    const again = await command('pause');
    expect(again.status).toBe(409);
    expect(message(again)).toBe('Cannot pause rollout r1: the rollout is already paused.');
    expect(again.jsonBody).toMatchObject({ error: 'conflict', state: 'paused' });
    expect((await command('resume')).status).toBe(202);
    expect((await command('resume')).status).toBe(409);
    expect(control()).toMatchObject({ command: 'run', generation: 2 });
  });

  test('approve applies only while awaiting approval, once per wave', async () => {
    const early = await command('approve');
    expect(early.status).toBe(409);
    expect(message(early)).toMatch(/not awaiting approval/);
    await phase('awaitingApproval', 2);
    expect((await command('pause')).status).toBe(409);
    expect((await command('approve')).status).toBe(202);
    expect(control()).toMatchObject({ approvedThrough: 2 });
    expect(message(await command('approve'))).toMatch(/wave 2 is already approved/);
  });

  test('a threshold pause is resumed like an operator pause', async () => {
    await phase('paused', 0);
    await api.signal('rolloutControl', 'r1', 'phase', { phase: 'paused', wave: 0, pausedBy: 'threshold', at: '2025-01-01T00:00:00.000Z' });
    expect(control()).toMatchObject({ command: 'pause', pauseReason: 'threshold' });
    expect((await command('resume')).status).toBe(202);
    expect(control()).toMatchObject({ command: 'run', pauseReason: null });
  });

  test('cancel: once; nothing applies while canceling or after the end', async () => {
    expect((await command('cancel')).status).toBe(202);
    for (const operation of ['cancel', 'pause', 'resume', 'approve'] as const) {
      const response = await command(operation);
      expect(response.status).toBe(409);
      expect(message(response)).toMatch(/being canceled/);
    }
    await phase('canceled', 0);
    expect(message(await command('cancel'))).toMatch(/the rollout is canceled/);
  });

  test('a finished rollout refuses every command', async () => {
    await phase('completed', 2);
    for (const operation of ['cancel', 'pause', 'resume', 'approve'] as const) expect((await command(operation)).status).toBe(409);
  });

  test('unknown rollout → 404; an id outside the rules → 400', async () => {
    expect((await command('pause', 'nope')).status).toBe(404);
    expect((await command('pause', '@x')).status).toBe(400);
  });

  test('a rollout that cannot be woken still gets the command recorded', async () => {
    api.raiseEventStatus = 500;
    try {
      const context = api.context('pauseRollout');
      const request = new HttpRequest({ method: 'POST', url: 'https://fleet.example.com/api/rollouts/r1/pause', params: { id: 'r1' } });
      const response = await controlHandler('pause')(request, context);
      expect(response.status).toBe(202);
      expect(control()).toMatchObject({ command: 'pause' });
      expect(context.lines.some((line) => line.includes('http.wakeUpFailed'))).toBe(true);
    } finally {
      api.raiseEventStatus = null;
    }
  });
});
