import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../contracts/firmwareUpdate';
import type { DeviceView } from '../../contracts/rolloutApi';
import { FleetSimulator } from '../../local/fleet/FleetSimulator';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { watchRollout } from '../../local/cli/rollouts/watchRollout';
import type { RunningLocalStack } from '../../local/stack/startLocalStack';
import { demoRolloutSpec as spec, localStack as stack, moreDevices } from '../support/localStackFixture';

const run = promisify(execFile);
/** The built CLI (npm test builds first). */
const CLI = resolve(__dirname, '../../dist/local/cli/main.js');

/** Every firmwareUpdate status the devices report, in the order the hub takes the reports. */
function recordReports(s: RunningLocalStack): { deviceId: string; status: FirmwareUpdateStatus }[] {
  const reports: { deviceId: string; status: FirmwareUpdateStatus }[] = [];
  s.hub.registry.on('twinChanged', (change: { deviceId: string; body: unknown }) => {
    type Reported = { properties?: { reported?: { iothubDM?: { firmwareUpdate?: Partial<FirmwareUpdateReport> | null } } } };
    const status = (change.body as Reported).properties?.reported?.iothubDM?.firmwareUpdate?.status;
    if (status !== undefined) reports.push({ deviceId: change.deviceId, status });
  });
  return reports;
}

/** The device's own time of the timeline entry with that status (it reports one for each). */
function deviceTimeOf(view: DeviceView, status: FirmwareUpdateStatus): number {
  const entry = view.timeline.find((item) => item.status === status);
  if (entry?.deviceTime === undefined) throw new Error(`${view.deviceId} has no ${status} entry with a device time`);
  return Date.parse(entry.deviceTime);
}

/** Every device staged before any applied: at the hub (report order) and in the rollout's timelines (device times). */
async function expectStagedBeforeApplied(
  api: RolloutApiClient,
  id: string,
  reports: { deviceId: string; status: string }[],
  ids: string[],
) {
  const lastStaged = Math.max(
    ...ids.map((deviceId) => reports.map((r) => r.deviceId === deviceId && r.status === 'downloadComplete').lastIndexOf(true)),
  );
  const firstApplying = reports.findIndex((r) => r.status === 'applying');
  expect(
    Math.min(...ids.map((deviceId) => reports.findIndex((r) => r.deviceId === deviceId && r.status === 'downloadComplete'))),
  ).toBeGreaterThanOrEqual(0);
  expect(firstApplying).toBeGreaterThan(lastStaged);
  const views = await Promise.all(ids.map((deviceId) => api.device(id, deviceId)));
  const staged = Math.max(...views.map((view) => deviceTimeOf(view, 'downloadComplete')));
  const applying = Math.min(...views.map((view) => deviceTimeOf(view, 'applying')));
  expect(staged).toBeLessThanOrEqual(applying);
  // The rollout saw each device staged before it applied. The apply call's answer has an entry of its
  // own only when it came before the device's reports (a report that overtakes it makes it moot).
  for (const view of views) {
    const details = view.timeline.map((entry) => entry.status ?? entry.detail);
    const stagedAt = details.indexOf('downloadComplete');
    expect(stagedAt).toBeGreaterThanOrEqual(0);
    expect(details.indexOf('applying')).toBeGreaterThan(stagedAt);
    const answeredAt = details.indexOf('accepted the firmwareApply method');
    if (answeredAt >= 0) expect(answeredAt).toBeGreaterThan(stagedAt);
  }
}

describe('stage then apply end to end on the local stack', () => {
  jest.setTimeout(300_000);

  test('every device stages (downloadComplete) before any applies, then all succeed; GET and the CLI show the policy and pass', async () => {
    const s = await stack(6);
    try {
      const reports = recordReports(s);
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(
        spec(s, { waves: [{ name: 'all', percent: 100 }], maxConcurrency: 2, stageThenApply: { stagedPercent: 100, deadlineMinutes: 10 } }),
      );
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.state).toBe('completed');
      expect(final.totals).toMatchObject({ targeted: 6, succeeded: 6, failed: 0, timedOut: 0 });
      const ids = [...s.hub.registry.list()].map((record) => record.identity.deviceId);
      expect(ids).toHaveLength(6);
      await expectStagedBeforeApplied(api, id, reports, ids);
      for (const record of s.hub.registry.list()) {
        const reported = record.twin.reported.properties as { firmware?: { currentFwVersion?: string } };
        expect(reported.firmware?.currentFwVersion).toBe(s.firmware.image.version);
      }

      const view = await api.get(id);
      expect(view.policy?.stageThenApply).toEqual({ stagedPercent: 100, deadlineMinutes: 10 });
      expect(view.waves[0]).toMatchObject({ pass: 'apply', inProgressBy: { staged: 0 } });
      const status = (await run(process.execPath, [CLI, 'rollout', 'status', id, '--api', s.apiUrl])).stdout;
      expect(status).toContain('stage then apply: apply once 100 % of a wave is staged, stage deadline 10 min');
    } finally {
      await s.close();
    }
  });

  test('a device whose download fails does not hold the rest: once the others staged, they apply and succeed', async () => {
    const s = await stack(4);
    const flakyState = mkdtempSync(join(tmpdir(), 'fleetwave-flaky-'));
    let flaky: FleetSimulator | undefined;
    try {
      // One more device in the demo fleet whose every download fails.
      flaky = await moreDevices(s, {
        count: 1,
        prefix: 'flaky-',
        tags: { fleet: 'demo', ring: 'broad' },
        failDownload: 1,
        seed: 'flaky',
        stateRoot: flakyState,
      });
      const reports = recordReports(s);
      const api = new RolloutApiClient(s.apiUrl);
      const started = Date.now();
      const { id } = await api.start(
        spec(s, {
          waves: [{ name: 'all', percent: 100 }],
          failureThreshold: { percent: 50, minDevices: 1, action: 'pause' },
          stageThenApply: { stagedPercent: 80, deadlineMinutes: 60 },
        }),
      );
      const final = await watchRollout(api, id, { quiet: true });
      expect(final.state).toBe('completedWithFailures');
      expect(final.totals).toMatchObject({ targeted: 5, succeeded: 4, failed: 1, timedOut: 0, canceled: 0 });
      // Every device had settled its stage pass: the apply pass did not wait for the hour's deadline.
      expect(Date.now() - started).toBeLessThan(5 * 60_000);
      const failed = await api.devices(id, { state: 'failed' });
      expect(failed.items.map((row) => [row.deviceId, row.error?.code])).toEqual([['flaky-1', 'network']]);
      const healthy = [...s.hub.registry.list()]
        .map((record) => record.identity.deviceId)
        .filter((deviceId) => deviceId.startsWith('sim-'));
      expect(healthy).toHaveLength(4);
      await expectStagedBeforeApplied(api, id, reports, healthy);
      expect(reports.some((r) => r.deviceId === 'flaky-1' && r.status === 'applying')).toBe(false);
    } finally {
      await flaky?.stop();
      rmSync(flakyState, { recursive: true, force: true });
      await s.close();
    }
  });
});
