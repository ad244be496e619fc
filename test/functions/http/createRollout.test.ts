jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { HttpRequest } from '@azure/functions';
import type { HttpResponseInit } from '@azure/functions';
import { createRollout, specHash } from '../../../functions/src/http/rollouts';
import type { RolloutInput } from '../../../functions/src/orchestrators/rollout';
import { parseRolloutSpec } from '../../../functions/src/rollout';
import { ALLOW_INSECURE_FIRMWARE_URI, HUB_TIER, HUB_UNITS } from '../../../functions/src/settings';
import { FIRMWARE } from '../support/fixtures';
import { TinyDurableApi } from '../support/tinyDurableApi';

const api = new TinyDurableApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => api.instances.clear());

const VALID = { rolloutId: 'fw-2-1', firmware: FIRMWARE, target: { query: "tags.model = 'thermo-x'" } };

function post(body: unknown, raw?: string): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: 'POST',
    url: 'https://fleet.example.com/api/rollouts?code=FUNCTION-KEY',
    body: { string: raw ?? JSON.stringify(body) },
    headers: { 'content-type': 'application/json' },
  });
  return createRollout(request, api.context('createRollout'));
}

type Problems = { error: string; message: string; problems: { field: string; message: string }[] };
const problemsOf = (response: HttpResponseInit): Problems => response.jsonBody as Problems;

