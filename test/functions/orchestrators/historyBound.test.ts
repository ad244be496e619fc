jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

/**
 * A 100,000-device rollout, planned and driven through the real orchestrators with
 * durable-functions' replay: the largest history (events in one execution) each orchestration
 * reaches, measured, must stay under the stated bound — and must not grow with the fleet.
 *
 * The bounds (history events of one execution, OrchestratorStarted/Completed pairs included), and
 * what this test measured when it was written:
 *   rollout  ≤ 400  resolve, ≤ 100 shard signals, per wave a handful of events      (221, 4 waves)
 *   wave     ≤ 600  per episode ≤ 50 batches × (created, completed, batchDone)
 *                   + a control read per refill                    (183; 417 when every batch ends alone)
 *   batch    ≤ 450  one method call for all + ≤ 100 devices × (created, completed) + the notification (411)
 *   device   ≤ 200  ≤ 40 steps per episode, then continue-as-new                        (≈170)
 */
import type { InvokeOutcome } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { BatchDoneEvent, BatchInput } from '../../../functions/src/orchestrators/batch';
import { batchOrchestrator } from '../../../functions/src/orchestrators/batch';
import { deviceOrchestrator } from '../../../functions/src/orchestrators/device';
import type { DeviceInput, DeviceResult } from '../../../functions/src/orchestrators/device';
import { EVENT } from '../../../functions/src/orchestrators/names';
import { rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { RolloutInput, RolloutOutput } from '../../../functions/src/orchestrators/rollout';
import { waveOrchestrator } from '../../../functions/src/orchestrators/wave';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import {
  MAX_BATCHES_PER_WAVE_EPISODE,
  MAX_BATCH_SIZE,
  MAX_CHILDREN_PER_HISTORY,
  MAX_DEVICE_SHARDS,
  historyBound,
  initialControlState,
  planWaves,
  totalsOf,
} from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS, specOf, twinEvent } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';

const FLEET = 100_000;
const BOUND = { rollout: 400, wave: 600, batch: 450, device: 200 };

const fleet = (size: number): string[] => Array.from({ length: size }, (_, i) => `thermo-${String(i).padStart(6, '0')}`);
const WAVES = [{ name: 'canary', percent: 1 }, { name: 'early', percent: 10 }, { name: 'half', percent: 50 }, { name: 'all', percent: 100 }];

/** Runs a wave orchestration to its end through every continue-as-new; every batch succeeds. */
async function driveWave(deviceIds: string[], maxConcurrency: number, oneAtATime = false): Promise<{ maxHistory: number; executions: number; result: WaveResult; batches: number; maxBatch: number }> {
  const input: WaveInput = {
    rolloutId: 'big',
    wave: { index: 3, name: 'all' },
    attempt: 0,
    episode: 0,
    deviceIds,
    nextBatch: 0,
    totals: totalsOf(),
    settings: { firmware: FIRMWARE, timeouts: TIMEOUTS, failureThreshold: { percent: 5, minDevices: 100, action: 'pause' }, maxConcurrency, shardCount: MAX_DEVICE_SHARDS },
  };
  const h = new OrchestrationHarness(waveOrchestrator, { instanceId: 'big:w3', input, parentInstanceId: 'big', checkInputs: false });
  let batches = 0;
  let maxBatch = 0;
  await h.step();
  while (!h.isDone) {
    if (h.continuedWith !== undefined) {
      h.nextExecution();
      await h.step();
      continue;
    }
    const read = h.open('callEntity');
    if (read.length > 0) {
      h.respondEntity(read[0], initialControlState());
    } else {
      const running = h.open('subOrchestration');
      for (const batch of oneAtATime ? running.slice(0, 1) : running) {
        const size = (batch.input as BatchInput).deviceIds.length;
        batches += 1;
        maxBatch = Math.max(maxBatch, size);
        const result = { batchInstanceId: batch.instanceId!, totals: totalsOf({ succeeded: size }), orchestrationFailures: 0 };
        // As on Azure: the batch's notification and its completion both reach the wave.
        h.raiseEvent(EVENT.batchDone, { batchInstanceId: batch.instanceId!, result } satisfies BatchDoneEvent);
        h.completeSubOrchestration(batch, result);
      }
    }
    await h.step();
  }
  return { maxHistory: h.maxHistory, executions: h.execution + 1, result: h.output as WaveResult, batches, maxBatch };
}

