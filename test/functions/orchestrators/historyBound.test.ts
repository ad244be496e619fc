jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/**
 * A 100,000-device rollout, planned and driven through the real orchestrators with
 * durable-functions' replay: the largest history (events in one execution, OrchestratorStarted/
 * Completed pairs included) each orchestration reaches, measured, must stay under a bound that
 * follows from the constants, and must not grow with the fleet.
 *
 *   rollout  ≤ 400: resolve (≤ 4 tries), ≤ MAX_DEVICE_SHARDS addRows signals, and per wave a handful
 *            of events (the wave, soak timer, control reads, phase signals)          (measured 221, 4 waves)
 *   wave     ≤ 3 + 8 × MAX_BATCHES_PER_WAVE_EPISODE = 403: the start (3), then per batch a control read
 *            (op sent, answer, its episode: 4) and the batch (created, completed, its episode: 4); after
 *            MAX_BATCHES_PER_WAVE_EPISODE batches it continues as new. The 50,000-device wave of the plan
 *            is 10 batches (83); a wave of more than MAX_BATCHES_PER_WAVE_EPISODE batches reaches the bound.
 *   batch    ≤ 3 + (BATCH_STEPS_PER_EPISODE + 2) × (26 + E + MAX_DEVICE_SHARDS) + 8 × BATCH_STEPS_PER_EPISODE:
 *            an execution waits at most BATCH_STEPS_PER_EPISODE times, then drains and continues as new.
 *            Each pass of its loop adds at most: due retries (control read and method call, 8), a twin
 *            read (4), a start (control read and method call, 8), a publish (an op per shard touched,
 *            ≤ MAX_DEVICE_SHARDS) and its wait: the timer (created, fired, the episodes of both: 6) and the
 *            E twinReport events it takes (one per Event Hub batch; at most one per open wait, E ≤
 *            OPEN_WAITS = 16: an event that comes while the batch waits wakes it alone, as in these runs,
 *            those that come during an activity are taken together at the next wait, beyond 16 one per
 *            wait). +2: the pass that drains instead of waiting, and the drain. A pass starts devices at
 *            most once (the method call goes into its wait), so devices that settle at the call cannot
 *            pile starts into one execution; the last term (8 per wait) keeps the margin the blocking calls
 *            needed. 4,037, of which 2,700 for publishes to every shard (a batch in shard order touches
 *            fewer).
 *            Measured with MAX_BATCH_DEVICES devices, 1000 slots and busy devices retried (424), a device
 *            offline for the week its retry window allows (211), and 1,000 devices that all settle at the
 *            method call with one slot (162).
 */
