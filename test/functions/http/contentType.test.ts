jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/**
 * Every route that changes state takes JSON only. A browser sends a text/plain, form or multipart
 * POST to any origin without a CORS preflight, so without this any web page could start or
 * steer a rollout through a developer's localhost:7071. Driven through the handlers as the app
 * registers them, so no route can be left out.
 */
import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { rolloutControlEntity } from '../../../functions/src/entities/rolloutControlEntity';
import { FIRMWARE } from '../support/fixtures';
import { registrations, triggerOf } from '../support/functionsCore';
import type { RecordedFunction } from '../support/functionsCore';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi().entity('rolloutControl', rolloutControlEntity);
beforeAll(async () => {
  require('../../../functions/src/index');
  await api.start();
});
afterAll(() => api.stop());
beforeEach(() => {
  api.instances.clear();
  api.entities.clear();
  api.addInstance({ name: 'rollout', instanceId: 'r1', input: { specHash: 'h' } });
});

const STATE_CHANGING = ['POST', 'PUT', 'PATCH', 'DELETE'];
const methodsOf = (fn: RecordedFunction): string[] => triggerOf(fn).methods as string[];
const stateChanging = (): RecordedFunction[] =>
  registrations.filter((fn) => triggerOf(fn).type === 'httpTrigger' && methodsOf(fn).some((method) => STATE_CHANGING.includes(method)));

function invoke(fn: RecordedFunction, headers: Record<string, string>, body: string, method = methodsOf(fn)[0]): Promise<HttpResponseInit> {
  const route = String(triggerOf(fn).route).replace('{id}', 'r1');
  const url = `http://localhost:7071/api/${route}`;
  const request = new HttpRequest({ method, url, params: { id: 'r1' }, headers, ...(method === 'GET' ? {} : { body: { string: body } }) });
  return fn.handler(request, api.context(fn.name)) as Promise<HttpResponseInit>;
}

const SPEC = JSON.stringify({ rolloutId: 'from-json', firmware: FIRMWARE, target: { deviceIds: ['d1'] } });

describe('state-changing routes take application/json only', () => {
  test('the state-changing routes are the rollout create, control and retry routes', () => {
    const names = stateChanging().map((fn) => fn.name);
    expect(names.sort()).toEqual(['approveRollout', 'cancelRollout', 'createRollout', 'pauseRollout', 'resumeRollout', 'retryRollout']);
  });

  test.each([
    ['text/plain (no preflight), empty body', { 'content-type': 'text/plain' }, ''],
    ['text/plain;charset=UTF-8 with a JSON body', { 'content-type': 'text/plain;charset=UTF-8' }, SPEC],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, `spec=${encodeURIComponent(SPEC)}`],
    [
      'multipart',
      { 'content-type': 'multipart/form-data; boundary=x' },
      `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n${SPEC}\r\n--x--`,
    ],
    ['no content type', {}, SPEC],
    ['a look-alike', { 'content-type': 'application/jsonp' }, SPEC],
    ['JSON as text', { 'content-type': 'text/json' }, SPEC],
  ])('%s → 415 with a JSON error on every state-changing route, nothing started or recorded', async (_name, headers, body) => {
    for (const fn of stateChanging()) {
      const response = await invoke(fn, headers, body);
      expect({ route: fn.name, status: response.status }).toEqual({ route: fn.name, status: 415 });
      expect(response.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8' });
      const message = expect.stringMatching(/^Content-Type must be application\/json \((got ".*"|none was given)\)\.$/);
      expect(response.jsonBody).toEqual({ error: 'unsupportedMediaType', message });
    }
    expect([...api.instances.keys()]).toEqual(['r1']);
    expect(api.entities.size).toBe(0);
    expect(api.requests.filter((request) => !request.startsWith('GET'))).toEqual([]);
  });

  test('application/json with parameters, in any case, is served', async () => {
    const byName = (name: string): RecordedFunction => stateChanging().find((fn) => fn.name === name)!;
    const created = await invoke(byName('createRollout'), { 'content-type': 'Application/JSON; charset=UTF-8' }, SPEC);
    expect(created.status).toBe(202);
    expect(api.instances.has('from-json')).toBe(true);
    // A control command has no body; the header is what shows it comes from a client, not a form.
    const paused = await invoke(byName('pauseRollout'), { 'content-type': 'application/json' }, '');
    expect(paused.status).toBe(202);
  });

  test('reads are not affected', async () => {
    const list = registrations.find((fn) => fn.name === 'listRollouts')!;
    expect((await invoke(list, {}, '', 'GET')).status).toBe(200);
  });
});
