import type { RolloutStatus, RolloutView } from '../../contracts/rolloutApi';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { watchRollout } from '../../local/cli/rollouts/watchRollout';
import { eventually } from '../support/hubFixture';
import { demoRolloutSpec as spec, localStack as stack } from '../support/localStackFixture';
import type { ThrottledOperation } from '../../contracts/iotHubQuotas';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The built CLI (npm test builds first). */
const CLI = resolve(__dirname, '../../dist/local/cli/main.js');

describe('end to end on the local stack', () => {
  jest.setTimeout(240_000);

  test('a two-wave rollout to 30 devices completes and every device reports the new version', async () => {
    const s = await stack(30);
    try {
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(
        spec(s, {
          waves: [
            { name: 'canary', percent: 20 },
            { name: 'rest', percent: 100 },
          ],
        }),
      );
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.state).toBe('completed');
      expect(final.totals).toMatchObject({ targeted: 30, succeeded: 30, failed: 0, timedOut: 0 });
      expect(final.waves.map((w) => [w.name, w.targeted])).toEqual([
        ['canary', 6],
        ['rest', 24],
      ]);
      for (const record of s.hub.registry.list()) {
        const reported = record.twin.reported.properties as { firmware?: { currentFwVersion?: string } };
        expect([record.identity.deviceId, reported.firmware?.currentFwVersion]).toEqual([record.identity.deviceId, '2.0.0']);
      }

      // The CLI reads the same API.
      const cli = (...args: string[]) => run(process.execPath, [CLI, 'rollout', ...args, '--api', s.apiUrl]).then((r) => r.stdout);
      expect(await cli('list')).toContain(id);
      const status = await cli('status', id);
      expect(status).toMatch(/completed/);
      expect(status).toMatch(/30 targeted: .*30 succeeded/);
      expect(await cli('devices', id, '--state', 'succeeded', '--all')).toContain('sim-30');
    } finally {
      await s.close();
    }
  });

  test("on an emulated S1 hub the app paces its rollout to the hub's throttles: every device updated, none of its calls or reports refused", async () => {
    const s = await stack(60, {}, { throttling: { tier: 'S1', units: 1 } });
    try {
      const before = s.hub.throttlingStats()!;
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(spec(s, { waves: [{ name: 'all', percent: 100 }] }));
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.totals).toMatchObject({ targeted: 60, succeeded: 60, failed: 0, timedOut: 0 });
      const after = s.hub.throttlingStats()!;
      const rejected = (op: ThrottledOperation) => after.operations[op].rejected - before.operations[op].rejected;
      const passed = (op: ThrottledOperation) =>
        after.operations[op].passed + after.operations[op].shaped - before.operations[op].passed - before.operations[op].shaped;
      // Paced at 50 twin updates/s ÷ 6 per device: the hub never had to refuse the app's calls or the devices' reports.
      expect([rejected('directMethods'), rejected('twinUpdates'), rejected('twinReads')]).toEqual([0, 0, 0]);
      expect(passed('directMethods')).toBeGreaterThanOrEqual(60);
      expect(passed('twinUpdates')).toBeGreaterThanOrEqual(60 * 5);
    } finally {
      await s.close();
    }
  });

  test('an app that does not know the tier runs into the throttles and rides through them: no device failed, no report lost', async () => {
    // No queue in the hub's shaping: every request over the burst is refused with 429.
    const s = await stack(
      60,
      {},
      { throttling: { tier: 'S1', units: 1, shapingSeconds: 0 }, appSettings: { FLEETWAVE_HUB_TIER: '', FLEETWAVE_HUB_UNITS: '' } },
    );
    try {
      const before = s.hub.throttlingStats()!;
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(spec(s, { waves: [{ name: 'all', percent: 100 }], maxConcurrency: 60 }));
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.totals).toMatchObject({ targeted: 60, succeeded: 60, failed: 0, timedOut: 0 });
      const after = s.hub.throttlingStats()!;
      expect(after.operations.twinUpdates.rejected - before.operations.twinUpdates.rejected).toBeGreaterThan(0);
      for (const record of s.hub.registry.list()) {
        const reported = record.twin.reported.properties as {
          firmware?: { currentFwVersion?: string };
          iothubDM?: { firmwareUpdate?: { status?: string } };
        };
        expect([record.identity.deviceId, reported.firmware?.currentFwVersion, reported.iothubDM?.firmwareUpdate?.status]).toEqual([
          record.identity.deviceId,
          '2.0.0',
          'applyComplete',
        ]);
      }
    } finally {
      await s.close();
    }
  });

  test('injected failures past the threshold pause the rollout; resume and cancel do what they say', async () => {
    // Installs take a while, so the rollout still runs when the cancel comes after the resume.
    const s = await stack(20, { failApply: 0.5, seed: 'pause-me', installMs: 500 });
    try {
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(spec(s, { failureThreshold: { percent: 10, minDevices: 3, action: 'pause' }, maxConcurrency: 4 }));
      const paused = await eventually(
        async () => {
          const view = await api.get(id);
          expect(view.state).toBe('paused');
          return view;
        },
        120_000,
        500,
      );
      const finishedWhenPaused = paused.totals.succeeded + paused.totals.failed + paused.totals.timedOut;
      await api.act(id, 'resume');
      await eventually(
        async () => {
          const view = await api.get(id);
          expect(view.totals.succeeded + view.totals.failed + view.totals.timedOut).toBeGreaterThan(finishedWhenPaused);
        },
        120_000,
        500,
      );
      await api.act(id, 'cancel');
      const final: RolloutStatus = await watchRollout(api, id, { quiet: true });
      expect(final.state).toBe('canceled');
      expect(final.totals.canceled + final.totals.succeeded + final.totals.failed + final.totals.timedOut + final.totals.skipped).toBe(
        final.totals.targeted,
      );
    } finally {
      await s.close();
    }
  });

  test('killing the dev host mid-rollout and starting it again lets the rollout finish, no device updated twice', async () => {
    const s = await stack(20, { installMs: 400 });
    // Every status each device reports, seen at the hub.
    const reports = new Map<string, string[]>();
    s.hub.registry.on('twinChanged', (change) => {
      const status = (change.body as { properties?: { reported?: { iothubDM?: { firmwareUpdate?: { status?: string } } } } }).properties
        ?.reported?.iothubDM?.firmwareUpdate?.status;
      if (status) reports.set(change.deviceId, [...(reports.get(change.deviceId) ?? []), status]);
    });
    try {
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(spec(s, { maxConcurrency: 5 }));
      const seen: RolloutView[] = [];
      const poll = async (): Promise<RolloutView> => {
        const view = await api.get(id);
        seen.push(view);
        return view;
      };
      // Devices downloading and installing (400 ms each) show in their stage while they are in progress.
      await eventually(
        async () => {
          const { downloading, applying } = (await poll()).inProgressBy;
          expect(downloading + applying).toBeGreaterThan(0);
        },
        120_000,
        200,
      );
      await eventually(async () => expect((await poll()).totals.succeeded).toBeGreaterThanOrEqual(3), 120_000, 300);
      // The stages always add up to inProgress, in total and over the waves.
      const sum = ({ waiting, downloading, applying }: RolloutView['inProgressBy']) => waiting + downloading + applying;
      for (const view of seen) {
        expect([sum(view.inProgressBy), view.waves.reduce((total, wave) => total + sum(wave.inProgressBy), 0)]).toEqual([
          view.totals.inProgress,
          view.totals.inProgress,
        ]);
      }
      expect(seen.find((view) => view.totals.inProgress > 0)?.startedAt).toEqual(expect.any(String));
      await s.crashAndRestartHost();
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.state).toBe('completed');
      expect(final.totals.succeeded).toBe(20);
      for (const [deviceId, statuses] of reports) {
        expect([deviceId, statuses.filter((st) => st === 'waiting').length]).toEqual([deviceId, 1]);
        expect([deviceId, statuses.filter((st) => st === 'applyComplete').length]).toEqual([deviceId, 1]);
      }
      expect(reports.size).toBe(20);
    } finally {
      await s.close();
    }
  });
});
