jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { BatchInput, BatchResult, BatchStop } from '../../../functions/src/orchestrators/batch';
import { waveOrchestrator } from '../../../functions/src/orchestrators/wave';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import { MAX_BATCHES_PER_WAVE_EPISODE, MAX_BATCH_DEVICES, addTotals, initialControlState, totalsOf } from '../../../functions/src/rollout';
import type { FailureThreshold, RolloutControlState } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const devices = (count: number): string[] => Array.from({ length: count }, (_, i) => `dev-${i}`);
const NEVER: FailureThreshold = { percent: 100, minDevices: 1, action: 'pause' };
const RUN: RolloutControlState = initialControlState();

function wave(deviceIds: string[], settings: Partial<WaveInput['settings']> = {}, input: Partial<WaveInput> = {}): OrchestrationHarness {
  const waveInput: WaveInput = {
    rolloutId: 'r1',
    wave: { index: 0, name: 'canary' },
    attempt: 0,
    episode: 0,
    deviceIds,
    nextBatch: 0,
    totals: totalsOf(),
    settings: { firmware: FIRMWARE, timeouts: TIMEOUTS, failureThreshold: NEVER, maxConcurrency: 20, shardCount: 3, ...settings },
    ...input,
  };
  return new OrchestrationHarness(waveOrchestrator, { instanceId: 'r1:w0', input: waveInput, parentInstanceId: 'r1', checkInputs: false });
}

/** Answers the wave's control read. */
async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

const batchCall = (h: OrchestrationHarness): Scheduled => h.only('subOrchestration', 'rolloutBatch');
const batchInput = (h: OrchestrationHarness): BatchInput => batchCall(h).input as BatchInput;

/** The running batch returns: every device it was given succeeded, unless told otherwise. */
async function batchReturns(h: OrchestrationHarness, result?: (input: BatchInput) => BatchResult): Promise<BatchInput> {
  const call = batchCall(h);
  const input = call.input as BatchInput;
  const succeeded: BatchResult = { totals: totalsOf({ succeeded: input.deviceIds.length }), remaining: [], stop: null };
  h.completeSubOrchestration(call, result?.(input) ?? succeeded);
  await h.step();
  return input;
}

