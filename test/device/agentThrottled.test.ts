import { AgentFixture, agentTestBed } from '../support/agentFixture';
import { firmwareRequest } from '../support/firmwareFixture';
import { HubFixture, eventually } from '../support/hubFixture';
import { ManualClock } from '../support/manualClock';
import { connackOf, registerWithKnownKey, spendConnections, spendTwinUpdates, throttlingStats } from '../support/throttling';

const STEPS = ['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete'];

/**
 * Device agents on an S1 hub without a shaping queue whose clock the test holds: with a budget
 * spent, the hub refuses that operation (CONNACK 3, or 429 on the twin response topic) until the
 * test moves the clock on.
 */
describe('the device agent on a throttled hub', () => {
  const clock = new ManualClock();
  const { fx, agents, image } = agentTestBed({
    imageBytes: 128 * 1024,
    hub: { throttling: { tier: 'S1', units: 1, shapingSeconds: 0, clock } },
  });
  const backoffs = { reconnectBackoff: { initialMs: 100, maxMs: 400 }, reportRetryBackoff: { initialMs: 50, maxMs: 200 } };
  // A minute of the hub's time: every budget is full again.
  beforeEach(() => clock.advance(60_000));

  const invoke = (deviceId: string, rolloutId: string) => {
    const payload = firmwareRequest(image(), rolloutId);
    return fx.service.invokeDeviceMethod(deviceId, { methodName: 'firmwareUpdate', payload, responseTimeoutInSeconds: 10 });
  };
  const refusedConnects = (log: string[]) =>
    log.filter((line) => /^could not connect to the hub \(.*Server unavailable.*\); trying again$/.test(line));

  async function expectUpdated(deviceId: string, rolloutId: string): Promise<void> {
    expect(agents.statuses.get(deviceId)).toEqual(STEPS);
    const reports = agents.reports.get(deviceId)!.filter((status) => status !== 'downloading');
    expect(reports).toEqual(['waiting', 'downloadComplete', 'applying', 'applyComplete']);
    const twin = await fx.twin(deviceId);
    expect(twin.connectionState).toBe('Connected');
    expect(twin.properties.reported.firmware.currentFwVersion).toBe('2.0.0');
    expect(twin.properties.reported.iothubDM.firmwareUpdate).toMatchObject({ status: 'applyComplete', rolloutId });
  }

  test('a CONNECT refused with CONNACK 3 at start is tried again after the reconnect backoff until the hub has room', async () => {
    await spendConnections(fx, 'start-drain');
    const refusedBefore = (await throttlingStats(fx)).operations.deviceConnections.rejected;
    const log: string[] = [];
    const refusedAt: number[] = [];
    const starting = agents.agent('throttled-start', {
      ...backoffs,
      log: (line) => {
        log.push(line);
        if (refusedConnects([line]).length > 0) refusedAt.push(Date.now());
      },
    });
    await eventually(() => expect(refusedAt.length).toBeGreaterThanOrEqual(4), 6000);
    // After the n-th refusal in a row the agent waits at least half of min(100 ms × 2^n, 400 ms): no tight loop.
    const gaps = refusedAt.slice(1).map((at, i) => at - refusedAt[i]);
    gaps.forEach((gap, i) =>
      expect({ i, gap, atLeast: gap >= Math.min(100 * 2 ** (i + 1), 400) / 2 - 2 }).toMatchObject({ atLeast: true }),
    );
    clock.advance(1000);
    const { agent } = await starting;
    // Each refusal the agent saw was one CONNECT the hub refused.
    expect((await throttlingStats(fx)).operations.deviceConnections.rejected - refusedBefore).toBe(refusedConnects(log).length);
    expect((await fx.twin('throttled-start')).connectionState).toBe('Connected');
    expect(agent.currentFwVersion).toBe('1.0.0');
  });

  test('the reconnect after the reboot, refused with CONNACK 3, goes through the backoff and the update completes', async () => {
    const log: string[] = [];
    const { agent } = await agents.agent('throttled-reboot', { ...backoffs, log: (line) => log.push(line) });
    // The agent is connected: the next connection it makes is the one after the reboot.
    await spendConnections(fx, 'reboot-drain');
    await invoke('throttled-reboot', 'r-reboot');
    await eventually(() => expect(refusedConnects(log).length).toBeGreaterThanOrEqual(2), 6000);
    // Offline meanwhile: the steps after the reboot wait for the connection.
    const offline = await fx.twin('throttled-reboot');
    expect(offline.connectionState).toBe('Disconnected');
    expect(offline.properties.reported.iothubDM.firmwareUpdate.status).toBe('applying');
    const refusals = refusedConnects(log).length;
    clock.advance(1000);
    await agent.settled();
    await expectUpdated('throttled-reboot', 'r-reboot');
    expect(refusedConnects(log).length).toBeLessThanOrEqual(refusals + 1);
  }, 15_000);

  test('every step reaches the twin, in order, while the hub refuses most twin updates', async () => {
    const log: string[] = [];
    const { agent } = await agents.agent('throttled-reports', { ...backoffs, log: (line) => log.push(line) });
    await agent.settled();
    // Spend the twin-update budget, then let the hub through one twin update every 300 ms.
    await spendTwinUpdates(fx, 'throttled-reports');
    const refusedBefore = (await throttlingStats(fx)).operations.twinUpdates.rejected;
    const ticker = setInterval(() => clock.advance(20), 300);
    try {
      await invoke('throttled-reports', 'r-reports');
      await agent.settled();
    } finally {
      clearInterval(ticker);
    }
    await expectUpdated('throttled-reports', 'r-reports');
    const refused = log.filter((line) =>
      line.startsWith('reporting failed, will retry: Throttled: twin updates on this IoT Hub (S1 × 1 unit)'),
    );
    expect(refused.length).toBeGreaterThan(0);
    expect((await throttlingStats(fx)).operations.twinUpdates.rejected - refusedBefore).toBe(refused.length);
  }, 15_000);
});

