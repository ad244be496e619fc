jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { InvokeOutcome } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { ReadDeviceTwinResult } from '../../../functions/src/activities/readDeviceTwin';
import { DEVICE_STEPS_PER_EPISODE, deviceOrchestrator, retryDelaySeconds } from '../../../functions/src/orchestrators/device';
import type { DeviceInput, DeviceResult } from '../../../functions/src/orchestrators/device';
import { EVENT } from '../../../functions/src/orchestrators/names';
import { initialControlState, startTracking } from '../../../functions/src/rollout';
import type { DeviceRow, DeviceTracking, RolloutControlState } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS, deviceReport, twinEvent } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';

function device(overrides: Partial<DeviceInput> = {}): OrchestrationHarness {
  const input: DeviceInput = { rolloutId: 'r1', deviceId: 'thermo#7', wave: 0, shardCount: 4, firmware: FIRMWARE, timeouts: TIMEOUTS, ...overrides };
  return new OrchestrationHarness(deviceOrchestrator, { instanceId: 'r1:d:thermo~7', input, parentInstanceId: 'r1:w0:b0' });
}

const tracking = (h: OrchestrationHarness): DeviceTracking => h.customStatus as DeviceTracking;
const rows = (h: OrchestrationHarness): DeviceRow[] => h.signals('update', 'deviceShard').map((signal) => (signal.input as { row: DeviceRow }).row);

/** The invokeFirmwareUpdate activity's result for this device alone. */
const answer = (outcome: InvokeOutcome) => [{ deviceId: 'thermo#7', outcome }];

/** Starts the device and answers the method call. */
async function invoked(h: OrchestrationHarness, outcome: InvokeOutcome): Promise<void> {
  await h.step();
  const call = h.only('activity', 'invokeFirmwareUpdate');
  h.completeActivity(call, answer(outcome));
  await h.step();
}

async function report(h: OrchestrationHarness, ...events: ReturnType<typeof twinEvent>[]): Promise<void> {
  for (const event of events) h.raiseEvent(EVENT.twinReport, event);
  await h.step();
}