describe('wave orchestration: batches one after the other', () => {
  test('batches of MAX_BATCH_DEVICES one after the other, each after a control read, with all the slots and the totals so far', async () => {
    const ids = devices(2 * MAX_BATCH_DEVICES + 3);
    const threshold: FailureThreshold = { percent: 50, minDevices: 10, action: 'abort' };
    const h = wave(ids, { failureThreshold: threshold, maxConcurrency: 250 });
    await h.step();
    expect(h.open('subOrchestration')).toHaveLength(0);
    await control(h);
    const first = batchCall(h);
    expect(first.instanceId).toBe('r1:w0:b0');
    expect(first.input).toEqual({
      rolloutId: 'r1',
      wave: 0,
      batch: 0,
      deviceIds: ids.slice(0, MAX_BATCH_DEVICES),
      slots: 250,
      baseline: totalsOf(),
      failureThreshold: threshold,
      shardCount: 3,
      firmware: FIRMWARE,
      timeouts: TIMEOUTS,
      pace: null,
    } satisfies BatchInput);
    expect(h.customStatus).toMatchObject({ rolloutId: 'r1', wave: 0, name: 'canary', attempt: 0, episode: 0, batch: 0, stopReason: null });

    const firstTotals = totalsOf({ succeeded: MAX_BATCH_DEVICES - 10, failed: 6, timedOut: 2, skipped: 2 });
    await batchReturns(h, () => ({ totals: firstTotals, remaining: [], stop: null }));
    // One batch at a time: the next only after the last returned, and after a control read.
    expect(h.open('subOrchestration')).toHaveLength(0);
    await control(h);
    expect(batchCall(h).instanceId).toBe('r1:w0:b1');
    expect(batchInput(h)).toMatchObject({
      batch: 1,
      deviceIds: ids.slice(MAX_BATCH_DEVICES, 2 * MAX_BATCH_DEVICES),
      baseline: firstTotals,
    });
    await batchReturns(h);
    await control(h);
    const secondTotals = addTotals(firstTotals, totalsOf({ succeeded: MAX_BATCH_DEVICES }));
    expect(batchInput(h)).toMatchObject({ batch: 2, deviceIds: ids.slice(2 * MAX_BATCH_DEVICES), baseline: secondTotals });
    await batchReturns(h);
    expect(h.output).toEqual({
      outcome: 'completed',
      totals: addTotals(firstTotals, totalsOf({ succeeded: MAX_BATCH_DEVICES + 3 })),
      remaining: [],
      nextBatch: 3,
    } satisfies WaveResult);
    expect(h.customStatus).toMatchObject({ batch: null, devicesNotStarted: 0 });
  });

  test("the rollout's pace reaches every batch", async () => {
    const pace = { tier: 'S3', units: 2, devicesPerSecond: 500 / 6 } as const;
    const h = wave(devices(3), { pace });
    await h.step();
    await control(h);
    expect(batchInput(h).pace).toEqual(pace);
  });

  test('batch indexes and the baseline continue from the input (a later episode or attempt)', async () => {
    const h = wave(devices(10), {}, { nextBatch: 17, totals: totalsOf({ succeeded: 40, failed: 1 }), attempt: 1, episode: 2 });
    await h.step();
    await control(h);
    expect(batchCall(h).instanceId).toBe('r1:w0:b17');
    expect(batchInput(h)).toMatchObject({ batch: 17, baseline: totalsOf({ succeeded: 40, failed: 1 }) });
    await batchReturns(h);
    expect(h.output).toEqual({ outcome: 'completed', totals: totalsOf({ succeeded: 50, failed: 1 }), remaining: [], nextBatch: 18 });
  });

  test.each(['paused', 'canceled', 'thresholdPause', 'thresholdAbort'] as const)(
    "a batch that stops (%s): its devices not started go back in front of the wave's, the stop is the outcome",
    async (stop: BatchStop) => {
      const ids = devices(MAX_BATCH_DEVICES + 10);
      const h = wave(ids);
      await h.step();
      await control(h);
      const started = 3_002;
      const totals = totalsOf({ succeeded: 3_000, failed: 2 });
      await batchReturns(h, (input) => ({ totals, remaining: input.deviceIds.slice(started), stop }));
      expect(h.open('callEntity')).toHaveLength(0);
      expect(h.open('subOrchestration')).toHaveLength(0);
      const result = h.output as WaveResult;
      expect(result).toEqual({ outcome: stop, totals, remaining: ids.slice(started), nextBatch: 1 } satisfies WaveResult);
      expect(h.customStatus).toMatchObject({ stopReason: stop, devicesNotStarted: ids.length - started });
    },
  );

  test("the wave judges the threshold on the attempt's totals before the next batch (a batch's last devices can trip it)", async () => {
    const ids = devices(MAX_BATCH_DEVICES + 1);
    for (const action of ['pause', 'abort'] as const) {
      const h = wave(ids, { failureThreshold: { percent: 10, minDevices: 100, action } }, { totals: totalsOf({ succeeded: 50 }) });
      await h.step();
      await control(h);
      // The batch judged the threshold before each start, but its last devices failed after: 600 of 5,050 = 11.9 % > 10 %.
      await batchReturns(h, () => ({ totals: totalsOf({ succeeded: 4_400, failed: 300, timedOut: 300 }), remaining: [], stop: null }));
      expect(h.open('callEntity')).toHaveLength(0);
      expect(h.output).toEqual({
        outcome: action === 'pause' ? 'thresholdPause' : 'thresholdAbort',
        totals: totalsOf({ succeeded: 4_450, failed: 300, timedOut: 300 }),
        remaining: ids.slice(MAX_BATCH_DEVICES),
        nextBatch: 1,
      } satisfies WaveResult);
    }

    // Below minDevices it does not judge.
    const h = wave(ids, { failureThreshold: { percent: 0, minDevices: 100, action: 'abort' } });
    await h.step();
    await control(h);
    const totals = totalsOf({ succeeded: 90, failed: 9, skipped: MAX_BATCH_DEVICES - 99 });
    await batchReturns(h, () => ({ totals, remaining: [], stop: null }));
    await control(h);
    expect(batchInput(h).baseline).toEqual(totals);
  });

  test.each([
    ['pause', 'paused'],
    ['cancel', 'canceled'],
  ] as const)('an operator %s read before a batch stops the wave', async (command, outcome) => {
    const ids = devices(MAX_BATCH_DEVICES + 5);
    const h = wave(ids);
    await h.step();
    await control(h);
    await batchReturns(h);
    await control(h, { ...RUN, command, generation: 1 });
    expect(h.open('subOrchestration')).toHaveLength(0);
    const totals = totalsOf({ succeeded: MAX_BATCH_DEVICES });
    expect(h.output).toEqual({ outcome, totals, remaining: ids.slice(MAX_BATCH_DEVICES), nextBatch: 1 } satisfies WaveResult);

    // Before the first batch: nothing starts.
    const before = wave(ids);
    await before.step();
    await control(before, { ...RUN, command, generation: 1 });
    expect(before.output).toEqual({ outcome, totals: totalsOf(), remaining: ids, nextBatch: 0 } satisfies WaveResult);
    expect(before.scheduled.filter((action) => action.kind === 'subOrchestration')).toHaveLength(0);
  });

  test('a batch orchestration that fails (a bug, not a verdict) counts its devices as failed; the wave goes on', async () => {
    const ids = devices(MAX_BATCH_DEVICES + 4);
    const h = wave(ids);
    await h.step();
    await control(h);
    h.failSubOrchestration(batchCall(h), 'TypeError: boom');
    await h.step();
    expect(h.logs.some((line) => line.startsWith('wave.batchFailed') && line.includes('TypeError: boom'))).toBe(true);
    await control(h);
    const failed = totalsOf({ failed: MAX_BATCH_DEVICES });
    expect(batchInput(h)).toMatchObject({ batch: 1, deviceIds: ids.slice(MAX_BATCH_DEVICES), baseline: failed });
    await batchReturns(h);
    expect(h.output).toEqual({ outcome: 'completed', totals: addTotals(failed, totalsOf({ succeeded: 4 })), remaining: [], nextBatch: 2 });

    // Counted as failures, they can trip the threshold.
    const strict = wave(ids, { failureThreshold: { percent: 5, minDevices: 10, action: 'abort' } });
    await strict.step();
    await control(strict);
    strict.failSubOrchestration(batchCall(strict), 'TypeError: boom');
    await strict.step();
    expect(strict.output).toMatchObject({ outcome: 'thresholdAbort', remaining: ids.slice(MAX_BATCH_DEVICES) });
  });

  test(`continues as new after ${MAX_BATCHES_PER_WAVE_EPISODE} batches with the devices not started and the totals`, async () => {
    const ids = devices(MAX_BATCHES_PER_WAVE_EPISODE * MAX_BATCH_DEVICES + 2);
    const h = wave(ids);
    await h.step();
    let batches = 0;
    while (h.continuedWith === undefined) {
      await control(h);
      await batchReturns(h);
      batches += 1;
    }
    expect(batches).toBe(MAX_BATCHES_PER_WAVE_EPISODE);
    const next = h.continuedWith as WaveInput;
    const totals = totalsOf({ succeeded: MAX_BATCHES_PER_WAVE_EPISODE * MAX_BATCH_DEVICES });
    expect(next).toMatchObject({ episode: 1, attempt: 0, nextBatch: MAX_BATCHES_PER_WAVE_EPISODE, totals });
    expect(next.deviceIds).toEqual(ids.slice(-2));
    h.nextExecution();
    await h.step();
    await control(h);
    expect(batchCall(h).instanceId).toBe(`r1:w0:b${MAX_BATCHES_PER_WAVE_EPISODE}`);
    expect(batchInput(h)).toMatchObject({ deviceIds: ids.slice(-2), baseline: next.totals });
    await batchReturns(h);
    const nextBatch = MAX_BATCHES_PER_WAVE_EPISODE + 1;
    expect(h.output).toEqual({ outcome: 'completed', totals: totalsOf({ succeeded: ids.length }), remaining: [], nextBatch });
  }, 120_000);
});
