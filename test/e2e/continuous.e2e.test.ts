import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'azure-iothub';
import type { RolloutView } from '../../contracts/rolloutApi';
import { FleetSimulator } from '../../local/fleet/FleetSimulator';
import { RolloutApiClient } from '../../local/cli/rollouts/RolloutApiClient';
import { eventually } from '../support/hubFixture';
import { countUpdateStarts, demoRolloutSpec as spec, localStack as stack, moreDevices } from '../support/localStackFixture';

const run = promisify(execFile);
/** The built CLI (npm test builds first). */
const CLI = resolve(__dirname, '../../dist/local/cli/main.js');

describe('continuous rollout end to end on the local stack', () => {
  jest.setTimeout(300_000);

  test('after its waves it watches; a device registered later and one tagged later are updated at a rescan, no other is called again', async () => {
    // 10 devices: sim-01 canary, sim-02..04 early, sim-05..10 broad (the stack's rings).
    const s = await stack(10);
    const lateState = mkdtempSync(join(tmpdir(), 'fleetwave-late-'));
    let late: FleetSimulator | undefined;
    try {
      const calls = countUpdateStarts(s);
      const api = new RolloutApiClient(s.apiUrl);
      const { id } = await api.start(
        spec(s, {
          target: { query: "tags.ring = 'canary' OR tags.ring = 'early'" },
          waves: [
            { name: 'canary', percent: 25 },
            { name: 'rest', percent: 100 },
          ],
          mode: 'continuous',
          continuous: { rescanMinutes: 0.5 },
        }),
      );
      const watching = await eventually(
        async () => {
          const view = await api.get(id);
          expect(view).toMatchObject({ state: 'watching', phase: 'watching', mode: 'continuous' });
          return view;
        },
        120_000,
        500,
      );
      expect(watching.totals).toMatchObject({ targeted: 4, succeeded: 4 });
      expect(watching.waves.map((w) => [w.name, w.targeted])).toEqual([
        ['canary', 1],
        ['rest', 3],
        ['continuous', 0],
      ]);
      expect(watching.policy?.continuous).toEqual({ rescanMinutes: 0.5 });
      expect(watching.nextRescanAt).not.toBeNull();
      expect(watching.continuous).toMatchObject({ wave: 2, pickedUp: 0 });

      // A device registered now, with a real agent, tagged into the target; and an existing broad device tagged into it.
      late = await moreDevices(s, {
        count: 1,
        prefix: 'late-',
        tags: { fleet: 'demo', ring: 'canary' },
        seed: 'late',
        stateRoot: lateState,
      });
      await Registry.fromConnectionString(s.hub.serviceConnectionString).updateTwin('sim-10', { tags: { ring: 'early' } }, '*');

      const picked = await eventually(
        async () => {
          const view = await api.get(id);
          expect(view.continuous).toMatchObject({ pickedUp: 2 });
          expect(view.waves[2]).toMatchObject({ name: 'continuous', targeted: 2, succeeded: 2 });
          expect(view.state).toBe('watching');
          return view;
        },
        150_000,
        1000,
      );
      expect(picked.totals).toMatchObject({ targeted: 6, succeeded: 6, failed: 0 });
      for (const deviceId of ['late-1', 'sim-10']) {
        const twin = await Registry.fromConnectionString(s.hub.serviceConnectionString).getTwin(deviceId);
        const reported = twin.responseBody.properties.reported as { firmware?: { currentFwVersion?: string } };
        expect([deviceId, reported.firmware?.currentFwVersion]).toEqual([deviceId, '2.0.0']);
      }

      // Another rescan or two: the devices done (first in the waves, or picked up) are never called again; the others never.
      const rescans = picked.continuous!.rescans;
      await eventually(async () => expect((await api.get(id)).continuous!.rescans).toBeGreaterThanOrEqual(rescans + 2), 120_000, 1000);
      const called = Object.fromEntries([...calls.entries()].sort());
      expect(called).toEqual({ 'late-1': 1, 'sim-01': 1, 'sim-02': 1, 'sim-03': 1, 'sim-04': 1, 'sim-10': 1 });

      const cli = (...args: string[]) => run(process.execPath, [CLI, 'rollout', ...args, '--api', s.apiUrl]).then((r) => r.stdout);
      expect(await cli('status', id)).toMatch(/continuous: rescans the target every 0\.5 min until canceled; 2 picked up/);

      await api.act(id, 'cancel');
      const final = await eventually(
        async () => {
          const view: RolloutView = await api.get(id);
          expect(view.state).toBe('completed');
          return view;
        },
        60_000,
        500,
      );
      expect(final.totals).toMatchObject({ targeted: 6, succeeded: 6 });
      expect(final.continuous).toMatchObject({ pickedUp: 2 });
    } finally {
      await late?.stop();
      await s.close();
      rmSync(lateState, { recursive: true, force: true });
    }
  });
});
