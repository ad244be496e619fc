jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { EVENT } from '../../../functions/src/orchestrators/contracts';
import { rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { RolloutCustomStatus, RolloutInput, RolloutOutput, RolloutRetry } from '../../../functions/src/orchestrators/rollout';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import {
  MAX_DEVICE_SHARDS,
  defaultRetrySelection,
  finishWave,
  initialControlState,
  planLedger,
  reportPhase,
  rolloutPolicy,
  totalsOf,
} from '../../../functions/src/rollout';
import type {
  AttemptStart,
  RetriedDevice,
  RolloutControlState,
  RolloutLedgerState,
  RolloutSpec,
  Totals,
} from '../../../functions/src/rollout';
import { FIRMWARE, specOf } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const CREATED = '2025-01-01T00:00:00.000Z';
const START = '2025-01-03T00:00:00.000Z';
/** The control register once the retry began (what the orchestration's `retry` signal makes of it). */
const RUN: RolloutControlState = { ...initialControlState(), attempt: 2 };
const THREE_WAVES = [{ percent: 10 }, { percent: 50 }, { percent: 100 }];

/** A finished rollout's ledger: wave i planned with targeted[i] devices, all final. */
function finishedLedger(targeted: number[], shardCount = 2): RolloutLedgerState {
  const plan = {
    rolloutId: 'r1',
    firmware: FIRMWARE,
    createdAt: CREATED,
    shardCount,
    waves: targeted.map((count, index) => ({ index, name: `wave ${index}`, percent: THREE_WAVES[index]?.percent ?? 100, targeted: count })),
    skipped: 1,
    policy: rolloutPolicy(specOf({})),
  };
  return targeted.reduce(
    (ledger, count, index) => finishWave(ledger, index, 'completedWithFailures', totalsOf({ failed: count }), CREATED),
    planLedger(plan, CREATED),
  );
}

function retrying(spec: RolloutSpec, retry: Partial<RolloutRetry> = {}): OrchestrationHarness {
  const selection = defaultRetrySelection();
  const input: RolloutInput = {
    rolloutId: 'r1',
    spec,
    specHash: 'h',
    createdAt: CREATED,
    pace: null,
    retry: { attempt: 2, ...selection, requestedAt: START, ...retry },
  };
  return new OrchestrationHarness(rolloutOrchestrator, { instanceId: 'r1', input, start: new Date(START) });
}

const status = (h: OrchestrationHarness): RolloutCustomStatus => h.customStatus as RolloutCustomStatus;
const waveCall = (h: OrchestrationHarness): Scheduled => h.only('subOrchestration', 'rolloutWave');

/** The retry's start: the ledger read, each shard's answer, the ledger's count of the devices outside the attempt. */
async function begin(
  h: OrchestrationHarness,
  ledger: RolloutLedgerState | null,
  perShard: RetriedDevice[][],
  outside: Totals,
): Promise<void> {
  await h.step();
  h.respondEntity(h.only('callEntity', 'get'), ledger);
  await h.step();
  if (ledger === null) return;
  const calls = h.open('callEntity', 'retry');
  expect(calls.map((call) => call.instanceId)).toEqual(perShard.map((_, shard) => `@deviceshard@r1:s${shard}`));
  calls.forEach((call, shard) => h.respondEntity(call, perShard[shard]));
  await h.step();
  h.respondEntity(h.only('callEntity', 'beginAttempt'), outside);
  await h.step();
}

async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

async function waveEnds(h: OrchestrationHarness, outcome: WaveResult['outcome'], totals: Totals, started?: number): Promise<WaveInput> {
  const call = waveCall(h);
  const input = call.input as WaveInput;
  const remaining = input.deviceIds.slice(started ?? input.deviceIds.length);
  h.completeSubOrchestration(call, { outcome, totals, remaining, nextBatch: 1 } satisfies WaveResult);
  await h.step();
  return input;
}

const device = (deviceId: string, wave: number, from: RetriedDevice['from'] = 'failed'): RetriedDevice => ({ deviceId, wave, from });

describe('rollout orchestration: a retry (attempt 2+)', () => {
  test('only the devices the shards hand back run, through their own waves; empty waves are skipped; ids carry the attempt', async () => {
    const h = retrying(specOf({ waves: THREE_WAVES }));
    const outside = totalsOf({ succeeded: 6, skipped: 1 });
    await begin(h, finishedLedger([1, 4, 5]), [[device('c', 2, 'timedOut'), device('a', 1)], [device('b', 2)]], outside);

    // Started again: the control register and the catalog go back to running, before anything else.
    expect(h.signals('retry', 'rolloutControl').map((s) => s.input)).toEqual([
      { attempt: 2, selection: { states: ['failed', 'timedOut'], errorCodes: null }, at: START },
    ]);
    expect(h.signals('state', 'rolloutCatalog').map((s) => s.input)).toEqual([{ id: 'r1', state: 'running', at: START }]);
    expect(h.signals('register', 'rolloutCatalog')).toHaveLength(0);
    expect(h.scheduled.filter((a) => a.kind === 'activity')).toHaveLength(0); // no target query
    expect(h.scheduled.filter((a) => a.name === 'retry' && a.kind === 'callEntity').map((a) => a.input)).toEqual([
      { attempt: 2, selection: defaultRetrySelection(), at: START },
      { attempt: 2, selection: defaultRetrySelection(), at: START },
    ]);
    const start = h.scheduled.find((a) => a.name === 'beginAttempt')!.input as AttemptStart;
    expect(start.waves).toEqual([totalsOf(), totalsOf({ failed: 1 }), totalsOf({ failed: 1, timedOut: 1 })]);

    await control(h);
    const first = waveCall(h);
    expect(first.instanceId).toBe('r1:r2:w1');
    expect(first.input).toMatchObject({ wave: { index: 1, name: 'wave 1' }, deviceIds: ['a'], rolloutAttempt: 2, attempt: 0 });
    // Wave 0 has nothing to retry: completed at once, with no wave orchestration.
    expect(h.scheduled.some((a) => a.instanceId === 'r1:r2:w0')).toBe(false);
    await waveEnds(h, 'completed', totalsOf({ succeeded: 1 }));
    await control(h);
    expect(waveCall(h).instanceId).toBe('r1:r2:w2');
    expect([...(waveCall(h).input as WaveInput).deviceIds].sort()).toEqual(['b', 'c']);
    await waveEnds(h, 'completed', totalsOf({ succeeded: 2 }));

    expect(h.isDone).toBe(true);
    const output = h.output as RolloutOutput;
    // The end state and totals are all the devices' (the ones outside the attempt included); the waves are the attempt's.
    expect(output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: 9, skipped: 1 }) });
    expect(output.waves.map((wave) => [wave.state, wave.targeted])).toEqual([
      ['completed', 0],
      ['completed', 1],
      ['completed', 2],
    ]);
    expect(h.signals('phase', 'rolloutControl').at(-1)!.input).toMatchObject({ phase: 'completed' });
  });

  test('devices outside the attempt that had failed keep the rollout completedWithFailures', async () => {
    const h = retrying(specOf({ waves: [{ percent: 100 }] }), { errorCodes: ['httpError'] });
    await begin(h, finishedLedger([3], 1), [[device('a', 0)]], totalsOf({ failed: 2 }));
    expect(h.signals('retry', 'rolloutControl')[0].input).toMatchObject({ selection: { errorCodes: ['httpError'] } });
    await control(h);
    await waveEnds(h, 'completed', totalsOf({ succeeded: 1 }));
    expect(h.output).toMatchObject({ state: 'completedWithFailures', totals: totalsOf({ succeeded: 1, failed: 2 }) });
  });

  test('manual approval is asked again in each attempt, before each wave but the first that has devices', async () => {
    const h = retrying(specOf({ waves: THREE_WAVES, approval: 'manual' }));
    await begin(h, finishedLedger([1, 4, 5]), [[device('a', 1), device('b', 2)], []], totalsOf());
    await control(h);
    expect(waveCall(h).instanceId).toBe('r1:r2:w1'); // the first wave with devices needs no approval
    await waveEnds(h, 'completed', totalsOf({ succeeded: 1 }));
    expect(status(h)).toMatchObject({ phase: 'awaitingApproval', wave: 2 });
    await control(h, reportPhase(RUN, { phase: 'awaitingApproval', wave: 2 }, START));
    expect(h.open('subOrchestration')).toHaveLength(0);
    h.raiseEvent(EVENT.control, { operation: 'approve', requestedAt: START });
    await h.step();
    await control(h, { ...reportPhase(RUN, { phase: 'awaitingApproval', wave: 2 }, START), approvedThrough: 2 });
    await control(h);
    expect(waveCall(h).instanceId).toBe('r1:r2:w2');
  });

  test("the failure threshold judges the attempt's devices: an abort ends the retry aborted, its devices not started canceled", async () => {
    const h = retrying(specOf({ waves: [{ percent: 100 }], failureThreshold: { percent: 10, minDevices: 2, action: 'abort' } }));
    await begin(h, finishedLedger([6], 1), [['a', 'b', 'c', 'd'].map((id) => device(id, 0))], totalsOf({ succeeded: 2 }));
    await control(h);
    await waveEnds(h, 'thresholdAbort', totalsOf({ failed: 2 }), 2);
    expect(h.output).toMatchObject({ state: 'aborted', totals: totalsOf({ succeeded: 2, failed: 2, canceled: 2 }) });
    expect((h.output as RolloutOutput).error).toMatch(/failure threshold/);
    expect(h.signals('waveFinal', 'rolloutLedger').at(-1)!.input).toMatchObject({
      index: 0,
      state: 'aborted',
      totals: totalsOf({ failed: 2, canceled: 2 }),
    });
  });

  test("a pause and resume within the attempt: the wave runs again under a new wave attempt, still in the retry's ids", async () => {
    const h = retrying(specOf({ waves: [{ percent: 100 }] }), { attempt: 3 });
    await begin(h, finishedLedger([4], 1), [['a', 'b'].map((id) => device(id, 0))], totalsOf());
    await control(h, { ...RUN, attempt: 3 });
    expect(waveCall(h).instanceId).toBe('r1:r3:w0');
    await waveEnds(h, 'paused', totalsOf({ succeeded: 1 }), 1);
    await control(h, { ...RUN, command: 'run' });
    expect(waveCall(h).instanceId).toBe('r1:r3:w0:a1');
  });

  test('cancel before the first wave: canceled, nothing started', async () => {
    const h = retrying(specOf({ waves: [{ percent: 100 }] }));
    await begin(h, finishedLedger([2], 1), [[device('a', 0)]], totalsOf({ succeeded: 1 }));
    await control(h, { ...RUN, command: 'cancel', generation: 1 });
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ succeeded: 1, canceled: 1 }) });
    expect(h.scheduled.filter((a) => a.kind === 'subOrchestration')).toHaveLength(0);
  });

  test('a rollout that never planned its devices: the retry ends aborted, saying so', async () => {
    const h = retrying(specOf({}));
    await begin(h, null, [], totalsOf());
    expect(h.output).toMatchObject({ state: 'aborted', error: 'the rollout never planned its devices: nothing to retry' });
  });

  test(`history: ${MAX_DEVICE_SHARDS} shards asked at once, in one episode; bounded like a first run`, async () => {
    const h = retrying(specOf({ waves: THREE_WAVES, soakSeconds: 600, approval: 'manual' }));
    const perShard = Array.from({ length: MAX_DEVICE_SHARDS }, (_, shard) => [device(`d${shard}`, shard % 3)]);
    await h.step();
    h.respondEntity(h.only('callEntity', 'get'), finishedLedger([34, 33, 33], MAX_DEVICE_SHARDS));
    await h.step();
    const calls = h.open('callEntity', 'retry');
    expect(calls).toHaveLength(MAX_DEVICE_SHARDS);
    expect(new Set(calls.map((call) => call.episode)).size).toBe(1);
    calls.forEach((call, shard) => h.respondEntity(call, perShard[shard]));
    await h.step();
    h.respondEntity(h.only('callEntity', 'beginAttempt'), totalsOf());
    await h.step();
    for (const index of [0, 1, 2]) {
      if (index > 0) {
        await control(h); // soaking
        h.fireTimer(h.open('timer').at(-1)!);
        await h.step();
        await control(h); // soak over: still running
        await control(h, reportPhase(RUN, { phase: 'awaitingApproval', wave: index }, START)); // approval asked
        h.raiseEvent(EVENT.control, { operation: 'approve', requestedAt: START });
        await h.step();
        await control(h, { ...RUN, approvedThrough: index });
      }
      await control(h);
      expect(waveCall(h).instanceId).toBe(`r1:r2:w${index}`);
      await waveEnds(h, 'completed', totalsOf({ succeeded: (waveCall(h).input as WaveInput).deviceIds.length }));
    }
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: MAX_DEVICE_SHARDS }) });
    // ≤ 100 shard calls (200 events) + the ledger's two + a handful per wave: within the rollout's bound of 400.
    expect(h.maxHistory).toBeLessThanOrEqual(400);
    expect(h.maxHistory).toBeGreaterThan(2 * MAX_DEVICE_SHARDS);
  });
});
