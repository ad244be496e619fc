jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { BatchDoneEvent, BatchInput } from '../../../functions/src/orchestrators/batch';
import { EVENT } from '../../../functions/src/orchestrators/names';
import { waveOrchestrator } from '../../../functions/src/orchestrators/wave';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import { MAX_BATCHES_PER_WAVE_EPISODE, initialControlState, totalsOf } from '../../../functions/src/rollout';
import type { RolloutControlState, Totals } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const devices = (count: number): string[] => Array.from({ length: count }, (_, i) => `dev-${String(i).padStart(4, '0')}`);

function wave(deviceIds: string[], overrides: Partial<WaveInput['settings']> = {}): OrchestrationHarness {
  const input: WaveInput = {
    rolloutId: 'r1',
    wave: { index: 0, name: 'canary' },
    attempt: 0,
    episode: 0,
    deviceIds,
    nextBatch: 0,
    totals: totalsOf(),
    settings: { firmware: FIRMWARE, timeouts: TIMEOUTS, failureThreshold: { percent: 100, minDevices: 1, action: 'pause' }, maxConcurrency: 20, shardCount: 1, ...overrides },
  };
  return new OrchestrationHarness(waveOrchestrator, { instanceId: 'r1:w0', input, parentInstanceId: 'r1' });
}

const RUN: RolloutControlState = initialControlState();

/** Answers the wave's control read. */
async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

/** The batches finish (their batchDone events arrive), with these totals each. */
async function finishBatches(h: OrchestrationHarness, batches: Scheduled[], totals: (batch: Scheduled) => Totals): Promise<void> {
  for (const batch of batches) {
    const event: BatchDoneEvent = { batchInstanceId: batch.instanceId!, result: { batchInstanceId: batch.instanceId!, totals: totals(batch), orchestrationFailures: 0 } };
    h.raiseEvent(EVENT.batchDone, event);
    // The batch's own completion also reaches the wave (it is a sub-orchestration); it is ignored
    // in favour of the event, and must not count twice.
    h.completeSubOrchestration(batch, event.result);
  }
  await h.step();
}

const allSucceeded = (batch: Scheduled): Totals => totalsOf({ succeeded: (batch.input as BatchInput).deviceIds.length });
const runningDevices = (h: OrchestrationHarness): number => h.open('subOrchestration').reduce((sum, b) => sum + (b.input as BatchInput).deviceIds.length, 0);

