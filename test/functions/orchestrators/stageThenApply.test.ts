jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { DeviceInvokeOutcome, InvokeFirmwareUpdateInput } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { ResolveTargetsResult } from '../../../functions/src/activities/resolveTargets';
import { BATCH_STEPS_PER_EPISODE, batchOrchestrator } from '../../../functions/src/orchestrators/batch';
import type { BatchCarry, BatchInput, BatchResult } from '../../../functions/src/orchestrators/batch';
import { EVENT } from '../../../functions/src/orchestrators/contracts';
import type { TwinReportEvent, TwinReportsEvent } from '../../../functions/src/orchestrators/contracts';
import { rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { RolloutCustomStatus, RolloutInput } from '../../../functions/src/orchestrators/rollout';
import { waveOrchestrator } from '../../../functions/src/orchestrators/wave';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import { bucketOf, initialControlState, totalsOf } from '../../../functions/src/rollout';
import type { DeviceUpdate, InvokeOutcome, RolloutControlState, RolloutSpec, Totals } from '../../../functions/src/rollout';
import type { FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { FIRMWARE, TIMEOUTS, specOf, twinEvent } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const START = Date.parse('2025-01-01T00:00:00Z');
const at = (seconds: number): string => new Date(START + seconds * 1000).toISOString();
const RUN: RolloutControlState = initialControlState();
const PAUSE: RolloutControlState = { ...RUN, command: 'pause', generation: 1 };
const CANCEL: RolloutControlState = { ...RUN, command: 'cancel', generation: 2 };
const STAGED: InvokeOutcome = { kind: 'accepted', staged: true };

// ---- the batch: the tracker's two passes --------------------------------------------------------

const BATCH_ID = 'r1:w0:b0';
const BATCH: BatchInput = {
  rolloutId: 'r1',
  wave: 0,
  batch: 0,
  deviceIds: ['a', 'b', 'c'],
  slots: 10,
  baseline: totalsOf(),
  failureThreshold: { percent: 100, minDevices: 1, action: 'pause' },
  shardCount: 1,
  firmware: FIRMWARE,
  timeouts: TIMEOUTS,
};

function batch(overrides: Partial<BatchInput>): OrchestrationHarness {
  return new OrchestrationHarness(batchOrchestrator, {
    instanceId: BATCH_ID,
    input: { ...BATCH, ...overrides },
    parentInstanceId: 'r1:w0',
  });
}

/** Answers the open method call: `outcomes` per device, `fallback` for the others. */
async function answer(h: OrchestrationHarness, outcomes: Record<string, InvokeOutcome>, fallback: InvokeOutcome = STAGED): Promise<void> {
  const call = h.only('activity', 'invokeFirmwareUpdate');
  const { deviceIds } = call.input as InvokeFirmwareUpdateInput;
  h.completeActivity(
    call,
    deviceIds.map((deviceId): DeviceInvokeOutcome => ({ deviceId, outcome: outcomes[deviceId] ?? fallback })),
  );
  await h.step();
}

const report = (deviceId: string, twinVersion: number, status: FirmwareUpdateStatus, currentFwVersion?: string): TwinReportEvent =>
  twinEvent(twinVersion, status, { deviceId, ...(currentFwVersion === undefined ? {} : { currentFwVersion }) });

async function deliver(h: OrchestrationHarness, ...reports: TwinReportEvent[]): Promise<void> {
  h.advance(1000);
  h.raiseEvent(EVENT.twinReport, { reports } satisfies TwinReportsEvent);
  await h.step();
}

const updates = (h: OrchestrationHarness, deviceId: string): DeviceUpdate[] =>
  h
    .signals('update', 'deviceShard')
    .flatMap((signal) => (signal.input as { updates: DeviceUpdate[] }).updates)
    .filter((update) => update.deviceId === deviceId);
const latest = (h: OrchestrationHarness, deviceId: string): DeviceUpdate => updates(h, deviceId).at(-1)!;
const waitTimer = (h: OrchestrationHarness): Scheduled => h.open('timer').at(-1)!;

describe('stage pass (batch)', () => {
  test("calls firmwareUpdate with install 'staged'; a staged device is done with the pass, frees its slot, and never times out", async () => {
    const h = batch({ pass: 'stage', slots: 1, deviceIds: ['a', 'b'] });
    await h.step();
    const call = h.only('activity', 'invokeFirmwareUpdate').input as InvokeFirmwareUpdateInput;
    expect(call.method).toBeUndefined();
    expect(call.request).toMatchObject({ rolloutId: 'r1', fwVersion: FIRMWARE.version, install: 'staged', tracker: BATCH_ID });
    expect(call.deviceIds).toEqual(['a']);
    await answer(h, {});
    await deliver(h, report('a', 2, 'downloading'), report('a', 3, 'downloadComplete'));
    // Staged: its shard row counts it staged, and its slot goes to b at once.
    expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', status: 'downloadComplete', phase: 'staged' });
    expect(bucketOf(latest(h, 'a'))).toBe('staged');
    expect((h.only('activity', 'invokeFirmwareUpdate').input as InvokeFirmwareUpdateInput).deviceIds).toEqual(['b']);
    expect(h.customStatus).toMatchObject({ pass: 'stage', staged: 1, inProgress: 1 });
    await answer(h, {});
    // No apply deadline for a: every wake-up of the batch is within b's accept deadline, none at a's apply deadline.
    expect(Math.max(...h.open('timer').map((timer) => Date.parse(timer.fireAt!)))).toBeLessThan(Date.parse(at(60)));
    await deliver(h, report('b', 2, 'downloadComplete'));
    expect(h.isDone).toBe(true);
    expect(h.output).toEqual({ totals: totalsOf(), remaining: [], stop: null, staged: ['a', 'b'] } satisfies BatchResult);
  });

  test('an agent without staging (no echo) installs at once and is followed to its verdict in the stage pass', async () => {
    const h = batch({ pass: 'stage', deviceIds: ['old', 'new'] });
    await h.step();
    await answer(h, { old: { kind: 'accepted' } });
    await deliver(h, report('old', 2, 'downloadComplete'), report('new', 2, 'downloadComplete'));
    expect(latest(h, 'old')).toMatchObject({ status: 'downloadComplete', phase: 'apply' });
    expect(h.isDone).toBe(false);
    await deliver(h, report('old', 3, 'applying'), report('old', 4, 'applyComplete', FIRMWARE.version));
    expect(h.output).toEqual({ totals: totalsOf({ succeeded: 1 }), remaining: [], stop: null, staged: ['new'] } satisfies BatchResult);
  });

  test('at the stage deadline nothing more starts and a device still downloading stops holding the wave (timedOut stageDeadline)', async () => {
    const h = batch({ pass: 'stage', slots: 1, deviceIds: ['slow', 'later'], stageDeadline: at(600) });
    await h.step();
    await answer(h, {});
    await deliver(h, report('slow', 2, 'downloading'));
    expect(waitTimer(h).fireAt).toBe(at(600));
    h.fireTimer(waitTimer(h));
    await h.step();
    expect(h.isDone).toBe(true);
    expect(h.output).toEqual({
      totals: totalsOf({ timedOut: 1 }),
      remaining: ['later'],
      stop: 'stageDeadline',
      staged: [],
    } satisfies BatchResult);
    expect(latest(h, 'slow')).toMatchObject({ state: 'timedOut', error: { code: 'stageDeadline' } });
  });

  test('staged devices are carried through continue-as-new (the history stays bounded)', async () => {
    const h = batch({ pass: 'stage', deviceIds: ['a', 'b'] });
    await h.step();
    await answer(h, {});
    await deliver(h, report('a', 2, 'downloadComplete'));
    // b keeps reporting progress: each report is a wait; after the last one the batch drains (a zero timer) and continues as new.
    for (let version = 2; version < 2 + BATCH_STEPS_PER_EPISODE; version += 1) await deliver(h, report('b', version, 'downloading'));
    h.fireTimer(waitTimer(h));
    await h.step();
    const carry = (h.continuedWith as BatchInput).carry as BatchCarry;
    expect(carry.staged).toEqual(['a']);
    expect(carry.running.map((device) => device.tracking.deviceId)).toEqual(['b']);
    expect(h.maxHistory).toBeLessThan(8 * BATCH_STEPS_PER_EPISODE);
    h.nextExecution();
    await h.step();
    await deliver(h, report('b', 100, 'downloadComplete'));
    expect(h.output).toMatchObject({ stop: null, staged: ['a', 'b'] });
  });
});

describe('apply pass (batch)', () => {
  test('calls firmwareApply on the staged devices; the apply deadline runs from the answer; notStaged fails the device', async () => {
    const h = batch({ pass: 'apply', deviceIds: ['a', 'gone'] });
    await h.step();
    const call = h.only('activity', 'invokeFirmwareUpdate').input as InvokeFirmwareUpdateInput;
    expect(call).toEqual({
      method: 'firmwareApply',
      request: { rolloutId: 'r1', fwVersion: FIRMWARE.version, tracker: BATCH_ID },
      deviceIds: ['a', 'gone'],
      responseTimeoutInSeconds: TIMEOUTS.methodSeconds,
    } satisfies InvokeFirmwareUpdateInput);
    h.advance(3000);
    await answer(
      h,
      { gone: { kind: 'notStaged', message: 'Nothing is staged for r1 2.1.0: the device has no update.' } },
      { kind: 'applying' },
    );
    expect(latest(h, 'gone')).toMatchObject({ state: 'failed', error: { code: 'notStaged' } });
    expect(latest(h, 'a')).toMatchObject({ state: 'inProgress', phase: 'apply', status: 'downloadComplete' });
    expect(bucketOf(latest(h, 'a'))).toBe('applying');
    expect(waitTimer(h).fireAt).toBe(at(3 + TIMEOUTS.applyMinutes * 60));
    await deliver(h, report('a', 7, 'applying'), report('a', 8, 'applyComplete', FIRMWARE.version));
    expect(h.output).toEqual({ totals: totalsOf({ succeeded: 1, failed: 1 }), remaining: [], stop: null } satisfies BatchResult);
  });
});

describe('wave: the stage pass collects its batches’ staged devices', () => {
  test('passes the pass and the deadline to its batches, stops at the deadline, and hands back the staged devices', async () => {
    const input: WaveInput = {
      rolloutId: 'r1',
      wave: { index: 0, name: 'all' },
      attempt: 0,
      episode: 0,
      deviceIds: ['a', 'b'],
      nextBatch: 0,
      totals: totalsOf(),
      settings: { firmware: FIRMWARE, timeouts: TIMEOUTS, failureThreshold: BATCH.failureThreshold, maxConcurrency: 5, shardCount: 1 },
      staged: ['x'],
    };
    const deadline = at(3600);
    const h = new OrchestrationHarness(waveOrchestrator, {
      instanceId: 'r1:w0',
      input: { ...input, settings: { ...input.settings, pass: 'stage', stageDeadline: deadline } },
      parentInstanceId: 'r1',
    });
    await h.step();
    h.respondEntity(h.only('callEntity', 'get'), RUN);
    await h.step();
    const batchCall = h.only('subOrchestration', 'rolloutBatch');
    expect(batchCall.input).toMatchObject({ pass: 'stage', stageDeadline: deadline, deviceIds: ['a', 'b'] });
    h.completeSubOrchestration(batchCall, {
      totals: totalsOf({ timedOut: 1 }),
      remaining: [],
      stop: 'stageDeadline',
      staged: ['a'],
    } satisfies BatchResult);
    await h.step();
    expect(h.output).toEqual({
      outcome: 'stageDeadline',
      totals: totalsOf({ timedOut: 1 }),
      remaining: [],
      nextBatch: 1,
      staged: ['x', 'a'],
    } satisfies WaveResult);
  });
});

// ---- the rollout: stage pass, barrier, apply pass ------------------------------------------------

function rollout(spec: RolloutSpec, start = '2025-01-01T00:00:00Z'): OrchestrationHarness {
  const input: RolloutInput = { rolloutId: 'r1', spec, specHash: 'hash-1', createdAt: start, pace: null };
  return new OrchestrationHarness(rolloutOrchestrator, { instanceId: 'r1', input, start: new Date(start) });
}

const stageSpec = (stageThenApply: unknown, body: Record<string, unknown> = {}): RolloutSpec =>
  specOf({ waves: [{ name: 'all', percent: 100 }], stageThenApply, ...body });

async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

/** Starts the rollout on `targets` up to its first wave call. */
async function startRollout(h: OrchestrationHarness, targets: string[]): Promise<void> {
  await h.step();
  h.completeActivity(h.only('activity', 'resolveTargets'), { targets, skipped: [] } satisfies ResolveTargetsResult);
  await h.step();
  await control(h);
}

const waveCall = (h: OrchestrationHarness): Scheduled => h.only('subOrchestration', 'rolloutWave');

async function waveEnds(h: OrchestrationHarness, result: Partial<WaveResult> & { totals: Totals }): Promise<WaveInput> {
  const call = waveCall(h);
  h.completeSubOrchestration(call, { outcome: 'completed', remaining: [], nextBatch: 1, ...result } satisfies WaveResult);
  await h.step();
  return call.input as WaveInput;
}

const status = (h: OrchestrationHarness): RolloutCustomStatus => h.customStatus as RolloutCustomStatus;
const ledgerOps = (h: OrchestrationHarness, operation: string) =>
  h.signals(operation, 'rolloutLedger').map((signal) => signal.input as { index: number; state: string; pass?: string; totals?: Totals });

describe('stageThenApply (rollout)', () => {
  test('barrier met: the stage pass, then the apply pass on the staged devices; the ledger is told each pass', async () => {
    const h = rollout(stageSpec({ stagedPercent: 100, deadlineMinutes: 60 }));
    await startRollout(h, ['a', 'b', 'c']);
    const stage = waveCall(h).input as WaveInput;
    expect(stage.settings).toMatchObject({ pass: 'stage', stageDeadline: at(3600) });
    expect(ledgerOps(h, 'waveState').at(-1)).toMatchObject({ index: 0, state: 'running', pass: 'stage' });
    h.advance(600_000);
    await waveEnds(h, { totals: totalsOf(), staged: ['a', 'b', 'c'] });
    const apply = waveCall(h).input as WaveInput;
    expect(apply).toMatchObject({ attempt: 1, deviceIds: ['a', 'b', 'c'], settings: { pass: 'apply' } });
    expect(apply.settings.stageDeadline).toBeUndefined();
    expect(ledgerOps(h, 'waveState').at(-1)).toMatchObject({ index: 0, state: 'running', pass: 'apply' });
    expect(status(h).waves[0]).toMatchObject({ inProgress: 3, pending: 0 });
    await waveEnds(h, { totals: totalsOf({ succeeded: 3 }) });
    expect(h.isDone).toBe(true);
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: 3 }), waves: [{ pass: 'apply' }] });
    expect(ledgerOps(h, 'waveFinal').at(-1)).toMatchObject({ index: 0, state: 'completed', totals: totalsOf({ succeeded: 3 }) });
  });

  test('deadline reached with some not staged: they do not hold the rest (timedOut / canceled), the staged ones apply', async () => {
    const h = rollout(stageSpec({ stagedPercent: 50, deadlineMinutes: 60 }));
    await startRollout(h, ['a', 'b', 'c', 'd']);
    h.advance(3_600_000);
    await waveEnds(h, { outcome: 'stageDeadline', totals: totalsOf({ timedOut: 1 }), remaining: ['d'], staged: ['a', 'b'] });
    expect(h.logs.some((line) => line.startsWith('rollout.stageBarrier ') && line.includes('"met":true'))).toBe(true);
    expect((waveCall(h).input as WaveInput).deviceIds).toEqual(['a', 'b']);
    await waveEnds(h, { totals: totalsOf({ succeeded: 2 }) });
    expect(h.output).toMatchObject({ state: 'completedWithFailures', totals: totalsOf({ succeeded: 2, timedOut: 1, canceled: 1 }) });
  });

  test('an agent without staging that installed at once counts as ready: the barrier is met with the staged rest', async () => {
    const h = rollout(stageSpec(true));
    await startRollout(h, ['old', 'a', 'b']);
    await waveEnds(h, { totals: totalsOf({ succeeded: 1 }), staged: ['a', 'b'] });
    expect((waveCall(h).input as WaveInput).deviceIds).toEqual(['a', 'b']);
    await waveEnds(h, { totals: totalsOf({ succeeded: 2 }) });
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: 3 }) });
  });

  test('barrier not met (a download failed, 100 % wanted), action pause: paused; the resume applies the staged devices', async () => {
    const h = rollout(stageSpec(true));
    await startRollout(h, ['a', 'b', 'bad']);
    await waveEnds(h, { totals: totalsOf({ failed: 1 }), staged: ['a', 'b'] });
    expect(h.open('subOrchestration')).toHaveLength(0);
    expect(status(h)).toMatchObject({ phase: 'paused', state: 'paused' });
    expect(h.signals('phase', 'rolloutControl').at(-1)?.input).toMatchObject({ phase: 'paused', pausedBy: 'threshold' });
    expect(h.logs.some((line) => line.includes('only 2 of 3 devices of wave 0 (66.67 %)'))).toBe(true);
    // The control entity holds the pause until the operator's resume.
    await control(h, { ...PAUSE, pauseReason: 'threshold' });
    expect(h.open('subOrchestration')).toHaveLength(0);
    h.raiseEvent(EVENT.control, {});
    await h.step();
    await control(h, { ...RUN, generation: 3 });
    expect(waveCall(h).input).toMatchObject({ deviceIds: ['a', 'b'], settings: { pass: 'apply' } });
    await waveEnds(h, { totals: totalsOf({ succeeded: 2 }) });
    expect(h.output).toMatchObject({ state: 'completedWithFailures', totals: totalsOf({ succeeded: 2, failed: 1 }) });
  });

  test('barrier not met, then canceled while paused: nothing is applied, the staged devices are canceled', async () => {
    const h = rollout(stageSpec(true));
    await startRollout(h, ['a', 'b', 'bad']);
    await waveEnds(h, { totals: totalsOf({ failed: 1 }), staged: ['a', 'b'] });
    await control(h, CANCEL);
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ failed: 1, canceled: 2 }) });
    expect(h.open('subOrchestration')).toHaveLength(0);
  });

  test('barrier not met, action abort: the rollout is aborted, naming the staged share', async () => {
    const h = rollout(stageSpec({ stagedPercent: 90, deadlineMinutes: 30 }, { failureThreshold: { percent: 50, action: 'abort' } }));
    await startRollout(h, ['a', 'b', 'bad']);
    await waveEnds(h, { totals: totalsOf({ failed: 1 }), staged: ['a', 'b'] });
    expect(h.output).toMatchObject({ state: 'aborted', totals: totalsOf({ failed: 1, canceled: 2 }) });
    expect((h.output as { error: string }).error).toBe(
      'only 2 of 3 devices of wave 0 (66.67 %) were staged or up to date when its stage pass ended; stageThenApply needs 90 %',
    );
  });

  test('paused during the stage pass past its deadline: the deadline is not moved; the stage pass ends at once on resume', async () => {
    const h = rollout(stageSpec({ stagedPercent: 50, deadlineMinutes: 60 }));
    await startRollout(h, ['a', 'b', 'c']);
    await waveEnds(h, { outcome: 'paused', totals: totalsOf(), remaining: ['c'], staged: ['a'] });
    await control(h, PAUSE);
    h.advance(2 * 3_600_000);
    h.raiseEvent(EVENT.control, {});
    await h.step();
    await control(h, { ...RUN, generation: 3 });
    const again = waveCall(h).input as WaveInput;
    expect(again).toMatchObject({ attempt: 1, deviceIds: ['c'], settings: { pass: 'stage', stageDeadline: at(3600) } });
    await waveEnds(h, { outcome: 'stageDeadline', totals: totalsOf(), remaining: ['c'], staged: [] });
    // a staged before the pause: 1 of 3 staged is under 50 %, so the barrier pauses the rollout.
    expect(status(h)).toMatchObject({ phase: 'paused' });
    await control(h, CANCEL);
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ canceled: 2 }) });
  });

  test('canceled during the stage pass: the staged devices are never applied', async () => {
    const h = rollout(stageSpec(true));
    await startRollout(h, ['a', 'b', 'c']);
    await waveEnds(h, { outcome: 'canceled', totals: totalsOf(), remaining: ['c'], staged: ['a', 'b'] });
    expect(h.isDone).toBe(true);
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ canceled: 3 }) });
    expect(h.open('subOrchestration')).toHaveLength(0);
  });

  test('with maintenance windows, the apply pass starts inside one only', async () => {
    const daily = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '01:00', to: '02:00', timeZone: 'UTC' };
    const h = rollout(stageSpec(true, { schedule: { windows: [daily] } }), '2025-01-01T01:00:00Z');
    await startRollout(h, ['a', 'b']);
    expect((waveCall(h).input as WaveInput).settings.pass).toBe('stage');
    // The stage pass ends after the window closed: the apply pass waits for the next one.
    h.advance(90 * 60_000);
    await waveEnds(h, { totals: totalsOf(), staged: ['a', 'b'] });
    expect(h.open('subOrchestration')).toHaveLength(0);
    expect(status(h)).toMatchObject({ phase: 'waitingForWindow' });
    await control(h);
    const timer = h.open('timer').at(-1)!;
    expect(timer.fireAt).toBe('2025-01-02T01:00:00.000Z');
    h.fireTimer(timer);
    await h.step();
    await control(h);
    expect(waveCall(h).input).toMatchObject({ deviceIds: ['a', 'b'], settings: { pass: 'apply' } });
  });

  test('without stageThenApply nothing changes: one run of the wave, no pass', async () => {
    const h = rollout(specOf({ waves: [{ name: 'all', percent: 100 }] }));
    await startRollout(h, ['a']);
    const input = waveCall(h).input as WaveInput;
    expect([input.settings.pass, input.settings.stageDeadline]).toEqual([undefined, undefined]);
    expect(ledgerOps(h, 'waveState').at(-1)).not.toHaveProperty('pass');
  });
});
