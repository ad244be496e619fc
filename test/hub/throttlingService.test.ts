import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as ServiceClient } from 'azure-iothub';
import { THROTTLED_OPERATIONS, type ThrottledOperation } from '../../contracts/iotHubQuotas';
import { hubHttpsRequest } from '../../local/probes/hubHttpsRequest';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';
import type { OperationStats } from '../../local/hub/throttling/HubThrottles';
import { HubFixture, httpFailure, nestedErrorCode } from '../support/hubFixture';
import { ManualClock } from '../support/manualClock';
import { throttlingStats as stats } from '../support/throttling';

const API = 'api-version=2021-04-12';

const metered = ({ passed, shaped, rejected }: OperationStats) => passed + shaped + rejected;

/** How many requests of each operation the hub metered while `work` ran. */
async function costOf(fx: HubFixture, work: () => Promise<unknown>): Promise<Partial<Record<ThrottledOperation, number>>> {
  const before = (await stats(fx)).operations;
  await work();
  const after = (await stats(fx)).operations;
  const moved: Partial<Record<ThrottledOperation, number>> = {};
  for (const operation of THROTTLED_OPERATIONS) {
    const delta = metered(after[operation]) - metered(before[operation]);
    if (delta !== 0) moved[operation] = delta;
  }
  return moved;
}

/** azure-iothub's Client retries 429 for minutes by default; these tests want to see it. */
function serviceClientWithoutRetries(fx: HubFixture): ServiceClient {
  const client = ServiceClient.fromConnectionString(fx.hub.serviceConnectionString);
  client.setRetryPolicy({ shouldRetry: () => false, nextRetryTimeout: () => 0 });
  return client;
}

describe('HTTPS service endpoint of an S1 hub: what each request costs', () => {
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1 } });
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('connection.json names the tier', () => {
    expect(fx.hub.throttling).toEqual({ tier: 'S1', units: 1 });
    expect(JSON.parse(readFileSync(join(fx.dataDir, 'connection.json'), 'utf8')).throttling).toEqual({ tier: 'S1', units: 1 });
  });

  test('each route costs its operation: registry calls, twin reads and updates, query pages, methods', async () => {
    await fx.addDevice('cost-a');
    expect(await costOf(fx, () => fx.registry.get('cost-a'))).toEqual({ identityRegistry: 1 });
    expect(await costOf(fx, () => fx.registry.list())).toEqual({ identityRegistry: 1 });
    expect(await costOf(fx, () => fx.registry.update({ deviceId: 'cost-a', status: 'enabled' }))).toEqual({ identityRegistry: 1 });
    const three = [{ deviceId: 'cost-b' }, { deviceId: 'cost-c' }, { deviceId: 'cost-d' }];
    expect(await costOf(fx, () => fx.registry.addDevices(three))).toEqual({ identityRegistry: 1 });
    expect(await costOf(fx, () => fx.registry.delete('cost-d'))).toEqual({ identityRegistry: 1 });
    expect(await costOf(fx, () => fx.registry.getTwin('cost-a'))).toEqual({ twinReads: 1 });
    expect(await costOf(fx, () => fx.registry.updateTwin('cost-a', { tags: { ring: 'canary' } }, '*'))).toEqual({ twinUpdates: 1 });
    expect(await costOf(fx, () => fx.rawRequest('PUT', `/twins/cost-a?${API}`, { tags: { ring: 'broad' } }))).toEqual({ twinUpdates: 1 });
    const paged = async () => {
      const query = fx.registry.createQuery('SELECT deviceId FROM devices', 1);
      for (let page = 0; page < 3; page++) await query.next(query.continuationToken);
    };
    expect(await costOf(fx, paged)).toEqual({ queries: 3 });
    // An offline device: the call is metered before it is found to have no one to answer.
    const offline = () => fx.service.invokeDeviceMethod('cost-a', { methodName: 'm', payload: null }).catch(() => undefined);
    expect(await costOf(fx, offline)).toEqual({ directMethods: 1 });
  });

  test('a request that fails authentication costs nothing', async () => {
    const forged = createSas(fx.hub.hostName, Buffer.alloc(32, 1), 'iothubowner', 3600);
    const endpoint = { ...fx.hub.https, ca: readFileSync(fx.hub.caCertPath) };
    const cost = await costOf(fx, async () => {
      const response = await hubHttpsRequest(endpoint, 'GET', `/twins/cost-a?${API}`, { authorization: forged });
      expect(response.status).toBe(401);
    });
    expect(cost).toEqual({});
  });

  test('the counters can be read with any service policy, and not without one', async () => {
    const endpoint = { ...fx.hub.https, ca: readFileSync(fx.hub.caCertPath) };
    const registryRead = fx.hub.policies.find((p) => p.keyName === 'registryRead')!;
    const token = createSas(fx.hub.hostName, Buffer.from(registryRead.primaryKey, 'base64'), 'registryRead', 3600);
    const read = await hubHttpsRequest(endpoint, 'GET', `/fleetwave/throttling?${API}`, { authorization: token });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ tier: 'S1', units: 1, operations: { twinUpdates: { perSecond: 50, window: 'second' } } });
    expect((await hubHttpsRequest(endpoint, 'GET', `/fleetwave/throttling?${API}`, {})).status).toBe(401);
  });
});