describe('wave orchestration', () => {
  test('batches of ceil(maxConcurrency/10) devices, floor(maxConcurrency/batchSize) at a time, refilled as they finish', async () => {
    const h = wave(devices(45)); // maxConcurrency 20: batches of 2, 10 in flight
    await h.step();
    await control(h);
    const first = h.open('subOrchestration');
    expect(first).toHaveLength(10);
    expect(first.map((b) => b.instanceId)).toEqual(Array.from({ length: 10 }, (_, i) => `r1:w0:b${i}`));
    expect(first[3].input).toEqual({ rolloutId: 'r1', wave: 0, batch: 3, deviceIds: ['dev-0006', 'dev-0007'], shardCount: 1, firmware: FIRMWARE, timeouts: TIMEOUTS } satisfies BatchInput);
    expect(runningDevices(h)).toBe(20);

    await finishBatches(h, [first[3], first[8]], allSucceeded);
    await control(h);
    expect(h.open('subOrchestration').map((b) => b.instanceId)).toEqual(expect.arrayContaining(['r1:w0:b10', 'r1:w0:b11']));
    expect(runningDevices(h)).toBe(20);

    // Drain: keep finishing whatever runs until the wave returns.
    while (!h.isDone) {
      if (h.open('callEntity').length > 0) await control(h);
      else await finishBatches(h, h.open('subOrchestration'), allSucceeded);
      expect(runningDevices(h)).toBeLessThanOrEqual(20);
    }
    const result = h.output as WaveResult;
    expect(result).toEqual({ outcome: 'completed', totals: totalsOf({ succeeded: 45 }), remaining: [], nextBatch: 23 });
    // The last batch holds the one device left over.
    expect((h.scheduled.find((a) => a.instanceId === 'r1:w0:b22')!.input as BatchInput).deviceIds).toEqual(['dev-0044']);
  });

  test('a duplicate batchDone (a retried notification) is counted once', async () => {
    const h = wave(devices(4), { maxConcurrency: 20 });
    await h.step();
    await control(h);
    const [b0, b1] = h.open('subOrchestration');
    const event: BatchDoneEvent = { batchInstanceId: b0.instanceId!, result: { batchInstanceId: b0.instanceId!, totals: totalsOf({ succeeded: 2 }), orchestrationFailures: 0 } };
    h.raiseEvent(EVENT.batchDone, event);
    h.raiseEvent(EVENT.batchDone, event);
    await h.step();
    await finishBatches(h, [b1], allSucceeded);
    expect(h.output).toMatchObject({ outcome: 'completed', totals: totalsOf({ succeeded: 4 }) });
  });

  test('the failure threshold pauses: no new batches, running ones finish, the rest is returned', async () => {
    const h = wave(devices(40), { maxConcurrency: 20, failureThreshold: { percent: 10, minDevices: 4, action: 'pause' } });
    await h.step();
    await control(h);
    const running = h.open('subOrchestration');
    // 2 batches: 1 failure in 4 finished devices = 25 % > 10 %.
    await finishBatches(h, [running[0]], () => totalsOf({ succeeded: 2 }));
    await control(h);
    await finishBatches(h, [running[1]], () => totalsOf({ succeeded: 1, failed: 1 }));
    expect(h.open('callEntity')).toHaveLength(0); // stopping: no control read, no new batch
    expect(h.customStatus).toMatchObject({ phase: 'stopping', stopReason: 'thresholdPause' });
    const stillRunning = h.open('subOrchestration');
    expect(stillRunning).toHaveLength(9);
    await finishBatches(h, stillRunning, allSucceeded);
    const result = h.output as WaveResult;
    expect(result.outcome).toBe('thresholdPause');
    expect(result.totals).toEqual(totalsOf({ succeeded: 21, failed: 1 }));
    expect(result.remaining).toEqual(devices(40).slice(22));
    expect(result.nextBatch).toBe(11);
  });

  test('the failure threshold aborts when its action is abort', async () => {
    const h = wave(devices(10), { maxConcurrency: 20, failureThreshold: { percent: 0, minDevices: 2, action: 'abort' } });
    await h.step();
    await control(h);
    await finishBatches(h, h.open('subOrchestration'), () => totalsOf({ succeeded: 1, timedOut: 1 }));
    expect(h.output).toMatchObject({ outcome: 'thresholdAbort', remaining: [] });
  });

  test('below minDevices the threshold does not judge', async () => {
    const h = wave(devices(2), { maxConcurrency: 20, failureThreshold: { percent: 0, minDevices: 5, action: 'abort' } });
    await h.step();
    await control(h);
    await finishBatches(h, h.open('subOrchestration'), () => totalsOf({ failed: 2 }));
    expect(h.output).toMatchObject({ outcome: 'completed', totals: totalsOf({ failed: 2 }) });
  });

  test('an operator pause (read from the control entity) stops new batches; cancel too', async () => {
    for (const command of ['pause', 'cancel'] as const) {
      const h = wave(devices(30), { maxConcurrency: 10 }); // batches of 1, 10 in flight
      await h.step();
      await control(h);
      const running = h.open('subOrchestration');
      await finishBatches(h, running.slice(0, 3), allSucceeded);
      await control(h, { ...RUN, command, generation: 1 });
      expect(h.open('subOrchestration')).toHaveLength(7);
      await finishBatches(h, h.open('subOrchestration'), allSucceeded);
      expect(h.output).toEqual({ outcome: command === 'pause' ? 'paused' : 'canceled', totals: totalsOf({ succeeded: 10 }), remaining: devices(30).slice(10), nextBatch: 10 } satisfies WaveResult);
    }
  });

  test(`continues as new after ${MAX_BATCHES_PER_WAVE_EPISODE} batches, once they have all finished`, async () => {
    const h = wave(devices(60), { maxConcurrency: 10 }); // 60 batches of 1
    await h.step();
    while (h.continuedWith === undefined) {
      if (h.open('callEntity').length > 0) await control(h);
      else await finishBatches(h, h.open('subOrchestration'), allSucceeded);
    }
    const next = h.continuedWith as WaveInput;
    expect(next).toMatchObject({ episode: 1, nextBatch: 50, totals: totalsOf({ succeeded: 50 }) });
    expect(next.deviceIds).toEqual(devices(60).slice(50));
    h.nextExecution();
    await h.step();
    await control(h);
    expect(h.open('subOrchestration').map((b) => b.instanceId)).toEqual(Array.from({ length: 10 }, (_, i) => `r1:w0:b${50 + i}`));
    await finishBatches(h, h.open('subOrchestration'), allSucceeded);
    expect(h.output).toEqual({ outcome: 'completed', totals: totalsOf({ succeeded: 60 }), remaining: [], nextBatch: 60 });
  });
});