import type { InvokeFirmwareUpdateInput } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { DeviceTwinRead, ReadDeviceTwinsInput } from '../../../functions/src/activities/readDeviceTwins';
import { BATCH_STEPS_PER_EPISODE, OPEN_WAITS, batchOrchestrator } from '../../../functions/src/orchestrators/batch';
import type { BatchInput, BatchResult } from '../../../functions/src/orchestrators/batch';
import { EVENT } from '../../../functions/src/orchestrators/contracts';
import type { TwinReportEvent } from '../../../functions/src/orchestrators/contracts';
import { rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { RolloutInput, RolloutOutput } from '../../../functions/src/orchestrators/rollout';
import { waveOrchestrator } from '../../../functions/src/orchestrators/wave';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import {
  MAX_BATCHES_PER_WAVE_EPISODE,
  MAX_BATCH_DEVICES,
  MAX_CHILDREN_PER_HISTORY,
  MAX_DEVICE_SHARDS,
  groupByShard,
  historyBound,
  initialControlState,
  planWaves,
  shardCountFor,
  shardOf,
  totalsOf,
} from '../../../functions/src/rollout';
import type { FailureThreshold, InvokeOutcome, TwinReport } from '../../../functions/src/rollout';
import type { FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { FIRMWARE, TIMEOUTS, deviceReport, specOf, twinEvent } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';

const FLEET = 100_000;
/** The most twinReport events a batch takes at one wait: one per open wait (see E above). */
const EVENTS_PER_WAIT = OPEN_WAITS;
/** The driven batches' traffic: Event Hub batches a second and reports in each. */
const EVENT_HUB_BATCHES_PER_SECOND = 2;
const REPORTS_PER_EVENT = 250;
const BOUND = {
  rollout: 400,
  wave: 3 + 8 * MAX_BATCHES_PER_WAVE_EPISODE,
  batch: 3 + (BATCH_STEPS_PER_EPISODE + 2) * (26 + EVENTS_PER_WAIT + MAX_DEVICE_SHARDS) + 8 * BATCH_STEPS_PER_EPISODE,
};

const fleet = (size: number): string[] => Array.from({ length: size }, (_, i) => `thermo-${String(i).padStart(6, '0')}`);
const WAVES = [
  { name: 'canary', percent: 1 },
  { name: 'early', percent: 10 },
  { name: 'half', percent: 50 },
  { name: 'all', percent: 100 },
];
const WEEK_MINUTES = 7 * 24 * 60;
const THRESHOLD: FailureThreshold = { percent: 5, minDevices: 100, action: 'pause' };

/** Runs a wave orchestration to its end through every continue-as-new; every batch succeeds. */
async function driveWave(deviceIds: string[]): Promise<{ maxHistory: number; executions: number; batches: number; result: WaveResult }> {
  const input: WaveInput = {
    rolloutId: 'big',
    wave: { index: 3, name: 'all' },
    attempt: 0,
    episode: 0,
    deviceIds,
    nextBatch: 0,
    totals: totalsOf(),
    settings: { firmware: FIRMWARE, timeouts: TIMEOUTS, failureThreshold: THRESHOLD, maxConcurrency: 1000, shardCount: MAX_DEVICE_SHARDS },
  };
  const h = new OrchestrationHarness(waveOrchestrator, { instanceId: 'big:w3', input, parentInstanceId: 'big', checkInputs: false });
  let batches = 0;
  await h.step();
  while (!h.isDone) {
    if (h.continuedWith !== undefined) h.nextExecution();
    else if (h.open('callEntity').length > 0) h.respondEntity(h.only('callEntity', 'get'), initialControlState());
    else {
      const batch = h.only('subOrchestration', 'rolloutBatch');
      batches += 1;
      const succeeded = totalsOf({ succeeded: (batch.input as BatchInput).deviceIds.length });
      h.completeSubOrchestration(batch, { totals: succeeded, remaining: [], stop: null } satisfies BatchResult);
    }
    await h.step();
  }
  return { maxHistory: h.maxHistory, executions: h.execution + 1, batches, result: h.output as WaveResult };
}

interface BatchRun {
  h: OrchestrationHarness;
  result: BatchResult;
  /** Method calls per device. */
  calls: Map<string, number>;
}

/**
 * Runs a batch to its end as Azure would: method calls answered by `answer` (a device's answer to its
 * n-th call), each accepted device reporting its five statuses (the oldest news first, in Event Hub
 * batches that come while the batch waits), twin reads answered from the twins, control reads
 * answered `run`, and when nothing reports, time going on to the next timer, every timer due firing
 * (those of waits long over too: Durable does not cancel them).
 */
async function driveBatch(input: BatchInput, answer: (deviceId: string, call: number) => InvokeOutcome): Promise<BatchRun> {
  const statuses: FirmwareUpdateStatus[] = ['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete'];
  const calls = new Map<string, number>();
  const twins = new Map<string, { twinVersion: number; status: number }>();
  const reporting: string[] = [];
  /** A device reports the version it runs along with applyComplete. */
  const versionWith = (status: FirmwareUpdateStatus): { currentFwVersion?: string } =>
    status === 'applyComplete' ? { currentFwVersion: FIRMWARE.version } : {};
  const twinReport = (deviceId: string): TwinReport => {
    const twin = twins.get(deviceId) ?? { twinVersion: 1, status: -1 };
    if (twin.status < 0) return { twinVersion: twin.twinVersion };
    const status = statuses[twin.status];
    return { twinVersion: twin.twinVersion, firmwareUpdate: deviceReport(status, {}, input.rolloutId), ...versionWith(status) };
  };
  const twinRead = (deviceId: string): DeviceTwinRead => ({ deviceId, read: { found: true, report: twinReport(deviceId) } });
  /** The device's next report. */
  const eventOf = (deviceId: string): TwinReportEvent => {
    const twin = twins.get(deviceId)!;
    twin.status += 1;
    twin.twinVersion += 1;
    if (twin.status < statuses.length - 1) reporting.push(deviceId);
    const status = statuses[twin.status];
    return twinEvent(twin.twinVersion, status, { deviceId, rolloutId: input.rolloutId, ...versionWith(status) });
  };

  const h = new OrchestrationHarness(batchOrchestrator, { instanceId: 'big:w1:b0', input, parentInstanceId: 'big:w1', checkInputs: false });
  await h.step();
  while (!h.isDone) {
    const [invoke] = h.open('activity', 'invokeFirmwareUpdate');
    const [read] = h.open('activity', 'readDeviceTwins');
    const [get] = h.open('callEntity', 'get');
    if (h.continuedWith !== undefined) {
      h.nextExecution();
    } else if (invoke !== undefined) {
      h.completeActivity(
        invoke,
        (invoke.input as InvokeFirmwareUpdateInput).deviceIds.map((deviceId) => {
          const call = (calls.get(deviceId) ?? 0) + 1;
          calls.set(deviceId, call);
          const outcome = answer(deviceId, call);
          if (outcome.kind === 'accepted') {
            twins.set(deviceId, { twinVersion: 1, status: -1 });
            reporting.push(deviceId);
          }
          return { deviceId, outcome };
        }),
      );
    } else if (read !== undefined) {
      const { deviceIds } = read.input as ReadDeviceTwinsInput;
      h.completeActivity(read, deviceIds.map(twinRead));
    } else if (get !== undefined) {
      h.respondEntity(get, initialControlState());
    } else if (reporting.length > 0) {
      h.advance(1000);
      for (let event = 0; event < EVENT_HUB_BATCHES_PER_SECOND && reporting.length > 0; event += 1) {
        h.raiseEvent(EVENT.twinReport, { reports: reporting.splice(0, REPORTS_PER_EVENT).map(eventOf) });
      }
    } else {
      h.advance(Math.min(...h.open('timer').map((timer) => Date.parse(timer.fireAt!))) - h.now.getTime());
    }
    for (const timer of h.open('timer')) if (Date.parse(timer.fireAt!) <= h.now.getTime()) h.fireTimer(timer);
    await h.step();
  }
  return { h, result: h.output as BatchResult, calls };
}

describe(`history bound of a ${FLEET.toLocaleString('en')}-device rollout`, () => {
  const devices = fleet(FLEET);
  const plan = planWaves(devices, WAVES);

  test('the plan: waves, batches and children per history from the domain', () => {
    expect(plan.map((wave) => wave.deviceIds.length)).toEqual([1_000, 9_000, 40_000, 50_000]);
    const batches = 50_000 / MAX_BATCH_DEVICES;
    expect(historyBound(plan)).toEqual({
      rolloutChildren: 4,
      waveEpisodeChildren: batches,
      batchDevices: MAX_BATCH_DEVICES,
      waveEpisodes: 1,
    });
    expect(MAX_CHILDREN_PER_HISTORY).toBe(MAX_BATCHES_PER_WAVE_EPISODE);
  });

  test(`rollout orchestration: ≤ ${BOUND.rollout} events with 100,000 targets, soak and approval`, async () => {
    const spec = specOf({ waves: WAVES, soakSeconds: 600, approval: 'manual' });
    const input: RolloutInput = { rolloutId: 'big', spec, specHash: 'h', createdAt: '2025-01-01T00:00:00.000Z' };
    const h = new OrchestrationHarness(rolloutOrchestrator, { instanceId: 'big', input, checkInputs: false });
    await h.step();
    h.completeActivity(h.only('activity', 'resolveTargets'), { targets: devices.slice(500), skipped: devices.slice(0, 500) });
    await h.step();
    expect(h.signals('addRows').length).toBeLessThanOrEqual(MAX_DEVICE_SHARDS);
    let approved = -1;
    while (!h.isDone) {
      const read = h.open('callEntity');
      const wave = h.open('subOrchestration');
      const timer = h.open('timer');
      if (read.length > 0) {
        const status = h.customStatus as { phase: string; wave: number };
        if (status.phase === 'awaitingApproval' && approved < status.wave) {
          // The operator approves on the second look.
          approved = h.signals('phase').length % 2 === 0 ? status.wave : approved;
        }
        h.respondEntity(read[0], { ...initialControlState(), approvedThrough: approved });
      } else if (wave.length > 0) {
        const waveInput = wave[0].input as WaveInput;
        // The batches' devices share few shards: the wave gets its devices in shard order.
        const shards = waveInput.deviceIds.map((id) => shardOf(id, waveInput.settings.shardCount));
        expect(shards.every((shard, i) => i === 0 || shards[i - 1] <= shard)).toBe(true);
        const totals = totalsOf({ succeeded: waveInput.deviceIds.length });
        h.completeSubOrchestration(wave[0], { outcome: 'completed', totals, remaining: [], nextBatch: 0 } satisfies WaveResult);
      } else if (timer.length > 0) {
        h.fireTimer(timer[0]);
      } else {
        h.raiseEvent(EVENT.control, { operation: 'approve', requestedAt: h.now.toISOString() });
      }
      await h.step();
    }
    const totals = totalsOf({ succeeded: FLEET - 500, skipped: 500 });
    expect(h.output).toMatchObject({ state: 'completed', totals } satisfies Partial<RolloutOutput>);
    expect(h.execution).toBe(0);
    expect(h.maxHistory).toBeLessThanOrEqual(BOUND.rollout);
  }, 120_000);

  test(`wave orchestration: ≤ ${BOUND.wave} events per execution, however many batches`, async () => {
    const largest = await driveWave(plan[3].deviceIds);
    expect(largest).toMatchObject({ executions: 1, batches: 50_000 / MAX_BATCH_DEVICES });
    expect(largest.result).toEqual({ outcome: 'completed', totals: totalsOf({ succeeded: 50_000 }), remaining: [], nextBatch: 10 });
    expect(largest.maxHistory).toBe(3 + 8 * 10);

    // A wave of more batches than an execution starts: every execution stays at the bound, whatever the wave's size.
    const huge = await driveWave(fleet(MAX_BATCHES_PER_WAVE_EPISODE * MAX_BATCH_DEVICES + 1));
    expect(huge).toMatchObject({ executions: 2, batches: MAX_BATCHES_PER_WAVE_EPISODE + 1 });
    expect(huge.result.totals.succeeded).toBe(MAX_BATCHES_PER_WAVE_EPISODE * MAX_BATCH_DEVICES + 1);
    expect(huge.maxHistory).toBe(BOUND.wave);
  }, 120_000);

  const batchInput = (deviceIds: string[], overrides: Partial<BatchInput> = {}): BatchInput => ({
    rolloutId: 'big',
    wave: 1,
    batch: 0,
    deviceIds,
    slots: 1000,
    baseline: totalsOf(),
    failureThreshold: THRESHOLD,
    shardCount: shardCountFor(FLEET),
    firmware: FIRMWARE,
    timeouts: TIMEOUTS,
    ...overrides,
  });
  const BUSY: InvokeOutcome = { kind: 'busy', rolloutId: 'older', message: 'Update older is downloading.' };

  test(`batch orchestration: ≤ ${BOUND.batch} events per execution, ${MAX_BATCH_DEVICES} devices, 1000 slots, one in ten busy`, async () => {
    // The first batch of the 9,000-device wave, in shard order: its devices are in about half of the shards.
    const deviceIds = groupByShard(plan[1].deviceIds, shardCountFor(FLEET), (id) => id)
      .flat()
      .slice(0, MAX_BATCH_DEVICES);
    const { h, result, calls } = await driveBatch(batchInput(deviceIds), (deviceId, call) =>
      call === 1 && deviceId.endsWith('7') ? BUSY : { kind: 'accepted' },
    );
    expect(result).toEqual({ totals: totalsOf({ succeeded: MAX_BATCH_DEVICES }), remaining: [], stop: null } satisfies BatchResult);
    expect([...calls.values()].filter((count) => count === 2)).toHaveLength(deviceIds.filter((id) => id.endsWith('7')).length);
    expect(h.execution).toBeGreaterThan(0);
    expect(h.maxHistory).toBeLessThanOrEqual(BOUND.batch);
  }, 300_000);

  test(`batch orchestration: ≤ ${BOUND.batch} events per execution with a device offline for a week`, async () => {
    const deviceIds = ['thermo-000001', 'thermo-000002', 'thermo-000003'];
    const offline = deviceIds[1];
    const input = batchInput(deviceIds, { timeouts: { ...TIMEOUTS, offlineRetryMinutes: WEEK_MINUTES } });
    const { h, result, calls } = await driveBatch(input, (deviceId) =>
      deviceId === offline ? { kind: 'offline', message: 'HTTP 404, IoT Hub error 404103' } : { kind: 'accepted' },
    );
    expect(result).toEqual({ totals: totalsOf({ succeeded: 2, timedOut: 1 }), remaining: [], stop: null } satisfies BatchResult);
    expect(h.now.getTime() - Date.parse('2025-01-01T00:00:00Z')).toBeGreaterThan((WEEK_MINUTES - 10) * 60_000);
    expect(calls.get(offline)).toBeGreaterThan(1_000);
    expect(h.execution).toBeGreaterThan(20);
    expect(h.maxHistory).toBeLessThanOrEqual(BOUND.batch);
  }, 300_000);

  test(`batch orchestration: ≤ ${BOUND.batch} events per execution when every device settles at the method call, one slot`, async () => {
    const deviceIds = fleet(1_000);
    const skipped: InvokeOutcome = { kind: 'alreadyInstalled', fwVersion: FIRMWARE.version };
    const { h, result } = await driveBatch(batchInput(deviceIds, { slots: 1 }), () => skipped);
    expect(result).toEqual({ totals: totalsOf({ skipped: deviceIds.length }), remaining: [], stop: null });
    expect(h.execution).toBeGreaterThan(deviceIds.length / (2 * BATCH_STEPS_PER_EPISODE));
    expect(h.maxHistory).toBeLessThanOrEqual(BOUND.batch);
  }, 300_000);
});
