jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/**
 * The activities against an emulated S1 hub whose throttle budgets stand still until the test
 * moves its clock, over the real azure-iothub SDK: a 429 is "later", never a verdict.
 */
import { InvocationContext } from '@azure/functions';
import type { FirmwareUpdateRequest } from '../../../contracts/firmwareUpdate';
import { invokeFirmwareUpdate } from '../../../functions/src/activities/invokeFirmwareUpdate';
import { readDeviceTwins } from '../../../functions/src/activities/readDeviceTwins';
import { resolveTargets } from '../../../functions/src/activities/resolveTargets';
import { IOTHUB_CONNECTION_STRING } from '../../../functions/src/settings';
import { HubFixture } from '../../support/hubFixture';
import { ManualClock } from '../../support/manualClock';
import { throttlingStats } from '../../support/throttling';

const clock = new ManualClock();
// No shaping queue: whatever is over a budget is refused with 429 at once.
const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, shapingSeconds: 0, clock } });
const context = (): InvocationContext => new InvocationContext({ functionName: 'activity', logHandler: () => undefined });
const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const REQUEST: FirmwareUpdateRequest = {
  rolloutId: 'r1',
  fwVersion: '2.0.0',
  fwPackageUri: 'https://fw.example.com/x.bin',
  sha256: 'a'.repeat(64),
  size: 1,
};

beforeAll(async () => {
  await fx.start();
  process.env[IOTHUB_CONNECTION_STRING] = fx.hub.serviceConnectionString;
});

afterAll(async () => {
  delete process.env[IOTHUB_CONNECTION_STRING];
  await fx.stop();
});

// Each test starts with full budgets.
beforeEach(() => clock.advance(3_600_000));

describe('activities on a throttled hub', () => {
  test('invokeFirmwareUpdate: calls over the direct-method budget (40 of ≤ 4 KB on S1) come back throttled, the others answered', async () => {
    const outcomes = await invokeFirmwareUpdate({ deviceIds: ids('nobody', 45), request: REQUEST, responseTimeoutInSeconds: 5 }, context());
    const kinds = outcomes.map(({ outcome }) => (outcome.kind === 'error' ? outcome.code : outcome.kind));
    expect(kinds.filter((kind) => kind === 'deviceNotFound')).toHaveLength(40);
    expect(kinds.filter((kind) => kind === 'throttled')).toHaveLength(5);
    const throttled = outcomes.find(({ outcome }) => outcome.kind === 'throttled')!.outcome;
    expect(throttled).toMatchObject({ kind: 'throttled', message: expect.stringMatching(/HTTP 429, IoT Hub error 429001/) });
  });

  test('readDeviceTwins: reads over the twin-read budget (100/s on S1) are failures marked throttled, for the tracker to make again', async () => {
    const reads = await readDeviceTwins({ deviceIds: ids('ghost', 105), rolloutId: 'r1' }, context());
    expect(reads.filter(({ read }) => 'found' in read && !read.found)).toHaveLength(100);
    const throttled = reads.filter(({ read }) => 'throttled' in read);
    expect(throttled).toHaveLength(5);
    expect(throttled[0].read).toEqual({ failed: expect.stringMatching(/reading the twin of ghost-\d+ failed: HTTP 429/), throttled: true });
  });

  test('resolveTargets waits out a throttled page and asks for it again: the rollout is resolved, not failed', async () => {
    // Spend the minute's 20 queries.
    for (let i = 0; i < 20; i += 1) await fx.registry.createQuery('SELECT * FROM devices', 1).nextAsTwin();
    const before = (await throttlingStats(fx)).operations.queries;
    const resolving = resolveTargets({ rolloutId: 'r1', target: { query: "tags.fleet = 'none'" }, fwVersion: '2.0.0' }, context());
    // The first ask is refused; the budget refills while the activity waits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    clock.advance(60_000);
    // One query page passed: what the resolution cost.
    await expect(resolving).resolves.toEqual({ targets: [], skipped: [], queries: 1 });
    const after = (await throttlingStats(fx)).operations.queries;
    expect([after.rejected - before.rejected, after.passed - before.passed]).toEqual([1, 1]);
  }, 20_000);
});