describe('device orchestration', () => {
  test('invokes firmwareUpdate with the rollout request and the method timeout', async () => {
    const h = device();
    await h.step();
    const call = h.only('activity', 'invokeFirmwareUpdate');
    expect(call.input).toEqual({
      deviceIds: ['thermo#7'],
      request: { rolloutId: 'r1', fwVersion: '2.1.0', fwPackageUri: FIRMWARE.uri, sha256: FIRMWARE.sha256, size: FIRMWARE.size },
      responseTimeoutInSeconds: 30,
    });
    expect(tracking(h)).toMatchObject({ deviceId: 'thermo#7', state: 'pending', phase: 'accept' });
  });

  test('follows the twin through every status to succeeded, with a timeline and shard rows', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    expect(tracking(h)).toMatchObject({ state: 'inProgress', phase: 'accept' });
    // The accept deadline is methodSeconds after the accept.
    expect(h.only('timer').fireAt).toBe('2025-01-01T00:00:30.000Z');

    await report(h, twinEvent(2, 'waiting'));
    expect(tracking(h)).toMatchObject({ status: 'waiting', phase: 'download' });
    expect(h.open('timer').map((timer) => timer.fireAt)).toContain('2025-01-01T00:30:00.000Z');
    await report(h, twinEvent(3, 'downloading', { extra: { progress: 0 } }));
    await report(h, twinEvent(4, 'downloadComplete'));
    expect(tracking(h).phase).toBe('apply');
    await report(h, twinEvent(5, 'applying'));
    await report(h, twinEvent(6, 'applyComplete', { currentFwVersion: '2.1.0' }));

    expect(h.isDone).toBe(true);
    expect(h.output).toEqual({ deviceId: 'thermo#7', state: 'succeeded', error: null } satisfies DeviceResult);
    const final = tracking(h);
    expect(final.state).toBe('succeeded');
    expect(final.timeline.map((entry) => entry.status ?? entry.state)).toEqual(['pending', 'inProgress', 'waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    expect(final.timeline[final.timeline.length - 1]).toMatchObject({ twinVersion: 6, deviceTime: '2025-01-01T00:00:05.000Z', detail: 'applied; running 2.1.0' });
    // One row update per change of state or status, to the device's shard.
    expect(rows(h).map((row) => row.status ?? row.state)).toEqual(['inProgress', 'waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
    expect(rows(h)[rows(h).length - 1]).toMatchObject({ deviceId: 'thermo#7', wave: 0, state: 'succeeded' });
    expect(new Set(h.signals('update').map((signal) => signal.instanceId)).size).toBe(1);
    expect(h.signals('update')[0].instanceId).toMatch(/^@deviceshard@r1:s[0-3]$/);
  });

  test('duplicate and out-of-order events are ordered by twin $version', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    // Delivered in one batch: v4, then the older v3, then v4 again, then v2.
    await report(h, twinEvent(4, 'downloadComplete'), twinEvent(3, 'downloading'), twinEvent(4, 'downloadComplete'), twinEvent(2, 'waiting'));
    expect(tracking(h)).toMatchObject({ status: 'downloadComplete', twinVersion: 4, phase: 'apply' });
    // v4 is applied as it arrives; v3 and v2 are older than what the device already said, and the
    // second v4 is a duplicate: all three are dropped.
    expect(tracking(h).timeline.filter((entry) => entry.twinVersion !== undefined).map((entry) => entry.twinVersion)).toEqual([4]);
    // A stale one arriving later changes nothing.
    await report(h, twinEvent(3, 'downloading'));
    expect(tracking(h)).toMatchObject({ status: 'downloadComplete', twinVersion: 4 });
    await report(h, twinEvent(7, 'applyComplete', { currentFwVersion: '2.1.0' }), twinEvent(7, 'applyComplete', { currentFwVersion: '2.1.0' }));
    expect(h.output).toMatchObject({ state: 'succeeded' });
  });

  test("a batch's reports in one event: every status is on the timeline, the shard gets one update", async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    const updatesBefore = h.signals('update').length;
    const statuses = ['waiting', 'downloading', 'downloadComplete', 'applying'] as const;
    const reports = [...statuses.map((status, i) => twinEvent(i + 2, status)), twinEvent(6, 'applyComplete', { currentFwVersion: '2.1.0' })];
    h.raiseEvent(EVENT.twinReport, { reports: [...reports].reverse() }); // out of order: applied by $version
    await h.step();
    expect(h.output).toMatchObject({ state: 'succeeded' });
    expect(tracking(h).timeline.map((entry) => entry.status).filter(Boolean)).toEqual([...statuses, 'applyComplete']);
    expect(h.signals('update').slice(updatesBefore).map((signal) => (signal.input as { row: { state: string } }).row.state)).toEqual(['succeeded']);
  });

  test('a bad report in a grouped event is named and skipped, the others applied', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    h.raiseEvent(EVENT.twinReport, { reports: [twinEvent(2, 'waiting'), { twinVersion: -1 }, twinEvent(3, 'downloading')] });
    await h.step();
    expect(tracking(h)).toMatchObject({ status: 'downloading', twinVersion: 3 });
    expect(h.logs.some((line) => line.startsWith('device.badEvent') && line.includes('reports[1]'))).toBe(true);
  });

  test('a report that overtook the method answer is applied after the accept', async () => {
    const h = device();
    await h.step();
    h.raiseEvent(EVENT.twinReport, twinEvent(2, 'waiting'));
    h.completeActivity(h.only('activity', 'invokeFirmwareUpdate'), answer({ kind: 'accepted' }));
    await h.step();
    expect(tracking(h)).toMatchObject({ state: 'inProgress', status: 'waiting', phase: 'download' });
  });

  test('reports of another rollout or version, and malformed ones, are ignored', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    await report(h, twinEvent(2, 'applyComplete', { currentFwVersion: '2.1.0', rolloutId: 'other' }));
    h.raiseEvent(EVENT.twinReport, { twinVersion: 'x', firmwareUpdate: {} });
    h.raiseEvent(EVENT.twinReport, { twinVersion: 3, firmwareUpdate: deviceReport('applyComplete', { fwVersion: '9.9.9' }) });
    await h.step();
    expect(tracking(h)).toMatchObject({ state: 'inProgress', status: null, twinVersion: null });
    expect(h.logs.some((line) => line.startsWith('device.badEvent'))).toBe(true);
  });

  test('downloadFailed fails the device with the device error code', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    await report(h, twinEvent(2, 'waiting'), twinEvent(3, 'downloadFailed', { extra: { error: { code: 'hashMismatch', message: 'sha256 differs' } } }));
    expect(h.output).toEqual({ deviceId: 'thermo#7', state: 'failed', error: { code: 'hashMismatch', message: 'sha256 differs' } });
  });

  test('applyComplete on another version is a versionMismatch failure', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    await report(h, twinEvent(2, 'applyComplete', { currentFwVersion: '1.0.0' }));
    expect(h.output).toMatchObject({ state: 'failed', error: { code: 'versionMismatch' } });
  });

  describe('phase deadlines', () => {
    test('no report within the accept phase: one last twin read, then timedOut', async () => {
      const h = device();
      await invoked(h, { kind: 'accepted' });
      h.fireTimer(h.only('timer'));
      await h.step();
      const read = h.only('activity', 'readDeviceTwin');
      expect(read.input).toEqual({ deviceId: 'thermo#7', rolloutId: 'r1' });
      h.completeActivity(read, { found: true, report: { twinVersion: 1 } } satisfies ReadDeviceTwinResult);
      await h.step();
      expect(h.output).toEqual({
        deviceId: 'thermo#7',
        state: 'timedOut',
        error: { code: 'acceptTimeout', message: 'the accept deadline passed (no report from the device)' },
      });
      expect(tracking(h).timeline[tracking(h).timeline.length - 1]).toMatchObject({ state: 'timedOut', time: '2025-01-01T00:00:30.000Z' });
    });

    test('the download deadline runs from the first report, the apply deadline from downloadComplete', async () => {
      const h = device();
      await invoked(h, { kind: 'accepted' });
      h.advance(10_000);
      await report(h, twinEvent(2, 'waiting'));
      const downloadTimer = h.open('timer').find((timer) => timer.fireAt === '2025-01-01T00:30:10.000Z');
      expect(downloadTimer).toBeDefined();
      h.advance(60_000);
      await report(h, twinEvent(3, 'downloadComplete'));
      expect(h.open('timer').map((timer) => timer.fireAt)).toContain('2025-01-01T00:16:10.000Z');
      // The apply deadline passes; the last read shows the device still applying.
      const applyTimer = h.open('timer').find((timer) => timer.fireAt === '2025-01-01T00:16:10.000Z')!;
      h.fireTimer(applyTimer);
      await h.step();
      h.completeActivity(h.only('activity', 'readDeviceTwin'), { found: true, report: { twinVersion: 4, firmwareUpdate: deviceReport('applying') } });
      await h.step();
      expect(h.output).toMatchObject({ state: 'timedOut', error: { code: 'applyTimeout', message: 'the apply deadline passed (last status applying)' } });
    });

    test('the last twin read finds the success a lost event would have told', async () => {
      const h = device();
      await invoked(h, { kind: 'accepted' });
      await report(h, twinEvent(2, 'waiting'));
      const timer = h.open('timer').find((t) => t.fireAt === '2025-01-01T00:30:00.000Z')!;
      h.fireTimer(timer);
      await h.step();
      h.completeActivity(h.only('activity', 'readDeviceTwin'), {
        found: true,
        report: { twinVersion: 9, firmwareUpdate: deviceReport('applyComplete'), currentFwVersion: '2.1.0' },
      });
      await h.step();
      expect(h.output).toEqual({ deviceId: 'thermo#7', state: 'succeeded', error: null });
    });

    test('progress seen by the last read starts the next phase instead of timing out', async () => {
      const h = device();
      await invoked(h, { kind: 'accepted' });
      await report(h, twinEvent(2, 'waiting'));
      h.fireTimer(h.open('timer').find((t) => t.fireAt === '2025-01-01T00:30:00.000Z')!);
      await h.step();
      h.completeActivity(h.only('activity', 'readDeviceTwin'), { found: true, report: { twinVersion: 5, firmwareUpdate: deviceReport('downloadComplete') } });
      await h.step();
      expect(h.isDone).toBe(false);
      expect(tracking(h)).toMatchObject({ state: 'inProgress', phase: 'apply', phaseStartedAt: '2025-01-01T00:30:00.000Z' });
      expect(h.open('timer').map((t) => t.fireAt)).toContain('2025-01-01T00:45:00.000Z');
    });

    test('a failed last read still times the device out', async () => {
      const h = device();
      await invoked(h, { kind: 'accepted' });
      h.fireTimer(h.only('timer'));
      await h.step();
      h.failActivity(h.only('activity', 'readDeviceTwin'), 'hub unavailable');
      await h.step();
      expect(h.output).toMatchObject({ state: 'timedOut' });
    });
  });

  describe("the batch's first call", () => {
    test('accepted: the device follows its twin at once, calling nothing itself', async () => {
      const h = device({ firstOutcome: { kind: 'accepted' } });
      await h.step();
      expect(h.open('activity')).toHaveLength(0);
      expect(tracking(h)).toMatchObject({ state: 'inProgress', phase: 'accept' });
      expect(h.only('timer').fireAt).toBe('2025-01-01T00:00:30.000Z');
      await report(h, twinEvent(2, 'applyComplete', { currentFwVersion: '2.1.0' }));
      expect(h.output).toEqual({ deviceId: 'thermo#7', state: 'succeeded', error: null } satisfies DeviceResult);
    });

    test('offline: the retries are the device\'s own, after the backoff and a look at the control entity', async () => {
      const h = device({ firstOutcome: { kind: 'offline', message: 'not connected' } });
      await h.step();
      expect(h.open('activity')).toHaveLength(0);
      const timer = h.only('timer');
      expect((Date.parse(timer.fireAt!) - h.now.getTime()) / 1000).toBe(retryDelaySeconds(1));
      h.fireTimer(timer);
      await h.step();
      h.respondEntity(h.only('callEntity', 'get'), initialControlState());
      await h.step();
      expect(h.only('activity', 'invokeFirmwareUpdate').input).toMatchObject({ deviceIds: ['thermo#7'] });
    });

    test('not taken after a continue-as-new: the carried stage decides, not the first answer', async () => {
      const h = device({ firstOutcome: { kind: 'accepted' }, carry: { tracking: startTracking('thermo#7', '2025-01-01T00:00:00.000Z'), stage: 'invoke', invokeStartedAt: '2025-01-01T00:00:00.000Z', attempts: 3, episode: 1 } });
      await h.step();
      h.respondEntity(h.only('callEntity', 'get'), initialControlState());
      await h.step();
      expect(h.open('activity', 'invokeFirmwareUpdate')).toHaveLength(1);
    });
  });

  describe('the method call', () => {
    test('offline: retried with backoff until offlineRetryMinutes, then timedOut', async () => {
      const h = device({ timeouts: { ...TIMEOUTS, offlineRetryMinutes: 1 } });
      await h.step();
      const delays: number[] = [];
      for (let attempt = 1; ; attempt += 1) {
        const call = h.only('activity', 'invokeFirmwareUpdate');
        h.completeActivity(call, answer({ kind: 'offline', message: 'HTTP 404, IoT Hub error 404103' }));
        await h.step();
        if (h.isDone) break;
        const timer = h.only('timer');
        delays.push((Date.parse(timer.fireAt!) - h.now.getTime()) / 1000);
        h.fireTimer(timer);
        await h.step();
        // Before each retry the control entity is asked whether the rollout was canceled.
        h.respondEntity(h.only('callEntity', 'get'), initialControlState());
        await h.step();
      }
      expect(delays).toEqual([15, 30]);
      expect(h.output).toMatchObject({ state: 'timedOut', error: { code: 'offline' } });
      expect((h.output as DeviceResult).error!.message).toMatch(/gave up after 3 attempts over 1 minutes/);
      // One timeline note for the whole offline streak.
      expect(tracking(h).timeline.filter((entry) => /offline/.test(entry.detail))).toHaveLength(2);
    });

    test('offline, then online: accepted on a retry', async () => {
      const h = device();
      await invoked(h, { kind: 'offline', message: 'not connected' });
      h.fireTimer(h.only('timer'));
      await h.step();
      h.respondEntity(h.only('callEntity', 'get'), initialControlState());
      await h.step();
      h.completeActivity(h.only('activity', 'invokeFirmwareUpdate'), answer({ kind: 'accepted' }));
      await h.step();
      expect(tracking(h)).toMatchObject({ state: 'inProgress' });
      expect(tracking(h).timeline.map((entry) => entry.detail)).toEqual(['planned', 'the device is offline; trying again with backoff', 'accepted the firmwareUpdate method']);
    });

    test('busy (409): tried again later', async () => {
      const h = device();
      await invoked(h, { kind: 'busy', rolloutId: 'r0', message: 'Update r0 is downloading.' });
      expect(tracking(h).timeline[1].detail).toBe('the device is busy (Update r0 is downloading.); trying again with backoff');
      h.fireTimer(h.only('timer'));
      await h.step();
      h.respondEntity(h.only('callEntity', 'get'), initialControlState());
      await h.step();
      expect(h.open('activity', 'invokeFirmwareUpdate')).toHaveLength(1);
    });

    test('a canceled rollout cancels a device that has not taken the update', async () => {
      const h = device();
      await invoked(h, { kind: 'offline', message: 'not connected' });
      h.fireTimer(h.only('timer'));
      await h.step();
      h.respondEntity(h.only('callEntity', 'get'), { ...initialControlState(), command: 'cancel' } satisfies RolloutControlState);
      await h.step();
      expect(h.output).toEqual({ deviceId: 'thermo#7', state: 'canceled', error: null });
      expect(h.open('activity')).toHaveLength(0);
    });

    test('400: failed at once, naming the field', async () => {
      const h = device();
      await invoked(h, { kind: 'invalid', field: 'fwPackageUri', message: 'fwPackageUri must be https' });
      expect(h.output).toEqual({ deviceId: 'thermo#7', state: 'failed', error: { code: 'invalidRequest', message: 'fwPackageUri: fwPackageUri must be https' } });
    });

    test('an unknown device fails; a device already on the version is skipped', async () => {
      const unknown = device();
      await invoked(unknown, { kind: 'error', code: 'deviceNotFound', message: 'HTTP 404, IoT Hub error 404001', retryable: false });
      expect(unknown.output).toMatchObject({ state: 'failed', error: { code: 'deviceNotFound' } });
      const current = device();
      await invoked(current, { kind: 'alreadyInstalled', fwVersion: '2.1.0' });
      expect(current.output).toEqual({ deviceId: 'thermo#7', state: 'skipped', error: null });
    });

    test('a device already working on this rollout is caught up from its twin', async () => {
      const h = device();
      await invoked(h, { kind: 'current', state: deviceReport('downloading') });
      const read = h.only('activity', 'readDeviceTwin');
      h.completeActivity(read, { found: true, report: { twinVersion: 12, firmwareUpdate: deviceReport('downloadComplete') } } satisfies ReadDeviceTwinResult);
      await h.step();
      expect(tracking(h)).toMatchObject({ state: 'inProgress', status: 'downloadComplete', twinVersion: 12 });
      await report(h, twinEvent(11, 'downloading'));
      expect(tracking(h).status).toBe('downloadComplete');
    });

    test('the retry delays double from 15 s up to 10 minutes', () => {
      expect([1, 2, 3, 4, 5, 6, 7, 12].map(retryDelaySeconds)).toEqual([15, 30, 60, 120, 240, 480, 600, 600]);
    });
  });

  test('a chatty device continues as new, carrying its tracking, and catches up from the twin', async () => {
    const h = device();
    await invoked(h, { kind: 'accepted' });
    let version = 2;
    await report(h, twinEvent(version++, 'waiting'));
    while (h.continuedWith === undefined) {
      await report(h, twinEvent(version++, 'downloading', { extra: { progress: (version * 10) % 100 } }));
      expect(h.historyLength).toBeLessThan(4 * DEVICE_STEPS_PER_EPISODE + 20);
    }
    const carried = h.continuedWith as DeviceInput;
    expect(carried.carry).toMatchObject({ stage: 'follow', episode: 1 });
    expect(carried.carry!.tracking.twinVersion).toBe(version - 1);
    h.nextExecution();
    await h.step();
    // The first thing the new execution does is read the twin: an event during the switch is not carried over.
    h.completeActivity(h.only('activity', 'readDeviceTwin'), { found: true, report: { twinVersion: version + 5, firmwareUpdate: deviceReport('applyComplete'), currentFwVersion: '2.1.0' } });
    await h.step();
    expect(h.output).toMatchObject({ state: 'succeeded' });
    expect(tracking(h).timeline[0].detail).toBe('planned');
  });
});