describe('queries on an S1 hub: traffic shaping, then 429', () => {
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1 } });
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('queries: 20 pass at once, the 21st waits ~3 s in the shaping queue, the 22nd meanwhile is 429 ThrottlingException', async () => {
    const run = () => fx.registry.createQuery('SELECT deviceId FROM devices', 100).next();
    const started = Date.now();
    for (let i = 0; i < 20; i++) await run();
    expect(Date.now() - started).toBeLessThan(2000);
    const shapedAt = Date.now();
    const shaped = run().then(() => Date.now() - shapedAt);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    const failure = httpFailure(error);
    expect(failure).toMatchObject({ status: 429, name: 'ThrottlingError' });
    expect(String(failure.body.Message)).toMatch(
      /^ErrorCode:ThrottlingException;Throttled: queries on this IoT Hub \(S1 × 1 unit\) are limited to 20\/min/,
    );
    expect(String(failure.body.ExceptionMessage)).toMatch(/^Tracking ID:/);
    expect((error as { response: { headers: Record<string, string> } }).response.headers['iothub-errorcode']).toBe('ThrottlingException');
    const waited = await shaped;
    expect(waited).toBeGreaterThan(2000);
    expect(waited).toBeLessThan(4500);
    expect((await stats(fx)).operations.queries).toMatchObject({ shaped: 1, rejected: 1 });
  }, 10_000);
});

describe('HTTPS service endpoint of an S1 hub without a shaping queue, on a stopped clock', () => {
  const clock = new ManualClock();
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, shapingSeconds: 0, clock } });
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());
  // A minute of clock time: every meter is full again.
  beforeEach(() => clock.advance(60_000));

  test('twin reads: the 101st getTwin is 429 with the nested body, errorCode 429001', async () => {
    await fx.addDevice('reads');
    const reads = await Promise.allSettled(Array.from({ length: 101 }, () => fx.registry.getTwin('reads')));
    const rejected = reads.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(reads.length - rejected.length).toBe(100);
    expect(rejected).toHaveLength(1);
    const failure = httpFailure(rejected[0].reason);
    expect(failure).toMatchObject({ status: 429, name: 'ThrottlingError', body: { ExceptionMessage: '' } });
    expect(nestedErrorCode(failure.body)).toBe(429001);
    expect(JSON.parse(String(failure.body.Message)).message).toContain('twin reads on this IoT Hub (S1 × 1 unit) are limited to 100/s');
  });

  test('direct methods are metered in 4 KB units: 40 calls of ≤ 4 KB a second, or 20 of a payload over 4 KB', async () => {
    const device = await fx.connectDevice('methods');
    device.onDeviceMethod('echo', (_request, response) => response.send(200, 'ok', () => undefined));
    const service = serviceClientWithoutRetries(fx);
    const call = (payload: unknown) => service.invokeDeviceMethod('methods', { methodName: 'echo', payload, responseTimeoutInSeconds: 5 });
    /** How many of `count` concurrent calls got each HTTP status. */
    const statuses = async (payload: unknown, count: number) => {
      const settled = await Promise.allSettled(Array.from({ length: count }, () => call(payload)));
      const tally: Record<number, number> = {};
      for (const r of settled) {
        const status = r.status === 'fulfilled' ? r.value.result.status : httpFailure(r.reason).status!;
        tally[status] = (tally[status] ?? 0) + 1;
      }
      return tally;
    };

    const small = 'x'.repeat(4094); // its JSON, quotes included, is exactly 4 KB
    expect(await statuses(small, 41)).toEqual({ 200: 40, 429: 1 });
    clock.advance(1000);
    const large = 'x'.repeat(4095);
    expect(await statuses(large, 21)).toEqual({ 200: 20, 429: 1 });
    clock.advance(1000);
    expect(await statuses(null, 40)).toEqual({ 200: 40 });
  });
});

describe('HTTPS service endpoint of a hub without throttling', () => {
  const fx = new HubFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('says so in connection.json and on the counters route', async () => {
    expect(fx.hub.throttling).toBeNull();
    expect(await fx.rawRequest('GET', `/fleetwave/throttling?${API}`)).toMatchObject({ status: 200, body: '{"throttling":null}' });
  });
});
