import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { RolloutView } from '../../contracts/rolloutApi';
import { FleetSimulator } from '../../local/fleet/FleetSimulator';
import { ApiError, RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { watchRollout } from '../../local/cli/rollouts/watchRollout';
import { eventually } from '../support/hubFixture';
import { countUpdateStarts, demoRolloutSpec as spec, localStack as stack, moreDevices } from '../support/localStackFixture';

const run = promisify(execFile);
/** The built CLI (npm test builds first). */
const CLI = resolve(__dirname, '../../dist/local/cli/main.js');

/** The API's refusal of a request: its status and body. */
async function refusal(request: Promise<unknown>): Promise<{ status: number; body: { message?: string; problems?: unknown[] } }> {
  const error = await request.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected the API to refuse, got ${String(error)}`);
  return { status: error.status, body: error.body as { message?: string; problems?: unknown[] } };
}

describe('retrying a rollout end to end on the local stack', () => {
  jest.setTimeout(300_000);

  test('three devices whose downloads fail; fixed, POST retry updates them in attempt 2 and the rollout completes', async () => {
    // 8 healthy devices (sim-1..8) and 3 whose downloads always fail (flaky-1..3), all in the demo fleet.
    const s = await stack(8);
    const flakyState = mkdtempSync(join(tmpdir(), 'fleetwave-flaky-'));
    const flakyFleet = (failDownload: number, installMs = 0) =>
      moreDevices(s, {
        count: 3,
        prefix: 'flaky-',
        tags: { fleet: 'demo', ring: 'broad' },
        failDownload,
        installMs,
        seed: 'flaky',
        stateRoot: flakyState,
      });
    let flaky: FleetSimulator | undefined;
    try {
      flaky = await flakyFleet(1);
      const calls = countUpdateStarts(s);
      const api = new RolloutApiClient(s.apiUrl);
      const cli = (...args: string[]) => run(process.execPath, [CLI, 'rollout', ...args, '--api', s.apiUrl]).then((r) => r.stdout);
      const { id } = await api.start(
        spec(s, {
          // In id order: flaky-1..3 and sim-1, sim-2 are the canary; the rest wave has only healthy devices.
          waves: [
            { name: 'canary', percent: 50 },
            { name: 'rest', percent: 100 },
          ],
          failureThreshold: { percent: 90, minDevices: 50, action: 'pause' },
        }),
      );
      const first = await watchRollout(api, id, { quiet: true });
      expect(first.state).toBe('completedWithFailures');
      expect(first.totals).toMatchObject({ targeted: 11, succeeded: 8, failed: 3, timedOut: 0 });
      const failed = await api.devices(id, { state: 'failed' });
      expect(failed.items.map((row) => [row.deviceId, row.error?.code, row.attempt])).toEqual([
        ['flaky-1', 'network', 1],
        ['flaky-2', 'network', 1],
        ['flaky-3', 'network', 1],
      ]);
      const before = await api.get(id);
      expect(before).toMatchObject({ attempt: 1, actions: { retry: null } });
      expect(before.attempts).toEqual([expect.objectContaining({ attempt: 1, retried: null, totals: first.totals })]);

      // Nothing matches: 409 and nothing starts. A body the API does not take: 400 naming the field.
      const nothing = await refusal(api.retry(id, { states: ['failed'], errorCodes: ['hashMismatch'] }));
      expect([nothing.status, nothing.body.message]).toEqual([
        409,
        `Cannot retry rollout ${id}: no device of it is failed with error code hashMismatch.`,
      ]);
      await expect(
        cli('retry', id, '--states', 'failed,timedOut', '--error-code', 'hashMismatch', '--error-code', 'rolledBack'),
      ).rejects.toMatchObject({
        stderr: expect.stringContaining('no device of it is failed or timedOut with error code hashMismatch or rolledBack'),
      });
      const bad = await refusal(api.retry(id, { states: ['succeeded'] } as never));
      expect([bad.status, bad.body.problems]).toEqual([400, [{ field: 'states[0]', message: expect.stringContaining('not retried') }]]);
      expect((await api.get(id)).attempt).toBe(1);

      // The faults removed: the flaky devices come back with working downloads (same identities, same state). Their
      // installs take 5 s, so attempt 2 is still running when the second retry comes.
      await flaky.stop();
      flaky = await flakyFleet(0, 5000);

      expect(await cli('retry', id)).toBe(`Retrying rollout ${id}: attempt 2, 3 devices (failed, timedOut).\n`);
      // While it runs, another retry is refused.
      const again = await refusal(api.retry(id));
      expect(again.status).toBe(409);
      expect(again.body.message).toMatch(
        new RegExp(`^Cannot retry rollout ${id}: (the rollout is running|its orchestration is still running)`),
      );

      const running = await eventually(
        async () => {
          const view = await api.get(id);
          expect(view).toMatchObject({ attempt: 2, state: 'running' });
          return view;
        },
        60_000,
        200,
      );
      expect(running.actions.retry).toMatch(/^the rollout is running/);

      const final: RolloutView = await eventually(
        async () => {
          const view = await api.get(id);
          expect(view.state).toBe('completed');
          expect(view.attempts[1]?.finishedAt).toEqual(expect.any(String));
          return view;
        },
        120_000,
        500,
      );
      // Each device's latest state; the attempts each count their own devices.
      expect(final.totals).toMatchObject({ targeted: 11, succeeded: 11, failed: 0, timedOut: 0, pending: 0, inProgress: 0 });
      expect(final.waves.map((wave) => [wave.name, wave.state, wave.targeted, wave.succeeded])).toEqual([
        ['canary', 'completed', 5, 5],
        ['rest', 'completed', 6, 6],
      ]);
      expect(final.attempt).toBe(2);
      expect(final.attempts.map(({ attempt, retried, totals }) => ({ attempt, retried, totals }))).toEqual([
        { attempt: 1, retried: null, totals: expect.objectContaining({ targeted: 11, succeeded: 8, failed: 3 }) },
        {
          attempt: 2,
          retried: { states: ['failed', 'timedOut'], errorCodes: null },
          totals: expect.objectContaining({ targeted: 3, succeeded: 3, failed: 0, pending: 0 }),
        },
      ]);
      expect(final.actions.retry).toBe('no device is failed or timedOut');

      // The flaky devices' timelines show both attempts: the failure, the reset for attempt 2, then the update.
      for (const deviceId of ['flaky-1', 'flaky-2', 'flaky-3']) {
        const device = await api.device(id, deviceId);
        expect([deviceId, device.state, device.attempt]).toEqual([deviceId, 'succeeded', 2]);
        const reset = device.timeline.findIndex((entry) => entry.attempt === 2);
        expect(device.timeline[reset]).toMatchObject({ state: 'pending', detail: 'attempt 2: retried (was failed: network)' });
        expect(device.timeline.slice(0, reset).some((entry) => entry.state === 'failed')).toBe(true);
        expect(device.timeline.slice(reset + 1).at(-1)).toMatchObject({ state: 'succeeded' });
        const twin = [...s.hub.registry.list()].find((record) => record.identity.deviceId === deviceId)!;
        expect((twin.twin.reported.properties as { firmware?: { currentFwVersion?: string } }).firmware?.currentFwVersion).toBe('2.0.0');
      }
      expect((await api.device(id, 'sim-1')).attempt).toBe(1);
      // Only the retried devices were called again.
      expect(Object.fromEntries([...calls.entries()].sort())).toEqual({
        'flaky-1': 2,
        'flaky-2': 2,
        'flaky-3': 2,
        ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`sim-${i + 1}`, 1])),
      });

      // The CLI: status shows the attempts; retry of a rollout with nothing failed is refused, saying why.
      const status = await cli('status', id);
      expect(status).toMatch(/attempt 2 of 2/);
      expect(status).toMatch(/2: retried failed, timedOut, .*; 3 devices: 3 succeeded/);
      await expect(cli('retry', id)).rejects.toMatchObject({ stderr: expect.stringContaining('no device of it is failed or timedOut') });
    } finally {
      await flaky?.stop();
      await s.close();
      rmSync(flakyState, { recursive: true, force: true });
    }
  });
});
