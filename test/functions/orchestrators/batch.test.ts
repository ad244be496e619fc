jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { batchOrchestrator } from '../../../functions/src/orchestrators/batch';
import type { BatchDoneEvent, BatchInput, BatchResult } from '../../../functions/src/orchestrators/batch';
import type { InvokeOutcome } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { DeviceInput, DeviceResult } from '../../../functions/src/orchestrators/device';
import { totalsOf } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';

const INPUT: BatchInput = { rolloutId: 'r1', wave: 1, batch: 7, deviceIds: ['a', 'b#1', 'c'], shardCount: 2, firmware: FIRMWARE, timeouts: TIMEOUTS };

function batch(input: BatchInput = INPUT): OrchestrationHarness {
  return new OrchestrationHarness(batchOrchestrator, { instanceId: 'r1:w1:b7', input, parentInstanceId: 'r1:w1' });
}

const result = (deviceId: string, state: DeviceResult['state']): DeviceResult => ({ deviceId, state, error: null });

/** Starts the batch and answers its one method call for all devices with `outcomes` (accepted by default). */
async function started(h: OrchestrationHarness, outcomes: InvokeOutcome[] = INPUT.deviceIds.map(() => ({ kind: 'accepted' }))): Promise<void> {
  await h.step();
  const call = h.only('activity', 'invokeFirmwareUpdate');
  h.completeActivity(
    call,
    (call.input as { deviceIds: string[] }).deviceIds.map((deviceId, i) => ({ deviceId, outcome: outcomes[i] })),
  );
  await h.step();
}

describe('batch orchestration', () => {
  test('calls the method on every device with one activity, then follows each in a device sub-orchestration from its answer', async () => {
    const h = batch();
    await h.step();
    const call = h.only('activity', 'invokeFirmwareUpdate');
    expect(call.input).toEqual({
      deviceIds: ['a', 'b#1', 'c'],
      request: { rolloutId: 'r1', fwVersion: FIRMWARE.version, fwPackageUri: FIRMWARE.uri, sha256: FIRMWARE.sha256, size: FIRMWARE.size },
      responseTimeoutInSeconds: TIMEOUTS.methodSeconds,
    });
    expect(h.open('subOrchestration')).toHaveLength(0);
    const offline: InvokeOutcome = { kind: 'offline', message: 'not connected' };
    h.completeActivity(call, [
      { deviceId: 'a', outcome: { kind: 'accepted' } },
      { deviceId: 'b#1', outcome: offline },
      { deviceId: 'c', outcome: { kind: 'accepted' } },
    ]);
    await h.step();
    const devices = h.open('subOrchestration');
    expect(devices.map((d) => [d.name, d.instanceId])).toEqual([
      ['rolloutDevice', 'r1:d:a'],
      ['rolloutDevice', 'r1:d:b~1'],
      ['rolloutDevice', 'r1:d:c'],
    ]);
    expect(devices[1].input).toEqual({ rolloutId: 'r1', deviceId: 'b#1', wave: 1, shardCount: 2, firmware: FIRMWARE, timeouts: TIMEOUTS, firstOutcome: offline } satisfies DeviceInput);
  });

  test('when the activity itself fails, every device starts with a retryable failure and retries on its own', async () => {
    const h = batch();
    await h.step();
    h.failActivity(h.only('activity', 'invokeFirmwareUpdate'), 'the worker crashed');
    await h.step();
    const devices = h.open('subOrchestration');
    expect(devices.map((d) => (d.input as DeviceInput).firstOutcome)).toEqual(
      INPUT.deviceIds.map(() => ({ kind: 'error', code: 'invokeFailed', message: expect.stringContaining('the worker crashed'), retryable: true })),
    );
  });

  test('counts the verdicts, tells its wave with batchDone, and returns the totals', async () => {
    const h = batch();
    await started(h);
    const [a, b, c] = h.open('subOrchestration');
    h.completeSubOrchestration(b, result('b#1', 'failed'));
    await h.step();
    expect(h.open('activity')).toHaveLength(0);
    h.completeSubOrchestration(a, result('a', 'succeeded'));
    h.completeSubOrchestration(c, result('c', 'timedOut'));
    await h.step();
    const notify = h.only('activity', 'sendEvent');
    const expected: BatchResult = { batchInstanceId: 'r1:w1:b7', totals: totalsOf({ succeeded: 1, failed: 1, timedOut: 1 }), orchestrationFailures: 0 };
    expect(notify.input).toEqual({ instanceId: 'r1:w1', eventName: 'batchDone', payload: { batchInstanceId: 'r1:w1:b7', result: expected } satisfies BatchDoneEvent });
    expect(h.customStatus).toMatchObject({ rolloutId: 'r1', wave: 1, batch: 7, finished: 3, totals: expected.totals });
    h.completeActivity(notify, { delivered: true });
    await h.step();
    expect(h.output).toEqual(expected);
  });

  test('a device orchestration that fails (a bug, not a verdict) counts as failed; the others still count', async () => {
    const h = batch();
    await started(h);
    const [a, b, c] = h.open('subOrchestration');
    h.failSubOrchestration(a, 'TypeError: boom');
    await h.step();
    h.completeSubOrchestration(b, result('b#1', 'succeeded'));
    await h.step();
    expect(h.open('activity')).toHaveLength(0);
    h.completeSubOrchestration(c, result('c', 'skipped'));
    await h.step();
    h.completeActivity(h.only('activity', 'sendEvent'), { delivered: true });
    await h.step();
    expect(h.output).toMatchObject({ totals: totalsOf({ failed: 1, succeeded: 1, skipped: 1 }), orchestrationFailures: 1 });
  });

  test('telling the wave is retried on a durable timer when the Durable API is unavailable', async () => {
    const h = batch({ ...INPUT, deviceIds: ['a'] });
    await started(h);
    h.completeSubOrchestration(h.only('subOrchestration'), result('a', 'succeeded'));
    await h.step();
    h.failActivity(h.only('activity', 'sendEvent'), 'ECONNREFUSED');
    await h.step();
    const timer = h.only('timer');
    expect(Date.parse(timer.fireAt!) - h.now.getTime()).toBe(5000);
    h.fireTimer(timer);
    await h.step();
    h.completeActivity(h.only('activity', 'sendEvent'), { delivered: true });
    await h.step();
    expect(h.isDone).toBe(true);
  });
});
