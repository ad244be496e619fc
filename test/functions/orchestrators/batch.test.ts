jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { DeviceInvokeOutcome, InvokeFirmwareUpdateInput } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { DeviceTwinRead, ReadDeviceTwinsInput } from '../../../functions/src/activities/readDeviceTwins';
import {
  BATCH_STEPS_PER_EPISODE,
  CALL_GRACE_SECONDS,
  CONTROL_CHECK_SECONDS,
  PUBLISH_INTERVAL_SECONDS,
  QUIET_PUBLISH_SECONDS,
  batchOrchestrator,
} from '../../../functions/src/orchestrators/batch';
import type { BatchInput, BatchResult } from '../../../functions/src/orchestrators/batch';
import { EVENT } from '../../../functions/src/orchestrators/contracts';
import type { TwinReportEvent, TwinReportsEvent } from '../../../functions/src/orchestrators/contracts';
import {
  RESYNC_GRACE_SECONDS,
  TWIN_READ_RETRY_SECONDS,
  initialControlState,
  shardCountFor,
  shardOf,
  totalsOf,
} from '../../../functions/src/rollout';
import type {
  BudgetGrant,
  BudgetRequest,
  DeviceUpdate,
  InvokeOutcome,
  RolloutControlState,
  TimelineEntry,
} from '../../../functions/src/rollout';
import type { FirmwareUpdateError, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { FIRMWARE, TIMEOUTS, deviceReport, twinEvent } from '../support/fixtures';
import { EventType } from '../../../local/host/durable/protocol/historyEvents';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const ID = 'r1:w1:b7';
const START = Date.parse('2025-01-01T00:00:00Z');
const INPUT: BatchInput = {
  rolloutId: 'r1',
  wave: 1,
  batch: 7,
  deviceIds: ['a', 'b#1', 'c'],
  slots: 10,
  baseline: totalsOf(),
  failureThreshold: { percent: 100, minDevices: 1, action: 'pause' },
  shardCount: 4,
  firmware: FIRMWARE,
  timeouts: TIMEOUTS,
};
const RUN: RolloutControlState = initialControlState();
const ACCEPTED: InvokeOutcome = { kind: 'accepted' };
const OFFLINE: InvokeOutcome = { kind: 'offline', message: 'HTTP 404, IoT Hub error 404103' };
const SUCCESS = { currentFwVersion: FIRMWARE.version };

function batch(overrides: Partial<BatchInput> = {}): OrchestrationHarness {
  return new OrchestrationHarness(batchOrchestrator, { instanceId: ID, input: { ...INPUT, ...overrides }, parentInstanceId: 'r1:w1' });
}

const at = (seconds: number): string => new Date(START + seconds * 1000).toISOString();

/** Answers the open invokeFirmwareUpdate call, accepted unless `outcomes` says otherwise; returns the devices it called. */
async function answer(h: OrchestrationHarness, outcomes: Record<string, InvokeOutcome> = {}): Promise<string[]> {
  const call = h.only('activity', 'invokeFirmwareUpdate');
  const { deviceIds } = call.input as InvokeFirmwareUpdateInput;
  const answers: DeviceInvokeOutcome[] = deviceIds.map((deviceId) => ({ deviceId, outcome: outcomes[deviceId] ?? ACCEPTED }));
  h.completeActivity(call, answers);
  await h.step();
  return deviceIds;
}

/** Starts the batch and answers its first method call. */
async function started(h: OrchestrationHarness, outcomes: Record<string, InvokeOutcome> = {}): Promise<string[]> {
  await h.step();
  return answer(h, outcomes);
}

/** The devices the open invokeFirmwareUpdate call is for. */
const invoked = (h: OrchestrationHarness): string[] =>
  (h.only('activity', 'invokeFirmwareUpdate').input as InvokeFirmwareUpdateInput).deviceIds;

/** A device's report as the twin-change handler puts it in a twinReport event. */
function report(deviceId: string, twinVersion: number, status: FirmwareUpdateStatus, options: TwinEventOptions = {}): TwinReportEvent {
  return twinEvent(twinVersion, status, { ...options, deviceId });
}
type TwinEventOptions = Parameters<typeof twinEvent>[2];
const failedWith = (code: FirmwareUpdateError['code'], message: string): TwinEventOptions => ({ extra: { error: { code, message } } });

/** A twin read finding the device's report of `status` at `twinVersion`. */
function twinShows(deviceId: string, twinVersion: number, status: FirmwareUpdateStatus, currentFwVersion?: string): DeviceTwinRead {
  const report = { twinVersion, firmwareUpdate: deviceReport(status), ...(currentFwVersion === undefined ? {} : { currentFwVersion }) };
  return { deviceId, read: { found: true, report } };
}

/** One twinReport event (one Event Hub batch's share for this tracker), then the episode it wakes. */
async function deliver(h: OrchestrationHarness, ...reports: TwinReportEvent[]): Promise<void> {
  h.raiseEvent(EVENT.twinReport, { reports } satisfies TwinReportsEvent);
  await h.step();
}

async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

/** Every device update the tracker sent to the shards, in order; those of one device if given. */
const updates = (h: OrchestrationHarness, deviceId?: string): DeviceUpdate[] =>
  h
    .signals('update', 'deviceShard')
    .flatMap((signal) => (signal.input as { updates: DeviceUpdate[] }).updates)
    .filter((update) => deviceId === undefined || update.deviceId === deviceId);
const latest = (h: OrchestrationHarness, deviceId: string): DeviceUpdate => updates(h, deviceId).at(-1)!;
/** The device's timeline as its shard assembles it from the updates. */
const timeline = (h: OrchestrationHarness, deviceId: string): TimelineEntry[] => updates(h, deviceId).flatMap((update) => update.timeline);
const shardKey = (deviceId: string, shardCount = INPUT.shardCount): string => `@deviceshard@r1:s${shardOf(deviceId, shardCount)}`;
/** The timer of the wait the batch is in: the newest (earlier waits' timers stay scheduled until they fire). */
const waitTimer = (h: OrchestrationHarness): Scheduled => h.open('timer').at(-1)!;
const logged = (h: OrchestrationHarness, event: string): string[] => h.logs.filter((line) => line.startsWith(`${event} `));
const inProgress = (h: OrchestrationHarness): number => (h.customStatus as { inProgress: number }).inProgress;
/** The devices of these update ops, sorted. */
const idsIn = (ops: Scheduled[]): string[] =>
  ops.flatMap((op) => (op.input as { updates: DeviceUpdate[] }).updates.map((update) => update.deviceId)).sort();
/** How timeline entries or updates read: the device's status, or the state before it reported. */
const labels = (items: { status?: FirmwareUpdateStatus | null; state: string }[]): string[] =>
  items.map((item) => item.status ?? item.state);
const STATUSES: FirmwareUpdateStatus[] = ['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete'];

describe('batch orchestration: the tracker of its devices', () => {
  test('calls the method on all the devices it starts with one activity, naming itself as their tracker', async () => {
    const h = batch({ timeouts: { ...TIMEOUTS, methodSeconds: 45 } });
    await h.step();
    expect(h.only('activity', 'invokeFirmwareUpdate').input).toEqual({
      deviceIds: ['a', 'b#1', 'c'],
      request: {
        rolloutId: 'r1',
        fwVersion: FIRMWARE.version,
        fwPackageUri: FIRMWARE.uri,
        sha256: FIRMWARE.sha256,
        size: FIRMWARE.size,
        tracker: ID,
      },
      responseTimeoutInSeconds: 45,
    } satisfies InvokeFirmwareUpdateInput);
    expect(h.signals()).toHaveLength(0);

    await answer(h);
    expect(h.customStatus).toMatchObject({ rolloutId: 'r1', wave: 1, batch: 7, devices: 3, started: 3, inProgress: 3, stopReason: null });
    // The answers go to the shards at once; the accept deadline is methodSeconds after the answer.
    expect(updates(h).map((u) => [u.deviceId, u.state, u.phase, u.wave])).toEqual(
      expect.arrayContaining([
        ['a', 'inProgress', 'accept', 1],
        ['b#1', 'inProgress', 'accept', 1],
        ['c', 'inProgress', 'accept', 1],
      ]),
    );
    expect(updates(h)).toHaveLength(3);
    // The wait the call was scheduled in had its timer at the call's bound (methodSeconds + CALL_GRACE_SECONDS).
    expect(h.open('timer').map((timer) => timer.fireAt)).toEqual([at(45 + CALL_GRACE_SECONDS), at(45)]);
  });

  test('follows a device through every status to succeeded; its timeline reaches its shard through update ops', async () => {
    const h = batch({ deviceIds: ['thermo#7'] });
    await started(h);
    expect(latest(h, 'thermo#7')).toMatchObject({ state: 'inProgress', status: null, phase: 'accept' });
    expect(waitTimer(h).fireAt).toBe(at(TIMEOUTS.methodSeconds));

    for (const [i, status] of STATUSES.entries()) {
      h.advance(PUBLISH_INTERVAL_SECONDS * 1000);
      await deliver(h, report('thermo#7', i + 2, status, status === 'applyComplete' ? SUCCESS : {}));
      if (status === 'waiting') {
        expect(latest(h, 'thermo#7')).toMatchObject({ status: 'waiting', phase: 'download' });
        // The download deadline runs from the first report.
        expect(waitTimer(h).fireAt).toBe(at(1 + TIMEOUTS.downloadMinutes * 60));
      }
      if (status === 'downloadComplete') {
        expect(latest(h, 'thermo#7').phase).toBe('apply');
        expect(waitTimer(h).fireAt).toBe(at(3 + TIMEOUTS.applyMinutes * 60));
      }
    }

    expect(h.isDone).toBe(true);
    expect(h.output).toEqual({ totals: totalsOf({ succeeded: 1 }), remaining: [], stop: null } satisfies BatchResult);
    // Each entry reaches the shard once: the tracker keeps only what it has not published.
    const entries = timeline(h, 'thermo#7');
    expect(labels(entries)).toEqual(['pending', 'inProgress', ...STATUSES]);
    expect(entries.at(-1)).toMatchObject({ twinVersion: 6, deviceTime: '2025-01-01T00:00:05.000Z', detail: 'applied; running 2.1.0' });
    expect(labels(updates(h, 'thermo#7'))).toEqual(['inProgress', ...STATUSES]);
    expect(latest(h, 'thermo#7')).toMatchObject({ wave: 1, state: 'succeeded', currentFwVersion: '2.1.0', error: null });
    expect(new Set(h.signals('update').map((signal) => signal.instanceId))).toEqual(new Set([shardKey('thermo#7')]));
  });

  test('duplicate and out-of-order reports are ordered by twin $version', async () => {
    const h = batch({ deviceIds: ['a'] });
    await started(h);
    h.advance(1000);
    // Separate events, one after the other: v4, then the older v3, v4 again and v2 are stale or duplicates.
    for (const [version, status] of [
      [4, 'downloadComplete'],
      [3, 'downloading'],
      [4, 'downloadComplete'],
      [2, 'waiting'],
    ] as const) {
      h.raiseEvent(EVENT.twinReport, { reports: [report('a', version, status)] } satisfies TwinReportsEvent);
    }
    await h.step();
    h.advance(1000);
    await deliver(h, report('a', 3, 'downloading'));
    expect(latest(h, 'a')).toMatchObject({ status: 'downloadComplete', twinVersion: 4, phase: 'apply' });
    expect(timeline(h, 'a').flatMap((entry) => entry.twinVersion ?? [])).toEqual([4]);

    // In one event, a device's reports are applied in $version order, whatever the order they came in.
    const grouped = batch({ deviceIds: ['a'] });
    await started(grouped);
    grouped.advance(1000);
    await deliver(
      grouped,
      report('a', 4, 'downloadComplete'),
      report('a', 3, 'downloading'),
      report('a', 4, 'downloadComplete'),
      report('a', 2, 'waiting'),
    );
    await deliver(grouped, report('a', 7, 'applyComplete', SUCCESS), report('a', 7, 'applyComplete', SUCCESS));
    expect(grouped.output).toMatchObject({ totals: totalsOf({ succeeded: 1 }) });
    expect(timeline(grouped, 'a').flatMap((entry) => entry.twinVersion ?? [])).toEqual([2, 3, 4, 7]);
  });

  test("several devices' reports in one event: each device's applied, one update op per shard touched", async () => {
    const h = batch();
    await started(h);
    const before = h.signals('update').length;
    h.advance(1000);
    await deliver(
      h,
      report('a', 6, 'applyComplete', SUCCESS),
      report('b#1', 3, 'downloading'),
      report('a', 5, 'applying'),
      report('a', 4, 'downloadComplete'),
      report('b#1', 2, 'waiting'),
      report('a', 3, 'downloading'),
      report('a', 2, 'waiting'),
    );
    expect(latest(h, 'a').state).toBe('succeeded');
    expect(timeline(h, 'a').flatMap((entry) => entry.status ?? [])).toEqual(STATUSES);
    expect(latest(h, 'b#1')).toMatchObject({ state: 'inProgress', status: 'downloading', twinVersion: 3 });
    const published = h.signals('update').slice(before);
    expect(published.map((signal) => signal.instanceId).sort()).toEqual([...new Set([shardKey('a'), shardKey('b#1')])].sort());
    expect(idsIn(published)).toEqual(['a', 'b#1']);
    expect(h.customStatus).toMatchObject({ inProgress: 2, totals: totalsOf({ succeeded: 1 }) });
  });

  test('a bad report in a grouped event is named and skipped; the others are applied', async () => {
    const h = batch();
    await started(h);
    h.advance(1000);
    const reports = [report('a', 2, 'waiting'), { deviceId: 'b#1', twinVersion: -1 }, { twinVersion: 5 }, report('a', 3, 'downloading')];
    h.raiseEvent(EVENT.twinReport, { reports });
    await h.step();
    expect(latest(h, 'a')).toMatchObject({ status: 'downloading', twinVersion: 3 });
    expect(latest(h, 'b#1').status).toBeNull();
    const problems = logged(h, 'batch.badEvent').join('\n');
    expect(problems).toContain('reports[1]: twinVersion must be a non-negative integer');
    expect(problems).toContain('reports[2]: deviceId must be a device id');
  });

  test('a report that overtook the method answer: the device is followed from the report, the answer adds nothing', async () => {
    const h = batch({ deviceIds: ['a'] });
    await h.step();
    h.raiseEvent(EVENT.twinReport, { reports: [report('a', 2, 'waiting')] } satisfies TwinReportsEvent);
    h.completeActivity(h.only('activity', 'invokeFirmwareUpdate'), [{ deviceId: 'a', outcome: ACCEPTED }]);
    await h.step();
    expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', status: 'waiting', phase: 'download' });
    expect(timeline(h, 'a').map((entry) => entry.detail)).toEqual(['planned', 'waiting to download']);
    await deliver(h, report('a', 3, 'downloading'));
    expect(h.open('activity')).toHaveLength(0);
  });

  test('a report that comes while a retry waits: the device is followed, not called again', async () => {
    const h = batch({ deviceIds: ['a'] });
    await started(h, { a: OFFLINE });
    h.advance(5000);
    await deliver(h, report('a', 2, 'waiting'));
    expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', status: 'waiting', phase: 'download' });
    // No retry is due any more: the next wake-up is the download deadline.
    expect(waitTimer(h).fireAt).toBe(at(5 + TIMEOUTS.downloadMinutes * 60));
    expect(h.open('activity')).toHaveLength(0);
  });

  test('reports of another rollout or version, of devices it does not track, and malformed ones are ignored', async () => {
    const h = batch({ deviceIds: ['a'] });
    await started(h);
    const published = h.signals('update').length;
    h.advance(1000);
    await deliver(h, report('a', 2, 'applyComplete', { ...SUCCESS, rolloutId: 'other' }));
    h.raiseEvent(EVENT.twinReport, { twinVersion: 'x', firmwareUpdate: {} });
    await h.step();
    await deliver(
      h,
      report('a', 3, 'applyComplete', { currentFwVersion: '9.9.9', extra: { fwVersion: '9.9.9' } }),
      report('stranger', 4, 'applyComplete', SUCCESS),
    );
    expect(h.signals('update')).toHaveLength(published);
    expect(logged(h, 'batch.badEvent').join('\n')).toContain('the event must be {reports: [...]}');
    expect(h.customStatus).toMatchObject({ inProgress: 1, totals: totalsOf() });

    // The device is where the accept left it: at the accept deadline nothing newer is known of it.
    h.fireTimer(waitTimer(h));
    await h.step();
    h.completeActivity(h.only('activity', 'readDeviceTwins'), [{ deviceId: 'a', read: { found: false } }] satisfies DeviceTwinRead[]);
    await h.step();
    expect(latest(h, 'a').error).toEqual({ code: 'acceptTimeout', message: 'the accept deadline passed (no report from the device)' });
  });

  test("downloadFailed fails the device with the device's error code", async () => {
    const h = batch({ deviceIds: ['a'] });
    await started(h);
    await deliver(h, report('a', 2, 'waiting'), report('a', 3, 'downloadFailed', failedWith('hashMismatch', 'sha256 differs')));
    expect(h.output).toEqual({ totals: totalsOf({ failed: 1 }), remaining: [], stop: null } satisfies BatchResult);
    expect(latest(h, 'a')).toMatchObject({ state: 'failed', error: { code: 'hashMismatch', message: 'sha256 differs' } });
  });

  test('applyComplete on another version is a versionMismatch failure', async () => {
    const h = batch({ deviceIds: ['a'] });
    await started(h);
    await deliver(h, report('a', 2, 'applyComplete', { currentFwVersion: '1.0.0' }));
    expect(h.output).toMatchObject({ totals: totalsOf({ failed: 1 }) });
    expect(latest(h, 'a')).toMatchObject({ state: 'failed', currentFwVersion: '1.0.0', error: { code: 'versionMismatch' } });
  });

  describe('phase deadlines', () => {
    test('one twin read for the devices past their deadline: no progress times out, naming the phase; progress renews it', async () => {
      const h = batch();
      await started(h);
      h.advance(5000);
      await deliver(h, report('a', 2, 'waiting'));
      const deadline = waitTimer(h);
      expect(deadline.fireAt).toBe(at(TIMEOUTS.methodSeconds));
      h.fireTimer(deadline);
      await h.step();
      const read = h.only('activity', 'readDeviceTwins');
      // a is in its download phase: only the two still in the accept phase are read.
      expect(read.input).toEqual({ deviceIds: ['b#1', 'c'], rolloutId: 'r1' } satisfies ReadDeviceTwinsInput);
      const nothing: DeviceTwinRead = { deviceId: 'b#1', read: { found: true, report: { twinVersion: 1 } } };
      h.completeActivity(read, [nothing, twinShows('c', 3, 'waiting')]);
      await h.step();
      expect(latest(h, 'b#1')).toMatchObject({
        state: 'timedOut',
        error: { code: 'acceptTimeout', message: 'the accept deadline passed (no report from the device)' },
      });
      expect(timeline(h, 'b#1').at(-1)).toMatchObject({ state: 'timedOut', time: at(TIMEOUTS.methodSeconds) });
      // The read showed c waiting: its download phase starts now, instead of a timeout.
      expect(latest(h, 'c')).toMatchObject({ state: 'inProgress', status: 'waiting', phase: 'download', twinVersion: 3 });

      // a's download deadline comes first; c's runs from the read.
      h.fireTimer(waitTimer(h));
      await h.step();
      expect(h.now.toISOString()).toBe(at(5 + TIMEOUTS.downloadMinutes * 60));
      const second = h.only('activity', 'readDeviceTwins');
      expect((second.input as ReadDeviceTwinsInput).deviceIds).toEqual(['a']);
      h.completeActivity(second, [twinShows('a', 2, 'waiting')]);
      await h.step();
      expect(latest(h, 'a').error).toEqual({ code: 'downloadTimeout', message: 'the download deadline passed (last status waiting)' });
      expect(waitTimer(h).fireAt).toBe(at(TIMEOUTS.methodSeconds + TIMEOUTS.downloadMinutes * 60));
    });

    test('the apply deadline runs from downloadComplete; the last read showing the device still applying times it out', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h);
      h.advance(10_000);
      await deliver(h, report('a', 2, 'waiting'));
      h.advance(60_000);
      await deliver(h, report('a', 3, 'downloadComplete'));
      const applyDeadline = waitTimer(h);
      expect(applyDeadline.fireAt).toBe(at(70 + TIMEOUTS.applyMinutes * 60));
      h.fireTimer(applyDeadline);
      await h.step();
      h.completeActivity(h.only('activity', 'readDeviceTwins'), [twinShows('a', 4, 'applying')]);
      await h.step();
      expect(h.output).toMatchObject({ totals: totalsOf({ timedOut: 1 }) });
      const message = 'the apply deadline passed (last status applying)';
      expect(latest(h, 'a')).toMatchObject({ status: 'applying', error: { code: 'applyTimeout', message } });
    });

    test('the last twin read finds the success a lost event would have told', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h);
      h.advance(1000);
      await deliver(h, report('a', 2, 'waiting'));
      h.fireTimer(waitTimer(h));
      await h.step();
      h.completeActivity(h.only('activity', 'readDeviceTwins'), [twinShows('a', 9, 'applyComplete', '2.1.0')]);
      await h.step();
      expect(h.output).toEqual({ totals: totalsOf({ succeeded: 1 }), remaining: [], stop: null });
    });

    test('a failed read times the devices out, naming their phase', async () => {
      const h = batch({ deviceIds: ['a', 'b#1'] });
      await started(h);
      h.fireTimer(waitTimer(h));
      await h.step();
      h.failActivity(h.only('activity', 'readDeviceTwins'), 'hub unavailable');
      await h.step();
      expect(h.output).toMatchObject({ totals: totalsOf({ timedOut: 2 }) });
      expect(latest(h, 'b#1').error).toMatchObject({ code: 'acceptTimeout' });
      expect(logged(h, 'batch.twinReadFailed').join()).toContain('hub unavailable');

      // One device's read failing (the activity ran) is the same for that device.
      const one = batch({ deviceIds: ['a'] });
      await started(one);
      one.advance(1000);
      await deliver(one, report('a', 2, 'downloadComplete'));
      one.fireTimer(waitTimer(one));
      await one.step();
      const failed: DeviceTwinRead = { deviceId: 'a', read: { failed: 'reading the twin of a failed: HTTP 503' } };
      one.completeActivity(one.only('activity', 'readDeviceTwins'), [failed]);
      await one.step();
      expect(latest(one, 'a')).toMatchObject({ state: 'timedOut', error: { code: 'applyTimeout' } });
    });

    test('a throttled read (429) judges nothing: the twin is read again TWIN_READ_RETRY_SECONDS later, and the device judged then', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h);
      h.advance(1000);
      await deliver(h, report('a', 2, 'downloadComplete'));
      const deadline = waitTimer(h);
      h.fireTimer(deadline);
      await h.step();
      const throttledRead: DeviceTwinRead = { deviceId: 'a', read: { failed: 'reading the twin of a failed: HTTP 429', throttled: true } };
      for (let round = 0; round < 3; round += 1) {
        h.completeActivity(h.only('activity', 'readDeviceTwins'), [throttledRead]);
        await h.step();
        expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', status: 'downloadComplete' });
        const retry = waitTimer(h);
        expect(Date.parse(retry.fireAt!) - h.now.getTime()).toBe(TWIN_READ_RETRY_SECONDS * 1000);
        h.fireTimer(retry);
        await h.step();
      }
      h.completeActivity(h.only('activity', 'readDeviceTwins'), [twinShows('a', 9, 'applyComplete', FIRMWARE.version)]);
      await h.step();
      expect(h.output).toEqual({ totals: totalsOf({ succeeded: 1 }), remaining: [], stop: null });
      expect(logged(h, 'batch.throttled')).toHaveLength(3);
    });
  });

  describe("the hub's throttles", () => {
    const PACE = { tier: 'S1', units: 1, devicesPerSecond: 8 } as const;
    const THROTTLED: InvokeOutcome = { kind: 'throttled', message: 'HTTP 429, IoT Hub error 429001' };

    /** Answers the open reserve call of the hub-wide budget; returns what was asked. */
    function grant(h: OrchestrationHarness, granted: number, retryAt: number | null): BudgetRequest {
      const reserve = h.only('callEntity', 'reserve');
      h.respondEntity(reserve, { granted, retryAt } satisfies BudgetGrant);
      return reserve.input as BudgetRequest;
    }

    test('paced: each call first reserves its devices from the hub-wide budget; the rest waits for the time the budget names', async () => {
      const h = batch({ deviceIds: ['a', 'b#1', 'c', 'd', 'e'], pace: PACE });
      await h.step();
      expect(grant(h, 2, START + 1000)).toEqual({ want: 5, at: START, ceiling: 8 });
      await h.step();
      expect(invoked(h)).toEqual(['a', 'b#1']);
      await answer(h);
      // No new ask before the time the budget named: the wait's timer is at it.
      expect(h.open('callEntity')).toHaveLength(0);
      const wait = waitTimer(h);
      expect(wait.fireAt).toBe(at(1));
      h.fireTimer(wait);
      await h.step();
      expect(grant(h, 3, null)).toEqual({ want: 3, at: START + 1000, ceiling: 8 });
      await h.step();
      expect(invoked(h)).toEqual(['c', 'd', 'e']);
    });

    test('a throttled call (429) is tried again after 1, 2, 4 … 30 s for as long as it takes, never failing the device', async () => {
      const h = batch({ deviceIds: ['a'], timeouts: { ...TIMEOUTS, offlineRetryMinutes: 1 } });
      await h.step();
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 9; attempt += 1) {
        await answer(h, { a: THROTTLED });
        const timer = waitTimer(h);
        delays.push((Date.parse(timer.fireAt!) - h.now.getTime()) / 1000);
        h.fireTimer(timer);
        await h.step();
        if (h.open('callEntity', 'get').length > 0) await control(h);
      }
      // Over two minutes of throttling, twice the offline retry window: the device is still being called.
      expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30, 30, 30]);
      await answer(h, { a: OFFLINE });
      h.fireTimer(waitTimer(h));
      await h.step();
      await control(h);
      await answer(h);
      expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', phase: 'accept' });
      // One timeline note for the throttled streak.
      expect(timeline(h, 'a').filter((entry) => /429/.test(entry.detail))).toHaveLength(1);
    });

    test('paced: a throttled answer tells the hub-wide budget, and the retry draws from it like a new call', async () => {
      const h = batch({ deviceIds: ['a', 'b#1'], pace: PACE });
      await h.step();
      grant(h, 2, null);
      await h.step();
      await answer(h, { a: THROTTLED });
      const told = h.signals('throttled', 'hubBudget');
      expect(told.map((signal) => signal.input)).toEqual([{ at: START, ceiling: 8 }]);
      expect(logged(h, 'batch.throttled').join()).toContain('"requests":1');
      // The control entity was read less than CONTROL_CHECK_SECONDS ago: the retry asks the budget only.
      h.fireTimer(waitTimer(h));
      await h.step();
      expect(grant(h, 1, null)).toEqual({ want: 1, at: START + 1000, ceiling: 8 });
      await h.step();
      expect(invoked(h)).toEqual(['a']);
    });

    test('paced: a due retry the budget holds back waits for the time it names, with no wake-up before', async () => {
      const h = batch({ deviceIds: ['a'], pace: PACE });
      await h.step();
      grant(h, 1, null);
      await h.step();
      await answer(h, { a: THROTTLED });
      h.fireTimer(waitTimer(h));
      await h.step();
      grant(h, 0, START + 3000);
      await h.step();
      expect(h.open('activity', 'invokeFirmwareUpdate')).toHaveLength(0);
      const wait = waitTimer(h);
      expect(wait.fireAt).toBe(at(3));
      h.fireTimer(wait);
      await h.step();
      grant(h, 1, null);
      await h.step();
      expect(invoked(h)).toEqual(['a']);
    });

    test('not paced (no tier set): no budget is asked or told', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h, { a: THROTTLED });
      expect(h.scheduled.filter((action) => action.name === 'reserve' || action.name === 'throttled')).toHaveLength(0);
    });
  });

  describe('the method call', () => {
    test('offline: retried with backoff, after a look at the control entity, until offlineRetryMinutes, then timedOut', async () => {
      const h = batch({ deviceIds: ['a'], timeouts: { ...TIMEOUTS, offlineRetryMinutes: 1 } });
      await h.step();
      const delays: number[] = [];
      for (;;) {
        await answer(h, { a: OFFLINE });
        if (h.isDone) break;
        const timer = waitTimer(h);
        delays.push((Date.parse(timer.fireAt!) - h.now.getTime()) / 1000);
        h.fireTimer(timer);
        await h.step();
        await control(h);
      }
      expect(delays).toEqual([15, 30]);
      expect(h.output).toEqual({ totals: totalsOf({ timedOut: 1 }), remaining: [], stop: null });
      expect(latest(h, 'a').error).toEqual({ code: 'offline', message: 'the device is offline; gave up after 3 attempts over 1 minutes' });
      // One timeline note for the whole offline streak, then the verdict.
      expect(timeline(h, 'a').filter((entry) => /offline/.test(entry.detail))).toHaveLength(2);
    });

    test('the retry delays double from 15 s up to 10 minutes', async () => {
      const h = batch({ deviceIds: ['a'] });
      await h.step();
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 8; attempt += 1) {
        await answer(h, { a: { kind: 'error', code: 'throttled', message: 'HTTP 429', retryable: true } });
        const timer = waitTimer(h);
        delays.push((Date.parse(timer.fireAt!) - h.now.getTime()) / 1000);
        h.fireTimer(timer);
        await h.step();
        await control(h);
      }
      expect(delays).toEqual([15, 30, 60, 120, 240, 480, 600, 600]);
      await answer(h);
      expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', phase: 'accept' });
    });

    test('offline, then online: accepted on a retry', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h, { a: OFFLINE });
      h.fireTimer(waitTimer(h));
      await h.step();
      await control(h);
      await answer(h);
      expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', phase: 'accept' });
      expect(timeline(h, 'a').map((entry) => entry.detail)).toEqual([
        'planned',
        'the device is offline; trying again with backoff',
        'accepted the firmwareUpdate method',
      ]);
    });

    test('busy (409): tried again later', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h, { a: { kind: 'busy', rolloutId: 'r0', message: 'Update r0 is downloading.' } });
      expect(timeline(h, 'a')[1].detail).toBe('the device is busy (Update r0 is downloading.); trying again with backoff');
      h.fireTimer(waitTimer(h));
      await h.step();
      await control(h);
      expect(invoked(h)).toEqual(['a']);
    });

    test('the retries that are due go out together in one activity, after one control read', async () => {
      const h = batch({ deviceIds: ['a', 'b#1', 'c', 'd'] });
      await started(h, {
        a: OFFLINE,
        'b#1': { kind: 'busy', rolloutId: 'r0', message: 'busy' },
        c: { kind: 'error', code: 'gatewayTimeout', message: 'HTTP 504', retryable: true },
      });
      // The first wait's timer (the call's bound), then the wait for the retries.
      expect(h.open('timer').map((timer) => timer.fireAt)).toEqual([at(TIMEOUTS.methodSeconds + CALL_GRACE_SECONDS), at(15)]);
      h.fireTimer(waitTimer(h));
      await h.step();
      expect(h.open('activity')).toHaveLength(0);
      await control(h);
      expect(invoked(h)).toEqual(['a', 'b#1', 'c']);
      await answer(h);
      expect(h.customStatus).toMatchObject({ inProgress: 4 });
    });

    test('when the activity itself fails, every device it called is tried again later', async () => {
      const h = batch();
      await h.step();
      h.failActivity(h.only('activity', 'invokeFirmwareUpdate'), 'the worker crashed');
      await h.step();
      expect(timeline(h, 'a').at(-1)!.detail).toMatch(/^invokeFailed: .*the worker crashed.*; trying again with backoff$/s);
      h.fireTimer(waitTimer(h));
      await h.step();
      await control(h);
      expect(invoked(h)).toEqual(['a', 'b#1', 'c']);
    });

    test('a cancel read before a retry cancels the devices waiting for one; devices in progress finish', async () => {
      const h = batch({ deviceIds: ['a', 'b#1', 'c'], slots: 2 });
      await started(h, { a: OFFLINE });
      h.fireTimer(waitTimer(h));
      await h.step();
      await control(h, { ...RUN, command: 'cancel', generation: 1 });
      expect(h.open('activity')).toHaveLength(0);
      expect(latest(h, 'a')).toMatchObject({ state: 'canceled' });
      expect(timeline(h, 'a').at(-1)!.detail).toBe('the rollout was canceled before the device took the update');
      // Its slot is not refilled: the cancel stops new starts too.
      expect(h.customStatus).toMatchObject({ stopReason: 'canceled', inProgress: 1 });
      await deliver(h, report('b#1', 2, 'applyComplete', SUCCESS));
      expect(h.output).toEqual({ totals: totalsOf({ canceled: 1, succeeded: 1 }), remaining: ['c'], stop: 'canceled' });
    });

    test('400: failed at once, naming the field', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h, { a: { kind: 'invalid', field: 'fwPackageUri', message: 'fwPackageUri must be https' } });
      expect(h.output).toEqual({ totals: totalsOf({ failed: 1 }), remaining: [], stop: null });
      expect(latest(h, 'a').error).toEqual({ code: 'invalidRequest', message: 'fwPackageUri: fwPackageUri must be https' });
      // No wait after the answer: only the timer of the wait the call was made in.
      expect(h.open('timer').map((timer) => timer.fireAt)).toEqual([at(TIMEOUTS.methodSeconds + CALL_GRACE_SECONDS)]);
    });

    test('an unknown device fails; a device already on the version is skipped', async () => {
      const h = batch({ deviceIds: ['a', 'b#1'] });
      await started(h, {
        a: { kind: 'error', code: 'deviceNotFound', message: 'HTTP 404, IoT Hub error 404001', retryable: false },
        'b#1': { kind: 'alreadyInstalled', fwVersion: '2.1.0' },
      });
      expect(h.output).toEqual({ totals: totalsOf({ failed: 1, skipped: 1 }), remaining: [], stop: null });
      expect(latest(h, 'a')).toMatchObject({ state: 'failed', error: { code: 'deviceNotFound' } });
      expect(latest(h, 'b#1')).toMatchObject({ state: 'skipped' });
      expect(timeline(h, 'b#1').at(-1)!.detail).toBe('the device already runs 2.1.0');
    });

    test('a device already working on this rollout is caught up from its twin at once', async () => {
      const h = batch({ deviceIds: ['a'] });
      await started(h, { a: { kind: 'current', state: deviceReport('downloading') } });
      // Read right after the answer, before any further wait.
      expect(h.open('timer')).toHaveLength(1);
      const read = h.only('activity', 'readDeviceTwins');
      expect(read.input).toEqual({ deviceIds: ['a'], rolloutId: 'r1' });
      h.completeActivity(read, [twinShows('a', 12, 'downloadComplete')]);
      await h.step();
      // A stale event changes nothing.
      h.advance(1000);
      await deliver(h, report('a', 11, 'downloading'));
      expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', status: 'downloadComplete', twinVersion: 12, phase: 'apply' });
      h.advance(1000);
      await deliver(h, report('a', 13, 'applyComplete', SUCCESS));
      expect(timeline(h, 'a').map((entry) => entry.detail)).toEqual([
        'planned',
        'the device is already working on this rollout',
        'download complete',
        'applied; running 2.1.0',
      ]);
    });
  });

  test('reports are applied while a method call is under way; its answer is taken when it comes', async () => {
    const h = batch({ deviceIds: ['a', 'b#1', 'c'], slots: 2 });
    await started(h);
    h.advance(PUBLISH_INTERVAL_SECONDS * 1000);
    await deliver(h, report('a', 2, 'applyComplete', SUCCESS));
    expect(invoked(h)).toEqual(['c']);
    // The call for c is under way: b#1's report is applied (and published) all the same.
    h.advance(PUBLISH_INTERVAL_SECONDS * 1000);
    await deliver(h, report('b#1', 2, 'waiting'));
    expect(h.open('activity', 'invokeFirmwareUpdate')).toHaveLength(1);
    expect(latest(h, 'b#1')).toMatchObject({ state: 'inProgress', status: 'waiting' });
    // The answer comes while the batch waits in a later wait: it is taken at the next wake-up, a report
    // here (or, with none, the timer at the call's bound, methodSeconds + CALL_GRACE_SECONDS after it).
    h.advance(PUBLISH_INTERVAL_SECONDS * 1000);
    await answer(h);
    expect(updates(h, 'c').filter((update) => update.state === 'inProgress')).toHaveLength(0);
    expect(waitTimer(h).fireAt).toBe(at(1 + TIMEOUTS.methodSeconds + CALL_GRACE_SECONDS));
    await deliver(h, report('b#1', 3, 'downloading'));
    expect(latest(h, 'c')).toMatchObject({ state: 'inProgress', phase: 'accept' });
  });

  test('a device that finishes from its reports before its method call answers: the late answer changes nothing', async () => {
    const h = batch({ deviceIds: ['a', 'b#1'] });
    await h.step();
    expect(invoked(h)).toEqual(['a', 'b#1']);
    // a updates so fast that all its reports come while the call (for both devices) is still under way.
    await deliver(h, report('a', 2, 'waiting'), report('a', 3, 'applyComplete', SUCCESS));
    expect(latest(h, 'a')).toMatchObject({ state: 'succeeded' });
    // The answer is taken at the next wake-up, b#1's first report.
    await answer(h);
    h.advance(PUBLISH_INTERVAL_SECONDS * 1000);
    await deliver(h, report('b#1', 2, 'waiting'));
    expect(h.failure).toBeUndefined();
    expect(latest(h, 'a')).toMatchObject({ state: 'succeeded' });
    expect(latest(h, 'b#1')).toMatchObject({ state: 'inProgress', status: 'waiting' });
    await deliver(h, report('b#1', 3, 'applyComplete', SUCCESS));
    expect(h.output).toEqual({ totals: totalsOf({ succeeded: 2 }), remaining: [], stop: null });
  });

  describe('slots, threshold, control', () => {
    test('at most `slots` devices in progress; a finished device is replaced at once from the queue', async () => {
      const ids = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'];
      const h = batch({ deviceIds: ids, slots: 3 });
      await h.step();
      expect(invoked(h)).toEqual(['d0', 'd1', 'd2']);
      await answer(h);
      h.advance(1000);
      await deliver(h, report('d1', 2, 'applyComplete', SUCCESS));
      // The control entity was read less than CONTROL_CHECK_SECONDS ago (by the wave): no read, the next device starts.
      expect(h.open('callEntity')).toHaveLength(0);
      expect(invoked(h)).toEqual(['d3']);
      // A device that settles at the method frees its slot at once too.
      await answer(h, { d3: { kind: 'alreadyInstalled', fwVersion: '2.1.0' } });
      expect(invoked(h)).toEqual(['d4']);
      await answer(h);
      expect(inProgress(h)).toBe(3);

      h.advance(CONTROL_CHECK_SECONDS * 1000);
      await deliver(h, report('d0', 2, 'applyComplete', SUCCESS), report('d2', 2, 'downloadFailed', failedWith('httpError', '404')));
      await control(h);
      expect(invoked(h)).toEqual(['d5', 'd6']);
      await answer(h);
      expect(h.customStatus).toMatchObject({ started: 7, inProgress: 3 });
      await deliver(h, ...['d4', 'd5', 'd6'].map((id) => report(id, 2, 'applyComplete', SUCCESS)));
      expect(h.output).toEqual({ totals: totalsOf({ succeeded: 5, failed: 1, skipped: 1 }), remaining: [], stop: null });
      expect(h.historyCount(EventType.TaskScheduled, 'invokeFirmwareUpdate')).toBe(4);
    });

    test('the failure threshold, judged on the baseline and its own totals before it starts more: pause', async () => {
      const h = batch({
        deviceIds: ['a', 'b#1', 'c', 'd'],
        slots: 2,
        baseline: totalsOf({ succeeded: 8, failed: 1 }),
        failureThreshold: { percent: 10, minDevices: 10, action: 'pause' },
      });
      await started(h);
      h.advance(1000);
      // 1 of this batch's 1 finished failed: below minDevices alone, but with the 9 before it 2 of 10 = 20 % > 10 %.
      await deliver(h, report('a', 2, 'downloadFailed', failedWith('hashMismatch', 'sha256 differs')));
      expect(h.open('activity')).toHaveLength(0);
      expect(h.customStatus).toMatchObject({ stopReason: 'thresholdPause', inProgress: 1, started: 2 });
      expect(logged(h, 'batch.thresholdTripped')).toHaveLength(1);
      await deliver(h, report('b#1', 2, 'applyComplete', SUCCESS));
      expect(h.output).toEqual({ totals: totalsOf({ failed: 1, succeeded: 1 }), remaining: ['c', 'd'], stop: 'thresholdPause' });
    });

    test('the failure threshold aborts when its action is abort; timeouts count as failures', async () => {
      const h = batch({ deviceIds: ['a', 'b#1', 'c'], slots: 1, failureThreshold: { percent: 0, minDevices: 1, action: 'abort' } });
      await started(h);
      h.fireTimer(waitTimer(h));
      await h.step();
      h.completeActivity(h.only('activity', 'readDeviceTwins'), [{ deviceId: 'a', read: { found: false } }]);
      await h.step();
      expect(h.output).toEqual({ totals: totalsOf({ timedOut: 1 }), remaining: ['b#1', 'c'], stop: 'thresholdAbort' });

      // A baseline already over the threshold starts nothing.
      const over = batch({ baseline: totalsOf({ failed: 1 }), failureThreshold: { percent: 0, minDevices: 1, action: 'abort' } });
      await over.step();
      expect(over.output).toEqual({ totals: totalsOf(), remaining: INPUT.deviceIds, stop: 'thresholdAbort' });
      expect(over.open('activity')).toHaveLength(0);
    });

    test('below minDevices the threshold does not judge', async () => {
      const h = batch({ deviceIds: ['a', 'b#1'], slots: 1, failureThreshold: { percent: 0, minDevices: 2, action: 'abort' } });
      await started(h, { a: { kind: 'invalid', field: 'sha256', message: 'sha256 must be hex' } });
      expect(invoked(h)).toEqual(['b#1']);
      await answer(h, { 'b#1': { kind: 'invalid', field: 'sha256', message: 'sha256 must be hex' } });
      expect(h.output).toEqual({ totals: totalsOf({ failed: 2 }), remaining: [], stop: null });
    });

    test.each([
      ['pause', 'paused'],
      ['cancel', 'canceled'],
    ] as const)(
      'an operator %s, read at most every CONTROL_CHECK_SECONDS, stops new starts; those running finish',
      async (command, stop) => {
        const h = batch({ deviceIds: ['a', 'b#1', 'c', 'd'], slots: 2 });
        await started(h);
        h.advance(1000);
        await deliver(h, report('a', 2, 'applyComplete', SUCCESS));
        expect(h.open('callEntity')).toHaveLength(0);
        expect(invoked(h)).toEqual(['c']);
        await answer(h);
        h.advance(CONTROL_CHECK_SECONDS * 1000);
        await deliver(h, report('b#1', 2, 'applyComplete', SUCCESS));
        await control(h, { ...RUN, command, generation: 1 });
        expect(h.open('activity')).toHaveLength(0);
        expect(h.customStatus).toMatchObject({ stopReason: stop, inProgress: 1 });
        // The device in progress finishes; its slot stays empty.
        h.advance(CONTROL_CHECK_SECONDS * 1000);
        await deliver(h, report('c', 2, 'applyComplete', SUCCESS));
        expect(h.open('callEntity')).toHaveLength(0);
        expect(h.output).toEqual({ totals: totalsOf({ succeeded: 3 }), remaining: ['d'], stop } satisfies BatchResult);
      },
    );
  });

  describe('publishing to the shards', () => {
    test('an op per shard touched per publish, at most every PUBLISH_INTERVAL_SECONDS while reports flow, and one at the end', async () => {
      const ids = Array.from({ length: 8 }, (_, i) => `dev-${i}`);
      const h = batch({ deviceIds: ids, shardCount: 4 });
      await started(h);
      const shardsOf = (devices: string[]): string[] => [...new Set(devices.map((id) => shardKey(id, 4)))].sort();
      const publishes: Scheduled[][] = [h.signals('update')];
      const newOps = (): Scheduled[] => h.signals('update').slice(publishes.flat().length);
      // The answers: every device, each in one op to its shard.
      expect(publishes[0].map((op) => op.instanceId).sort()).toEqual(shardsOf(ids));
      for (const op of publishes[0]) for (const id of idsIn([op])) expect(shardKey(id, 4)).toBe(op.instanceId);
      expect(idsIn(publishes[0])).toEqual([...ids].sort());

      // Reports within PUBLISH_INTERVAL_SECONDS of the last publish: the news waits, at most QUIET_PUBLISH_SECONDS.
      h.advance(400);
      await deliver(h, report('dev-0', 2, 'waiting'));
      h.advance(400);
      await deliver(h, report('dev-1', 2, 'waiting'));
      expect(newOps()).toHaveLength(0);
      expect(waitTimer(h).fireAt).toBe(at(QUIET_PUBLISH_SECONDS));
      // The first report PUBLISH_INTERVAL_SECONDS after the last publish takes all the news along.
      h.advance(PUBLISH_INTERVAL_SECONDS * 1000 - 800);
      await deliver(h, report('dev-2', 2, 'waiting'));
      publishes.push(newOps());
      expect(publishes[1].map((op) => op.instanceId).sort()).toEqual(shardsOf(['dev-0', 'dev-1', 'dev-2']));
      expect(idsIn(publishes[1])).toEqual(['dev-0', 'dev-1', 'dev-2']);

      // No report follows: the news goes out when the wait's timer fires, QUIET_PUBLISH_SECONDS after the last publish.
      h.advance(100);
      await deliver(h, report('dev-3', 2, 'waiting'));
      expect(newOps()).toHaveLength(0);
      expect(waitTimer(h).fireAt).toBe(at(PUBLISH_INTERVAL_SECONDS + QUIET_PUBLISH_SECONDS));
      h.fireTimer(waitTimer(h));
      await h.step();
      publishes.push(newOps());
      expect(idsIn(publishes[2])).toEqual(['dev-3']);
      // Nothing new: the next wake-up is the earliest deadline, not a publish.
      expect(waitTimer(h).fireAt).toBe(at(TIMEOUTS.methodSeconds));

      // The last devices finish right after a publish: the end publishes them anyway.
      await deliver(h, ...ids.map((id) => report(id, 3, 'applyComplete', SUCCESS)));
      publishes.push(newOps());
      expect(publishes[3].map((op) => op.instanceId).sort()).toEqual(shardsOf(ids));
      expect(idsIn(publishes[3])).toEqual([...ids].sort());
      expect(h.output).toEqual({ totals: totalsOf({ succeeded: 8 }), remaining: [], stop: null });
      expect(h.signals('update')).toHaveLength(publishes.flat().length);
    });
  });

  describe('continue-as-new', () => {
    test(`after ${BATCH_STEPS_PER_EPISODE} waits it drains, publishes and continues as new with the devices in progress`, async () => {
      const h = batch({ deviceIds: ['a', 'b#1', 'c', 'd', 'e'], slots: 4 });
      await started(h, { d: OFFLINE });
      let version = 2;
      for (let step = 0; step < BATCH_STEPS_PER_EPISODE; step += 1) {
        h.advance(100);
        await deliver(h, report('a', version++, step === 0 ? 'waiting' : 'downloading', { extra: { progress: step } }));
      }
      // The switch: first every event already delivered is taken (a zero timer against fresh waits).
      const drain = waitTimer(h);
      expect(drain.fireAt).toBe(h.now.toISOString());
      expect(h.continuedWith).toBeUndefined();
      await deliver(h, report('b#1', 2, 'waiting'));
      expect(h.continuedWith).toBeUndefined();
      h.fireTimer(waitTimer(h));
      await h.step();

      const carried = h.continuedWith as BatchInput;
      expect(carried).toMatchObject({ ...INPUT, deviceIds: ['a', 'b#1', 'c', 'd', 'e'], slots: 4 });
      expect(carried.carry).toMatchObject({ next: 4, totals: totalsOf(), stop: null, episode: 1 });
      expect(carried.carry!.running.map((device) => [device.tracking.deviceId, device.tracking.status, device.invoke === null])).toEqual([
        ['a', 'downloading', true],
        ['b#1', 'waiting', true],
        ['c', null, true],
        ['d', null, false],
      ]);
      // Everything was published first: the carried trackings hold no timeline entries.
      expect(carried.carry!.running.every((device) => device.tracking.timeline.length === 0)).toBe(true);
      expect(latest(h, 'b#1')).toMatchObject({ status: 'waiting' });
      expect(h.historyLength).toBeLessThan(8 * BATCH_STEPS_PER_EPISODE);

      h.nextExecution();
      await h.step();
      // Reports raised while the old execution ended may be lost: a quiet device's twin is read after the grace.
      const switchedAt = h.now.getTime();
      expect(waitTimer(h).fireAt).toBe(new Date(switchedAt + RESYNC_GRACE_SECONDS * 1000).toISOString());
      await deliver(h, report('a', version++, 'downloadComplete'));
      h.fireTimer(waitTimer(h));
      await h.step();
      const read = h.only('activity', 'readDeviceTwins');
      // a reported; d has not accepted yet (its retry is due later); b#1 and c stayed quiet.
      expect((read.input as ReadDeviceTwinsInput).deviceIds).toEqual(['b#1', 'c']);
      h.completeActivity(read, [twinShows('b#1', 3, 'downloading'), { deviceId: 'c', read: { found: false } }] satisfies DeviceTwinRead[]);
      await h.step();
      expect(h.customStatus).toMatchObject({ inProgress: 4, totals: totalsOf() });

      // The carried retry is made when due, after a control read.
      h.fireTimer(waitTimer(h));
      await h.step();
      expect(h.now.toISOString()).toBe(at(15));
      await control(h);
      expect(invoked(h)).toEqual(['d']);
      await answer(h);
      // e starts as soon as a slot is free.
      h.advance(1000);
      await deliver(h, report('a', version++, 'applyComplete', SUCCESS));
      expect(invoked(h)).toEqual(['e']);
      await answer(h);

      // The shard got each of a's entries once, across both executions.
      const versions = timeline(h, 'a').flatMap((entry) => entry.twinVersion ?? []);
      expect(versions).toEqual([...new Set(versions)]);
      expect(labels(timeline(h, 'a'))).toEqual(['pending', 'inProgress', 'waiting', 'downloading', 'downloadComplete', 'applyComplete']);
    });

    test('devices that all settle at the method call: one start per wait, and the execution still ends after its waits', async () => {
      const ids = Array.from({ length: BATCH_STEPS_PER_EPISODE + 5 }, (_, i) => `d${i}`);
      const h = batch({ deviceIds: ids, slots: 1 });
      await h.step();
      // Each device is already on the version: its slot is free again at once, and the next start goes into the next wait.
      const skipped = (): Promise<string[]> => answer(h, { [invoked(h)[0]]: { kind: 'alreadyInstalled', fwVersion: '2.1.0' } });
      while (h.open('activity', 'invokeFirmwareUpdate').length > 0) await skipped();
      // One start per wait: BATCH_STEPS_PER_EPISODE waits and the start before the first; then the drain's zero timer, and the switch.
      const starts = BATCH_STEPS_PER_EPISODE + 1;
      expect(h.historyCount(EventType.TaskScheduled, 'invokeFirmwareUpdate')).toBe(starts);
      expect(h.continuedWith).toBeUndefined();
      h.fireTimer(waitTimer(h));
      await h.step();
      expect((h.continuedWith as BatchInput).carry).toMatchObject({ running: [], next: starts, totals: totalsOf({ skipped: starts }) });
      expect(updates(h)).toHaveLength(starts);
      h.nextExecution();
      await h.step();
      while (h.open('activity', 'invokeFirmwareUpdate').length > 0) await skipped();
      expect(h.output).toEqual({ totals: totalsOf({ skipped: ids.length }), remaining: [], stop: null } satisfies BatchResult);
    });
  });

  test('AMORTISATION: 200 devices, 5 reports each, Event Hub batches of 50: a wait and a timer per batch, ops per publish', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `thermo-${String(i).padStart(3, '0')}`);
    const shardCount = shardCountFor(ids.length);
    const h = batch({ deviceIds: ids, slots: 200, shardCount });
    await started(h);
    // As IoT Hub enqueues them: every device's waiting, then every device's downloading, …
    const reports = STATUSES.flatMap((status, i) => ids.map((id) => report(id, i + 2, status, status === 'applyComplete' ? SUCCESS : {})));
    const EVENT_HUB_BATCH = 50;
    const EVENT_SPACING_MS = 250;
    for (let i = 0; i < reports.length; i += EVENT_HUB_BATCH) {
      h.advance(EVENT_SPACING_MS);
      await deliver(h, ...reports.slice(i, i + EVENT_HUB_BATCH));
    }
    expect(h.output).toEqual({ totals: totalsOf({ succeeded: 200 }), remaining: [], stop: null } satisfies BatchResult);
    expect(h.execution).toBe(0);

    const events = reports.length / EVENT_HUB_BATCH;
    expect(events).toBe(20);
    expect(h.historyCount(EventType.EventRaised, EVENT.twinReport)).toBe(events);
    // The wait the method call was made in, then one per event (the last one ends the batch instead), each with ONE timer.
    const waits = 1 + events;
    expect(h.historyCount(EventType.TimerCreated)).toBe(waits);
    expect(h.historyCount(EventType.TaskScheduled)).toBe(1);
    expect(h.replays).toBe(2 + events);
    // Publishes: the answers, then every PUBLISH_INTERVAL_SECONDS of reports (one in four events), the last one at the end.
    const publishes = 1 + Math.ceil((events * EVENT_SPACING_MS) / (PUBLISH_INTERVAL_SECONDS * 1000));
    expect(publishes).toBe(6);
    expect(h.signals('update')).toHaveLength(publishes * shardCount);
    expect(h.historyCount(EventType.EventSent)).toBe(publishes * shardCount);
    // Per device and report it would be 200 × 6 ops; here 12, each carrying up to 200 devices' news.
    expect(publishes * shardCount).toBeLessThan(ids.length / 10);
    for (const id of ids) expect(labels(timeline(h, id))).toEqual(['pending', 'inProgress', ...STATUSES]);
    // The whole history: 22 episodes (started + completed), ExecutionStarted, the call, the timers, the events, the ops.
    expect(h.historyLength).toBe(2 * h.replays + 1 + 2 + waits + events + publishes * shardCount);
    expect(h.historyLength).toBe(100);
  });
});