describe(`history bound of a ${FLEET.toLocaleString('en')}-device rollout`, () => {
  const devices = fleet(FLEET);

  test('the plan: waves, batches and children per history from the domain', () => {
    const plan = planWaves(devices, WAVES);
    expect(plan.map((wave) => wave.deviceIds.length)).toEqual([1_000, 9_000, 40_000, 50_000]);
    expect(historyBound(plan, 50)).toEqual({ rolloutChildren: 4, waveEpisodeChildren: MAX_BATCHES_PER_WAVE_EPISODE, batchChildren: 5, waveEpisodes: 200 });
    expect(historyBound(plan, 1000)).toEqual({ rolloutChildren: 4, waveEpisodeChildren: MAX_BATCHES_PER_WAVE_EPISODE, batchChildren: MAX_BATCH_SIZE, waveEpisodes: 10 });
    expect(MAX_CHILDREN_PER_HISTORY).toBe(100);
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
        h.completeSubOrchestration(wave[0], { outcome: 'completed', totals: totalsOf({ succeeded: waveInput.deviceIds.length }), remaining: [], nextBatch: 0 } satisfies WaveResult);
      } else if (timer.length > 0) {
        h.fireTimer(timer[0]);
      } else {
        h.raiseEvent(EVENT.control, { operation: 'approve', requestedAt: h.now.toISOString() });
      }
      await h.step();
    }
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: FLEET - 500, skipped: 500 }) } satisfies Partial<RolloutOutput>);
    expect(h.execution).toBe(0);
    expect(h.maxHistory).toBeLessThanOrEqual(BOUND.rollout);
  }, 120_000);

  test(`wave orchestration: ≤ ${BOUND.wave} events per execution for the largest wave, whatever the concurrency`, async () => {
    const largest = planWaves(devices, WAVES)[3].deviceIds; // 50,000 devices
    const fast = await driveWave(largest, 1000);
    expect(fast).toMatchObject({ executions: 10, batches: 500, maxBatch: 100 });
    expect(fast.result).toEqual({ outcome: 'completed', totals: totalsOf({ succeeded: 50_000 }), remaining: [], nextBatch: 500 });
    expect(fast.maxHistory).toBeLessThanOrEqual(BOUND.wave);

    const slow = await driveWave(largest, 50);
    expect(slow).toMatchObject({ executions: 200, batches: 10_000, maxBatch: 5 });
    expect(slow.result.totals.succeeded).toBe(50_000);
    expect(slow.maxHistory).toBeLessThanOrEqual(BOUND.wave);

    // Ten times fewer devices, the same largest history: it does not grow with the fleet.
    const small = await driveWave(largest.slice(0, 5_000), 50);
    expect(small.executions).toBe(20);
    expect(small.maxHistory).toBe(slow.maxHistory);

    // The worst case: every batch finishes in an episode of its own (most history per batch).
    const worst = await driveWave(largest.slice(0, 600), 50, true);
    expect(worst).toMatchObject({ executions: 3, batches: 120 });
    expect(worst.maxHistory).toBeGreaterThan(slow.maxHistory);
    expect(worst.maxHistory).toBeLessThanOrEqual(BOUND.wave);
  }, 120_000);

  test(`batch orchestration: ≤ ${BOUND.batch} events with ${MAX_BATCH_SIZE} devices`, async () => {
    const input: BatchInput = { rolloutId: 'big', wave: 3, batch: 0, deviceIds: devices.slice(0, MAX_BATCH_SIZE), shardCount: MAX_DEVICE_SHARDS, firmware: FIRMWARE, timeouts: TIMEOUTS };
    const h = new OrchestrationHarness(batchOrchestrator, { instanceId: 'big:w3:b0', input, parentInstanceId: 'big:w3' });
    await h.step();
    h.completeActivity(h.only('activity', 'invokeFirmwareUpdate'), input.deviceIds.map((deviceId) => ({ deviceId, outcome: { kind: 'accepted' } })));
    await h.step();
    for (const device of h.open('subOrchestration')) {
      h.completeSubOrchestration(device, { deviceId: (device.input as DeviceInput).deviceId, state: 'succeeded', error: null } satisfies DeviceResult);
      await h.step();
    }
    h.completeActivity(h.only('activity', 'sendEvent'), { delivered: true });
    await h.step();
    expect(h.isDone).toBe(true);
    expect(h.maxHistory).toBeLessThanOrEqual(BOUND.batch);
  });

  test(`device orchestration: ≤ ${BOUND.device} events per execution, for a chatty device and a week offline`, async () => {
    const device = (timeouts = TIMEOUTS): OrchestrationHarness =>
      new OrchestrationHarness(deviceOrchestrator, {
        instanceId: 'big:d:thermo-000001',
        input: { rolloutId: 'big', deviceId: 'thermo-000001', wave: 3, shardCount: MAX_DEVICE_SHARDS, firmware: FIRMWARE, timeouts } satisfies DeviceInput,
      });

    const answer = (outcome: InvokeOutcome) => [{ deviceId: 'thermo-000001', outcome }];
    // 500 reports (a device re-reporting downloading over and over) before it succeeds.
    const chatty = device();
    await chatty.step();
    chatty.completeActivity(chatty.only('activity', 'invokeFirmwareUpdate'), answer({ kind: 'accepted' }));
    await chatty.step();
    let version = 2;
    for (let i = 0; i < 500; i += 1) {
      if (chatty.continuedWith !== undefined) {
        chatty.nextExecution();
        await chatty.step();
        chatty.completeActivity(chatty.only('activity', 'readDeviceTwin'), { found: false });
        await chatty.step();
      }
      chatty.raiseEvent(EVENT.twinReport, twinEvent(version++, i === 0 ? 'waiting' : 'downloading', { rolloutId: 'big' }));
      await chatty.step();
    }
    expect(chatty.execution).toBeGreaterThan(5);
    expect(chatty.maxHistory).toBeLessThanOrEqual(BOUND.device);

    // Offline for the longest retry window the spec allows (7 days), then timed out.
    const offline = device({ ...TIMEOUTS, offlineRetryMinutes: 7 * 24 * 60 });
    await offline.step();
    while (!offline.isDone) {
      if (offline.continuedWith !== undefined) {
        offline.nextExecution();
      } else if (offline.open('activity').length > 0) {
        offline.completeActivity(offline.only('activity', 'invokeFirmwareUpdate'), answer({ kind: 'offline', message: '404103' }));
      } else if (offline.open('callEntity').length > 0) {
        offline.respondEntity(offline.only('callEntity'), initialControlState());
      } else {
        offline.fireTimer(offline.only('timer'));
      }
      await offline.step();
    }
    expect(offline.output).toMatchObject({ state: 'timedOut', error: { code: 'offline' } });
    expect(offline.now.getTime() - Date.parse('2025-01-01T00:00:00Z')).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    expect(offline.execution).toBeGreaterThan(10);
    expect(offline.maxHistory).toBeLessThanOrEqual(BOUND.device);
  });
});
