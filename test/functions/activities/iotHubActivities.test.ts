jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/**
 * The activities against the local IoT Hub emulator and the real device agent, over the real
 * azure-iothub SDK: what the hub and the device answer, and how the activities read it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import type { FirmwareUpdateRequest } from '../../../contracts/firmwareUpdate';
import { invokeFirmwareUpdate } from '../../../functions/src/activities/invokeFirmwareUpdate';
import { HUB_CALLS_IN_FLIGHT } from '../../../functions/src/activities/iotHub';
import { readDeviceTwins } from '../../../functions/src/activities/readDeviceTwins';
import { QUERY_PAGE_SIZE, resolveTargets } from '../../../functions/src/activities/resolveTargets';
import type { ResolveTargetsInput, ResolvedTargets } from '../../../functions/src/activities/resolveTargets';
import { IOTHUB_CONNECTION_STRING } from '../../../functions/src/settings';
import { AgentFixture } from '../../support/agentFixture';
import { FirmwareFixture, firmwareRequest } from '../../support/firmwareFixture';
import { HubFixture, eventually } from '../../support/hubFixture';

const fx = new HubFixture();
const fw = new FirmwareFixture(join(fx.dataDir, 'tls'));
const agents = new AgentFixture(fx);
let image: ReturnType<FirmwareFixture['image']>;
const lines: string[] = [];
const context = (): InvocationContext =>
  new InvocationContext({ functionName: 'activity', logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')) });

const BULK = QUERY_PAGE_SIZE + 205;

beforeAll(async () => {
  await fx.start();
  await fw.start();
  agents.watch();
  image = fw.image('2.0.0', 64 * 1024);
  process.env[IOTHUB_CONNECTION_STRING] = fx.hub.serviceConnectionString;
  for (let start = 0; start < BULK; start += 100) {
    const devices = Array.from({ length: Math.min(100, BULK - start) }, (_, i) => ({
      deviceId: `bulk-${String(start + i).padStart(5, '0')}`,
      status: 'enabled' as const,
    }));
    const { responseBody } = await fx.registry.addDevices(devices);
    expect(responseBody.isSuccessful).toBe(true);
  }
}, 120_000);

afterAll(async () => {
  delete process.env[IOTHUB_CONNECTION_STRING];
  await agents.stop();
  await fw.stop();
  await fx.stop();
});

const request = (rolloutId: string, overrides: Partial<FirmwareUpdateRequest> = {}) => firmwareRequest(image, rolloutId, overrides);

async function resolved(input: ResolveTargetsInput): Promise<ResolvedTargets> {
  const result = await resolveTargets(input, context());
  if ('rejected' in result) throw new Error(`unexpectedly rejected: ${result.rejected}`);
  return result;
}

describe('activities on the local IoT Hub', () => {
  test('resolveTargets reads a twin query page by page and skips devices already on the version', async () => {
    await agents.agent('act-old');
    const { agent } = await agents.agent('act-current', { initialFwVersion: '2.0.0' });
    await eventually(async () => expect((await fx.twin('act-current')).properties.reported.firmware?.currentFwVersion).toBe('2.0.0'));
    const result = await resolved({ rolloutId: 'r-q', target: { query: "status = 'enabled'" }, fwVersion: '2.0.0' });
    expect(result.skipped).toEqual(['act-current']);
    expect(result.targets).toHaveLength(BULK + 1);
    expect(new Set(result.targets).size).toBe(result.targets.length);
    expect(result.targets).toContain('act-old');
    expect(lines.some((line) => line.startsWith('targets.resolved') && line.includes('"pages":2'))).toBe(true);
    expect(agent).toBeDefined();
  });

  test('resolveTargets with device ids: looked up in chunks; unknown ids stay targets', async () => {
    const deviceIds = [
      'act-current',
      'act-old',
      'bulk-00007',
      'no-such-device',
      ...Array.from({ length: 150 }, (_, i) => `bulk-${String(i + 100).padStart(5, '0')}`),
    ];
    const result = await resolved({ rolloutId: 'r-ids', target: { deviceIds }, fwVersion: '2.0.0' });
    expect(result.skipped).toEqual(['act-current']);
    expect(result.targets).toEqual(deviceIds.filter((id) => id !== 'act-current'));
  });

  test("a query IoT Hub rejects (400) is a result, not a failure to retry: it names the query and the hub's reason", async () => {
    const result = await resolveTargets({ rolloutId: 'r-bad', target: { query: 'tags.x = = 1' }, fwVersion: '2.0.0' }, context());
    const rejected =
      /^IoT Hub rejected the twin query \(HTTP 400\b.*expected an expression but found '='.*: SELECT deviceId, .* WHERE \(tags\.x = = 1\)$/s;
    expect(result).toEqual({ rejected: expect.stringMatching(rejected) });
  });

  /** One device through the activity: its one outcome. */
  async function invokeOne(deviceId: string, r: FirmwareUpdateRequest, responseTimeoutInSeconds: number) {
    const [answer] = await invokeFirmwareUpdate({ deviceIds: [deviceId], request: r, responseTimeoutInSeconds }, context());
    expect(answer.deviceId).toBe(deviceId);
    return answer.outcome;
  }

  test('invokeFirmwareUpdate reads every answer: accepted, current, busy, alreadyInstalled, invalid', async () => {
    const slow = await fw.slowServer(readFileSync(join(fw.dir, image.file)), { sliceBytes: 16 * 1024, pauseMs: 150 });
    const { agent } = await agents.agent('act-agent');
    const call = (r: FirmwareUpdateRequest) => invokeOne('act-agent', r, 10);
    expect(await call(request('r-1', { fwPackageUri: slow.url }))).toEqual({ kind: 'accepted' });
    expect(await call(request('r-1', { fwPackageUri: slow.url }))).toMatchObject({
      kind: 'current',
      state: { rolloutId: 'r-1', status: expect.stringMatching(/waiting|downloading/) },
    });
    expect(await call(request('r-2'))).toEqual({ kind: 'busy', rolloutId: 'r-1', message: expect.stringContaining('r-1') });
    await agent.settled();
    await slow.close();
    const { agent: same } = await agents.agent('act-same', { initialFwVersion: '2.0.0' });
    expect(await invokeOne('act-same', request('r-3'), 10)).toEqual({ kind: 'alreadyInstalled', fwVersion: '2.0.0' });
    await same.settled();
    expect(await call(request('r-4', { sha256: 'not-a-hash' }))).toEqual({
      kind: 'invalid',
      field: 'sha256',
      message: expect.stringContaining('sha256'),
    });
  });

  test('invokeFirmwareUpdate: a device not connected is offline (404103), an unknown one deviceNotFound (404001)', async () => {
    await fx.addDevice('act-offline');
    expect(await invokeOne('act-offline', request('r-5'), 5)).toMatchObject({
      kind: 'offline',
      message: expect.stringContaining('404103'),
    });
    expect(await invokeOne('act-nobody', request('r-5'), 5)).toMatchObject({ kind: 'error', code: 'deviceNotFound', retryable: false });
  });

  test('invokeFirmwareUpdate calls many devices in one execution, each answer with its device, in input order', async () => {
    await fx.addDevice('act-many-offline');
    const ids = Array.from({ length: 30 }, (_, i) => `act-many-${i}`);
    const running = await Promise.all(ids.map((id) => agents.agent(id)));
    const outcomes = await invokeFirmwareUpdate(
      { deviceIds: [...ids, 'act-many-offline', 'act-many-nobody'], request: request('r-many'), responseTimeoutInSeconds: 5 },
      context(),
    );
    expect(outcomes.map((o) => o.deviceId)).toEqual([...ids, 'act-many-offline', 'act-many-nobody']);
    expect(outcomes.slice(0, 30).map((o) => o.outcome)).toEqual(ids.map(() => ({ kind: 'accepted' })));
    expect(outcomes[30].outcome).toMatchObject({ kind: 'offline' });
    expect(outcomes[31].outcome).toMatchObject({ kind: 'error', code: 'deviceNotFound' });
    for (const { agent } of running) await agent.settled();
  });

  test('readDeviceTwins reads many devices in one call, in input order: reports with their $version, the tracker echoed; unknown devices not found', async () => {
    const { agent } = await agents.agent('act-read');
    await invokeOne('act-read', request('r-6', { tracker: 'r-6:w0:b3' }), 10);
    await agent.settled();
    const bare = 'act-read-bare';
    await fx.addDevice(bare);
    // A device whose report the rollout cannot use: it is read, and the problem named.
    const client = await fx.connectDevice('act-read-bad');
    const twin = await client.getTwin();
    const patch = { iothubDM: { firmwareUpdate: { status: 'exploded', rolloutId: 'r-6', fwVersion: '2.0.0' } } };
    await new Promise<void>((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())));
    // More devices than are read at once, so the reads overlap and must still come back in order.
    const bulk = Array.from({ length: HUB_CALLS_IN_FLIGHT * 2 + 3 }, (_, i) => `bulk-${String(i * 7).padStart(5, '0')}`);
    const deviceIds = ['act-read', 'act-nobody', bare, 'act-read-bad', ...bulk, 'act-nobody-2'];

    const reads = await readDeviceTwins({ deviceIds, rolloutId: 'r-6' }, context());
    expect(reads.map((r) => r.deviceId)).toEqual(deviceIds);
    const byId = new Map(reads.map((r) => [r.deviceId, r.read]));
    const read = (await fx.twin('act-read')).properties.reported;
    expect(byId.get('act-read')).toEqual({
      found: true,
      report: {
        twinVersion: read.$version,
        currentFwVersion: '2.0.0',
        firmwareUpdate: expect.objectContaining({
          status: 'applyComplete',
          rolloutId: 'r-6',
          fwVersion: '2.0.0',
          tracker: 'r-6:w0:b3',
          error: null,
        }),
      },
    });
    expect(byId.get('act-nobody')).toEqual({ found: false });
    expect(byId.get('act-nobody-2')).toEqual({ found: false });
    expect(byId.get(bare)).toEqual({ found: true, report: { twinVersion: (await fx.twin(bare)).properties.reported.$version } });
    expect(byId.get('act-read-bad')).toEqual({
      found: true,
      report: null,
      problem: expect.stringContaining('iothubDM.firmwareUpdate.status must be one of'),
    });
    for (const id of bulk) expect(byId.get(id)).toEqual({ found: true, report: { twinVersion: expect.any(Number) } });
  });

  test('readDeviceTwins: a read the hub refuses is a failure for that device, naming it and the answer; nothing is thrown', async () => {
    const good = fx.hub.serviceConnectionString;
    const wrongKey = good.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`);
    expect(wrongKey).not.toBe(good);
    process.env[IOTHUB_CONNECTION_STRING] = wrongKey;
    try {
      const reads = await readDeviceTwins({ deviceIds: ['act-read', 'act-nobody'], rolloutId: 'r-7' }, context());
      expect(reads).toEqual([
        { deviceId: 'act-read', read: { failed: expect.stringMatching(/^reading the twin of act-read failed: HTTP 401\b/) } },
        { deviceId: 'act-nobody', read: { failed: expect.stringMatching(/^reading the twin of act-nobody failed: HTTP 401\b/) } },
      ]);
      expect(lines.some((line) => line.startsWith('twin.readFailed') && line.includes('act-read'))).toBe(true);
    } finally {
      process.env[IOTHUB_CONNECTION_STRING] = good;
    }
  });
});