describe('POST /api/rollouts', () => {
  // Each bad request is answered 400, names the field, and starts nothing.
  const BAD: [string, unknown, string, RegExp][] = [
    ['an empty body', '', '(body)', /is required/],
    ['a body that is not JSON', '{"firmware": ', '(body)', /must be valid JSON/],
    ['a JSON array', [], '(body)', /must be an object/],
    ['no firmware', { target: VALID.target }, 'firmware', /is required/],
    ['a short sha256', { ...VALID, firmware: { ...FIRMWARE, sha256: 'abc' } }, 'firmware.sha256', /64 hexadecimal digits/],
    ['an http:// firmware uri', { ...VALID, firmware: { ...FIRMWARE, uri: 'http://fw.example.com/x.bin' } }, 'firmware.uri', /https/],
    [
      'credentials in the uri',
      { ...VALID, firmware: { ...FIRMWARE, uri: 'https://u:p@fw.example.com/x.bin' } },
      'firmware.uri',
      /credentials/,
    ],
    ['a size of 0', { ...VALID, firmware: { ...FIRMWARE, size: 0 } }, 'firmware.size', /integer of at least 1/],
    [
      'both query and deviceIds',
      { ...VALID, target: { query: 'tags.a = 1', deviceIds: ['d1'] } },
      'target',
      /exactly one of query or deviceIds/,
    ],
    ['a full SELECT as the query', { ...VALID, target: { query: 'SELECT * FROM devices' } }, 'target.query', /only the condition/],
    [
      'a query condition with a dangling operator',
      { ...VALID, target: { query: "tags.model = 'thermo-x' AND tags.ring =" } },
      'target.query',
      /line 1, column 40: expected an expression/,
    ],
    [
      'a query condition with an ORDER BY',
      { ...VALID, target: { query: 'tags.a = 1 ORDER BY deviceId' } },
      'target.query',
      /line 1, column 12: .*'ORDER'/,
    ],
    ['a duplicate device id', { ...VALID, target: { deviceIds: ['d1', 'd1'] } }, 'target.deviceIds[1]', /duplicates target.deviceIds\[0\]/],
    ['a device id with a slash', { ...VALID, target: { deviceIds: ['a/b'] } }, 'target.deviceIds[0]', /1-128 characters/],
    [
      'waves not ending at 100',
      { ...VALID, waves: [{ percent: 10 }, { percent: 50 }] },
      'waves[1].percent',
      /must be 100 in the last wave/,
    ],
    [
      'waves going down',
      { ...VALID, waves: [{ percent: 50 }, { percent: 20 }, { percent: 100 }] },
      'waves[1].percent',
      /greater than waves\[0\]/,
    ],
    [
      'a wave percent below the resolution',
      { ...VALID, waves: [{ percent: 1e-9 }, { percent: 100 }] },
      'waves[0].percent',
      /resolution of 0\.01/,
    ],
    ['maxConcurrency 0', { ...VALID, maxConcurrency: 0 }, 'maxConcurrency', /from 1 to 1000/],
    [
      'an unknown failure action',
      { ...VALID, failureThreshold: { percent: 5, action: 'stop' } },
      'failureThreshold.action',
      /"pause", "abort"/,
    ],
    ['an unknown approval mode', { ...VALID, approval: 'sometimes' }, 'approval', /"auto", "manual"/],
    [
      'a negative approval timeout',
      { ...VALID, approval: { mode: 'manual', timeoutMinutes: -1, onTimeout: 'cancel' } },
      'approval.timeoutMinutes',
      /greater than 0/,
    ],
    [
      'an approval timeout without onTimeout',
      { ...VALID, approval: { mode: 'manual', timeoutMinutes: 60 } },
      'approval.onTimeout',
      /is required with timeoutMinutes/,
    ],
    ['an unknown approval object mode', { ...VALID, approval: { mode: 'often' } }, 'approval.mode', /"auto", "manual"/],
    ['a method timeout of 1 s', { ...VALID, deviceTimeouts: { methodSeconds: 1 } }, 'deviceTimeouts.methodSeconds', /from 5 to 300/],
    ['a negative soak', { ...VALID, soakSeconds: -1 }, 'soakSeconds', /from 0 to 86400/],
    ['an unknown field', { ...VALID, colour: 'red' }, 'colour', /unknown field/],
    ['a rollout id with a colon', { ...VALID, rolloutId: 'a:b' }, 'rolloutId', /A-Z a-z 0-9/],
  ];

  test.each(BAD.map(([name, body, field, message]) => ({ name, body, field, message })))(
    '$name → 400 naming $field',
    async ({ body, field, message }) => {
      const response = await post(body, typeof body === 'string' ? body : undefined);
      expect(response.status).toBe(400);
      const problems = problemsOf(response);
      expect(problems.error).toBe('validationFailed');
      expect(problems.problems).toContainEqual({ field, message: expect.stringMatching(message) });
      expect(api.instances.size).toBe(0);
    },
  );

  test('every problem of a request is listed at once', async () => {
    const response = await post({
      firmware: { ...FIRMWARE, sha256: 'x', size: -1 },
      target: { deviceIds: [] },
      waves: [{ percent: 0 }],
      approval: 'never',
    });
    expect(response.status).toBe(400);
    expect(
      problemsOf(response)
        .problems.map((p) => p.field)
        .sort(),
    ).toEqual(['approval', 'firmware.sha256', 'firmware.size', 'target.deviceIds', 'waves[0].percent']);
    expect(problemsOf(response).message).toBe('The request has 5 problems.');
  });

  test('a valid request starts the rollout orchestration: 202, Location and status URLs', async () => {
    const response = await post(VALID);
    expect(response.status).toBe(202);
    const base = 'https://fleet.example.com/api/rollouts/fw-2-1';
    expect(response.headers).toMatchObject({ location: base });
    expect(response.jsonBody).toEqual({
      id: 'fw-2-1',
      created: true,
      links: {
        status: base,
        devices: `${base}/devices`,
        pause: `${base}/pause`,
        resume: `${base}/resume`,
        retry: `${base}/retry`,
        approve: `${base}/approve`,
        cancel: `${base}/cancel`,
      },
    });
    const instance = api.instances.get('fw-2-1')!;
    expect(instance.name).toBe('rollout');
    const input = instance.input as RolloutInput;
    const parsed = parseRolloutSpec(VALID);
    if (!parsed.ok) throw new Error('fixture invalid');
    // No FLEETWAVE_HUB_TIER: the rollout is not paced.
    expect(input).toEqual({
      rolloutId: 'fw-2-1',
      spec: parsed.spec,
      specHash: specHash(parsed.spec),
      createdAt: expect.any(String),
      pace: null,
    });
    // The function key in the request URL is never echoed in a link.
    expect(JSON.stringify(response.jsonBody)).not.toContain('FUNCTION-KEY');
  });

  test('without a rolloutId one is generated', async () => {
    const response = await post({ firmware: FIRMWARE, target: { deviceIds: ['a', 'b'] } });
    expect(response.status).toBe(202);
    const id = (response.jsonBody as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(api.instances.has(id)).toBe(true);
  });

  test('the same rolloutId with the same spec is the existing rollout (defaults and key order do not matter)', async () => {
    expect((await post(VALID)).status).toBe(202);
    const started = api.requests.filter((r) => r.startsWith('POST orchestrators')).length;
    const same = {
      target: VALID.target,
      rolloutId: 'fw-2-1',
      firmware: { ...FIRMWARE, sha256: FIRMWARE.sha256.toUpperCase() },
      waves: [{ percent: 100 }],
      approval: 'auto',
    };
    const again = await post(same);
    expect(again.status).toBe(200);
    expect(again.jsonBody).toMatchObject({ id: 'fw-2-1', created: false });
    expect(again.headers).toMatchObject({ location: 'https://fleet.example.com/api/rollouts/fw-2-1' });
    expect(api.requests.filter((r) => r.startsWith('POST orchestrators')).length).toBe(started);
  });

  test('approval: the shorthand and its object form are the same rollout; an added timeout is a different one', async () => {
    expect((await post({ ...VALID, approval: 'manual' })).status).toBe(202);
    expect((await post({ ...VALID, approval: { mode: 'manual' } })).status).toBe(200);
    expect((await post({ ...VALID, approval: { mode: 'manual', timeoutMinutes: 60, onTimeout: 'approve' } })).status).toBe(409);
    expect((api.instances.get('fw-2-1')!.input as RolloutInput).spec.approval).toEqual({ mode: 'manual' });
  });

  test('the same rolloutId with a different spec is a 409', async () => {
    expect((await post(VALID)).status).toBe(202);
    const response = await post({ ...VALID, maxConcurrency: 10 });
    expect(response.status).toBe(409);
    expect(response.jsonBody).toMatchObject({ error: 'conflict', message: expect.stringMatching(/exists with a different spec/) });
    expect((api.instances.get('fw-2-1')!.input as RolloutInput).spec.maxConcurrency).toBe(50);
  });

  test('a finished rollout is not restarted by a re-POST', async () => {
    expect((await post(VALID)).status).toBe(202);
    api.instances.get('fw-2-1')!.runtimeStatus = 'Completed';
    expect((await post(VALID)).status).toBe(200);
    expect((await post({ ...VALID, soakSeconds: 5 })).status).toBe(409);
    expect(api.instances.get('fw-2-1')!.runtimeStatus).toBe('Completed');
  });

  test('two POSTs racing: the loser sees the winner and answers as a re-POST', async () => {
    const parsed = parseRolloutSpec(VALID);
    if (!parsed.ok) throw new Error('fixture invalid');
    // Between this POST's status check and its start, another POST of the same rollout starts it.
    api.beforeStart = (id) =>
      api.addInstance({ name: 'rollout', instanceId: id, runtimeStatus: 'Pending', input: { specHash: specHash(parsed.spec) } });
    try {
      const response = await post(VALID);
      expect(response.status).toBe(200);
      expect(response.jsonBody).toMatchObject({ id: 'fw-2-1', created: false });
    } finally {
      api.beforeStart = undefined;
    }
  });

  test('http:// firmware is accepted when FLEETWAVE_ALLOW_INSECURE_FIRMWARE_URI is true', async () => {
    const body = { ...VALID, firmware: { ...FIRMWARE, uri: 'http://127.0.0.1:8080/fw.bin' } };
    process.env[ALLOW_INSECURE_FIRMWARE_URI] = 'true';
    try {
      expect((await post(body)).status).toBe(202);
    } finally {
      delete process.env[ALLOW_INSECURE_FIRMWARE_URI];
    }
  });

  describe("the hub's tier (FLEETWAVE_HUB_TIER, FLEETWAVE_HUB_UNITS)", () => {
    afterEach(() => {
      delete process.env[HUB_TIER];
      delete process.env[HUB_UNITS];
    });

    test('set: the rollout is paced to the tier, fixed in its input', async () => {
      process.env[HUB_TIER] = 's3';
      process.env[HUB_UNITS] = '2';
      expect((await post(VALID)).status).toBe(202);
      // S3 × 2: 500 twin updates/s, 6 per device update.
      expect((api.instances.get('fw-2-1')!.input as RolloutInput).pace).toEqual({ tier: 'S3', units: 2, devicesPerSecond: 500 / 6 });
    });

    test.each([
      [{ [HUB_TIER]: 'S9' }, /FLEETWAVE_HUB_TIER is invalid: unknown IoT Hub tier 'S9': expected one of F1, S1, S2, S3/],
      [{ [HUB_TIER]: 'S3', [HUB_UNITS]: '11' }, /FLEETWAVE_HUB_UNITS is invalid: .*from 1 to 10 for tier S3, got '11'/],
      [{ [HUB_TIER]: 'F1', [HUB_UNITS]: '2' }, /FLEETWAVE_HUB_UNITS is invalid: .*from 1 to 1 for tier F1/],
      [{ [HUB_UNITS]: '2' }, /FLEETWAVE_HUB_UNITS is invalid: it is set to '2' but FLEETWAVE_HUB_TIER is not/],
    ])('misconfigured %j: 500 naming the setting, nothing started', async (settings, message) => {
      Object.assign(process.env, settings);
      const response = await post(VALID);
      expect(response.status).toBe(500);
      expect(response.jsonBody).toMatchObject({ error: 'invalidAppSetting', message: expect.stringMatching(message) });
      expect(api.instances.size).toBe(0);
    });
  });
});