describe('the device agent on a hub that holds CONNECTs in its shaping queue', () => {
  const clock = new ManualClock();
  const fx = new HubFixture({ throttling: { tier: 'S1', units: 1, clock } });
  const agents = new AgentFixture(fx);
  beforeAll(() => fx.start());
  afterAll(async () => {
    await agents.stop();
    await fx.stop();
  });
  beforeEach(() => clock.advance(60_000));

  /** 150 connections in one instant of the hub's stopped clock: 100 pass, 50 are shaped, and the next waits 510 ms. */
  async function queueConnections(prefix: string): Promise<void> {
    const ids = await registerWithKnownKey(fx, prefix, 150);
    expect(new Set(await Promise.all(ids.map((id) => connackOf(fx, id))))).toEqual(new Set([0]));
  }

  test('a late CONNACK is a slow connect, not a failure', async () => {
    await queueConnections('late');
    const log: string[] = [];
    const started = Date.now();
    await agents.agent('late-connack', { log: (line) => log.push(line) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(log.filter((line) => line.startsWith('could not connect'))).toEqual([]);
  });

  test('a CONNACK later than the request timeout abandons the attempt, and the next comes after the backoff', async () => {
    await queueConnections('later');
    const log: string[] = [];
    const reconnectBackoff = { initialMs: 1000, maxMs: 1000 };
    const options = { hubRequestTimeoutMs: 300, reconnectBackoff, log: (line: string) => log.push(line) };
    const starting = agents.agent('later-connack', options);
    const abandoned = (line: string) =>
      line === 'could not connect to the hub (opening the connection took longer than 300 ms); trying again';
    await eventually(() => expect(log.filter(abandoned)).toHaveLength(1), 5000);
    clock.advance(60_000); // the queue has drained by the next attempt
    await starting;
    expect(log.filter((line) => line.startsWith('could not connect'))).toHaveLength(1);
    expect((await fx.twin('later-connack')).connectionState).toBe('Connected');
  });
});
