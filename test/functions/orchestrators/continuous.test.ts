jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { ResolveTargetsResult } from '../../../functions/src/activities/resolveTargets';
import { deviceShardEntity } from '../../../functions/src/entities/deviceShardEntity';
import { EVENT } from '../../../functions/src/orchestrators/contracts';
import { rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { ContinuousCycle, RolloutCustomStatus, RolloutInput, RolloutOutput } from '../../../functions/src/orchestrators/rollout';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import { initialControlState, totalsOf } from '../../../functions/src/rollout';
import type { DeviceRecord, DeviceShardState, RolloutControlState, RolloutSpec, Totals } from '../../../functions/src/rollout';
import { parseEntityInstanceId } from '../../../local/host/durable/protocol/entities';
import { entityFunction, runEntityBatch } from '../support/durableFunctions';
import { specOf } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const START = '2025-01-01T00:00:00.000Z';
const RUN = initialControlState();
const PAUSED: RolloutControlState = { ...RUN, command: 'pause', pauseReason: 'operator', generation: 1 };
const CANCELED: RolloutControlState = { ...RUN, command: 'cancel', generation: 1 };
const MINUTE = 60_000;

/**
 * The rollout's device shards, kept by the real entity function: the orchestration's addRows signals are
 * applied to them and its addNewRows calls answered by them, so "known" is what the shards really hold.
 */
class Shards {
  private readonly fn = entityFunction(deviceShardEntity);
  private readonly states = new Map<string, string | undefined>();
  private applied = 0;

  private async run(instanceId: string, name: string, input: unknown, signal: boolean): Promise<unknown> {
    const { key } = parseEntityInstanceId(instanceId)!;
    const result = await runEntityBatch(this.fn, { name: 'deviceShard', key, state: this.states.get(key) }, [{ name, input, signal }]);
    this.states.set(key, result.entityState);
    const answer = result.results[0]?.result;
    return answer === undefined ? undefined : (JSON.parse(answer) as unknown);
  }

  /** Applies the addRows signals sent since the last call. */
  async applySignals(h: OrchestrationHarness): Promise<void> {
    const signals = h.signals('addRows', 'deviceShard');
    for (const signal of signals.slice(this.applied)) await this.run(signal.instanceId!, signal.name, signal.input, true);
    this.applied = signals.length;
  }

  /** Answers every open addNewRows call, then runs the next episode. */
  async answer(h: OrchestrationHarness): Promise<number> {
    const calls = h.open('callEntity', 'addNewRows');
    for (const call of calls) h.respondEntity(call, await this.run(call.instanceId!, call.name, call.input, false));
    await h.step();
    return calls.length;
  }

  rows(): DeviceRecord[] {
    return [...this.states.values()].flatMap((state) => (state === undefined ? [] : (JSON.parse(state) as DeviceShardState).rows));
  }
}

function rollout(spec: RolloutSpec): OrchestrationHarness {
  const input: RolloutInput = { rolloutId: 'r1', spec, specHash: 'hash-1', createdAt: START, pace: null };
  return new OrchestrationHarness(rolloutOrchestrator, { instanceId: 'r1', input, start: new Date(START) });
}

const continuousSpec = (continuous: Record<string, unknown> = { rescanMinutes: 5 }) => specOf({ mode: 'continuous', continuous });

async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

/** The wave returns; `outcomes` says how its devices ended (default: all succeeded). */
async function waveEnds(h: OrchestrationHarness, outcomes?: (input: WaveInput) => Totals): Promise<Scheduled> {
  const call = h.only('subOrchestration', 'rolloutWave');
  const input = call.input as WaveInput;
  const totals = outcomes?.(input) ?? totalsOf({ succeeded: input.deviceIds.length });
  h.completeSubOrchestration(call, { outcome: 'completed', totals, remaining: [], nextBatch: input.nextBatch + 1 } satisfies WaveResult);
  await h.step();
  return call;
}

/** The drain before continue-as-new: its zero-length timer fires; returns the next cycle's carry and starts it. */
async function continued(h: OrchestrationHarness): Promise<ContinuousCycle> {
  for (let drained = 0; h.continuedWith === undefined; drained += 1) {
    if (drained > 5) throw new Error('the rollout did not continue as new');
    const timer = h.open('timer').at(-1)!;
    expect(timer.fireAt).toBe(h.now.toISOString());
    h.fireTimer(timer);
    await h.step();
  }
  const next = (h.continuedWith as RolloutInput).continuous!;
  h.nextExecution();
  return next;
}

/** A new execution: watching until the rescan's timer, then the rescan's target query. */
async function untilRescan(h: OrchestrationHarness): Promise<void> {
  await h.step();
  await control(h);
  h.fireTimer(h.only('timer'));
  await h.step();
  await control(h);
}

async function resolve(h: OrchestrationHarness, targets: string[], skipped: string[] = []): Promise<void> {
  h.completeActivity(h.only('activity', 'resolveTargets'), { targets, skipped, queries: 1 } satisfies ResolveTargetsResult);
  await h.step();
}

/** Runs the planned waves (one, every device succeeding unless `outcomes` says otherwise) up to the first watch cycle. */
async function throughWaves(
  h: OrchestrationHarness,
  shards: Shards,
  targets: string[],
  skipped: string[],
  outcomes?: (input: WaveInput) => Totals,
) {
  await h.step();
  await resolve(h, targets, skipped);
  await shards.applySignals(h);
  await control(h);
  await waveEnds(h, outcomes);
  return continued(h);
}

/** Through the waves to watching with one device, then paused there; the carry of that cycle. */
async function pausedWhileWatching(h: OrchestrationHarness): Promise<ContinuousCycle> {
  const carry = await throughWaves(h, new Shards(), ['a'], []);
  await h.step();
  await control(h);
  h.raiseEvent(EVENT.control, { operation: 'pause', requestedAt: START });
  await h.step();
  await control(h, PAUSED);
  return carry;
}

const status = (h: OrchestrationHarness): RolloutCustomStatus => h.customStatus as RolloutCustomStatus;
const phaseReports = (h: OrchestrationHarness) =>
  h.signals('phase', 'rolloutControl').map((s) => s.input as { phase: string; nextRescanAt?: string; execution?: number });
const ledgerUpdates = (h: OrchestrationHarness) =>
  h.signals('continuousWave', 'rolloutLedger').map(({ input }) => {
    const { index, added, skipped, rescanAt } = input as { index: number; added: number; skipped: number; rescanAt: string | null };
    return { index, added, skipped, rescanAt };
  });

describe('continuous rollout: watching after the waves', () => {
  test('after its waves it continues as new into watching, with the continuous wave appended and the first rescan due', async () => {
    const h = rollout(continuousSpec());
    const shards = new Shards();
    const carry = await throughWaves(h, shards, ['a', 'b'], ['s1']);
    expect(h.execution).toBe(1);
    expect(carry).toMatchObject({ cycle: 0, shardCount: 1, attempt: 0, nextBatch: 0, outside: totalsOf({ skipped: 1 }) });
    expect(carry.nextRescanAt).toBe(new Date(Date.parse(START) + 5 * MINUTE).toISOString());
    expect(carry.waves.map((w) => [w.name, w.state, w.targeted])).toEqual([
      ['wave-1', 'completed', 2],
      ['continuous', 'watching', 0],
    ]);
    expect(ledgerUpdates(h)).toEqual([{ index: 1, added: 0, skipped: 0, rescanAt: null }]);

    await h.step();
    expect(status(h)).toMatchObject({ phase: 'watching', state: 'watching', wave: 1 });
    expect(phaseReports(h).at(-1)).toMatchObject({ phase: 'watching', nextRescanAt: carry.nextRescanAt });
    await control(h);
    // No target query before the rescan is due; the wait is a timer toward it.
    expect(h.open('activity')).toHaveLength(0);
    expect(h.only('timer').fireAt).toBe(carry.nextRescanAt);
  });

  test('a rescan starts only the new devices: known ones are not started again whatever their outcome, on-version new ones are skipped once', async () => {
    const h = rollout(continuousSpec());
    const shards = new Shards();
    // a succeeds, b fails in the planned wave.
    await throughWaves(h, shards, ['a', 'b'], ['s1'], () => totalsOf({ succeeded: 1, failed: 1 }));

    await untilRescan(h);
    // The query matches b (failed: not retried), c (registered since), and a, s1, s2 on the version (s2 tagged since).
    await resolve(h, ['b', 'c'], ['a', 's1', 's2']);
    expect(await shards.answer(h)).toBe(1);
    await control(h);
    const firstRun = await waveEnds(h);
    expect(firstRun.input).toMatchObject({ wave: { index: 1, name: 'continuous' }, attempt: 0, nextBatch: 0, deviceIds: ['c'] });
    expect(firstRun.instanceId).toBe('r1:w1');
    const second = await continued(h);
    expect(second).toMatchObject({ cycle: 1, attempt: 1, nextBatch: 1, outside: totalsOf({ skipped: 2 }) });
    expect(second.waves[1]).toMatchObject({ name: 'continuous', state: 'watching', targeted: 1, succeeded: 1 });

    // The next rescan finds the same devices: nothing new, nothing started, nothing skipped again.
    await untilRescan(h);
    await resolve(h, ['b', 'c'], ['a', 's1', 's2']);
    await shards.answer(h);
    expect(h.open('subOrchestration')).toHaveLength(0);
    const third = await continued(h);
    expect(third).toMatchObject({ cycle: 2, attempt: 1, nextBatch: 1, outside: totalsOf({ skipped: 2 }) });

    // A device registered later still is picked up, in a new attempt with new instance ids.
    await untilRescan(h);
    await resolve(h, ['b', 'c', 'd'], ['a', 's1', 's2']);
    await shards.answer(h);
    await control(h);
    const secondRun = await waveEnds(h);
    expect(secondRun.input).toMatchObject({ attempt: 1, nextBatch: 1, deviceIds: ['d'] });
    expect(secondRun.instanceId).toBe('r1:w1:a1');
    expect((await continued(h)).waves[1]).toMatchObject({ targeted: 2, succeeded: 2 });

    expect(ledgerUpdates(h).map(({ added, skipped }) => [added, skipped])).toEqual([
      [0, 0],
      [1, 1],
      [0, 0],
      [1, 0],
    ]);
    const rows = shards.rows().map((row) => [row.deviceId, row.wave, row.state]);
    expect(rows.sort()).toEqual([
      ['a', 0, 'pending'],
      ['b', 0, 'pending'],
      ['c', 1, 'pending'],
      ['d', 1, 'pending'],
      ['s1', null, 'skipped'],
      ['s2', null, 'skipped'],
    ]);
  });

  test('cancel while watching ends it completed (nothing was cut short), or completedWithFailures by its totals', async () => {
    for (const [outcomes, expected] of [
      [undefined, 'completed'],
      [() => totalsOf({ succeeded: 1, failed: 1 }), 'completedWithFailures'],
    ] as const) {
      const h = rollout(continuousSpec());
      await throughWaves(h, new Shards(), ['a', 'b'], [], outcomes);
      await h.step();
      await control(h, CANCELED);
      expect(h.isDone).toBe(true);
      const output = h.output as RolloutOutput;
      expect(output.state).toBe(expected);
      expect(output.waves.map((w) => [w.name, w.state])).toEqual([
        ['wave-1', expected],
        ['continuous', 'completed'],
      ]);
      expect(h.open('activity')).toHaveLength(0);
      expect(phaseReports(h).at(-1)?.phase).toBe(expected);
    }
  });

  test('until ends it at its time, without a rescan when the rescan would come later', async () => {
    const until = new Date(Date.parse(START) + 3 * MINUTE).toISOString();
    const h = rollout(continuousSpec({ rescanMinutes: 5, until }));
    await throughWaves(h, new Shards(), ['a'], []);
    await h.step();
    // No rescan is coming: none is shown.
    expect(phaseReports(h).at(-1)).toEqual(expect.objectContaining({ phase: 'watching' }));
    expect(phaseReports(h).at(-1)?.nextRescanAt).toBeUndefined();
    await control(h);
    const timer = h.only('timer');
    expect(timer.fireAt).toBe(until);
    h.fireTimer(timer);
    await h.step();
    await control(h);
    expect(h.isDone).toBe(true);
    expect((h.output as RolloutOutput).state).toBe('completed');
    expect(h.scheduled.filter((a) => a.kind === 'activity' && a.execution === 1)).toHaveLength(0);
  });

  test('until between rescans: the rescans before it run, then it ends', async () => {
    const until = new Date(Date.parse(START) + 8 * MINUTE).toISOString();
    const h = rollout(continuousSpec({ rescanMinutes: 5, until }));
    const shards = new Shards();
    await throughWaves(h, shards, ['a'], []);
    await untilRescan(h);
    await resolve(h, ['a'], []);
    await shards.answer(h);
    await continued(h);
    await h.step();
    await control(h);
    expect(h.only('timer').fireAt).toBe(until);
    h.fireTimer(h.only('timer'));
    await h.step();
    await control(h);
    expect((h.output as RolloutOutput).state).toBe('completed');
  });

  test('pause while watching holds it (no rescan while paused, the due time still shown); resume goes on to the rescan', async () => {
    const h = rollout(continuousSpec());
    const carry = await pausedWhileWatching(h);
    expect(status(h)).toMatchObject({ phase: 'paused', state: 'paused' });
    await control(h, PAUSED);
    // Past the rescan's time while paused: nothing runs.
    h.advance(10 * MINUTE);
    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: h.now.toISOString() });
    await h.step();
    expect(h.open('activity')).toHaveLength(0);
    await control(h, RUN);
    expect(h.only('activity', 'resolveTargets')).toBeDefined();
    expect(
      phaseReports(h)
        .map((r) => r.phase)
        .slice(-2),
    ).toEqual(['watching', 'paused']);
    expect(carry.nextRescanAt < h.now.toISOString()).toBe(true);
  });

  test('pause then resume before the rescan is due: back to watching toward the same rescan', async () => {
    const h = rollout(continuousSpec());
    const carry = await pausedWhileWatching(h);
    await control(h, PAUSED);
    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: START });
    await h.step();
    await control(h, RUN);
    expect(status(h)).toMatchObject({ phase: 'watching', state: 'watching' });
    await control(h, RUN);
    expect(h.open('timer').at(-1)!.fireAt).toBe(carry.nextRescanAt);
    expect(
      phaseReports(h)
        .map((r) => [r.phase, r.nextRescanAt])
        .slice(-3),
    ).toEqual([
      ['watching', carry.nextRescanAt],
      ['paused', undefined],
      ['watching', carry.nextRescanAt],
    ]);
  });

  test('every cycle continues as new with a bounded history, and a wake-up that came during a cycle is not lost', async () => {
    const h = rollout(continuousSpec());
    const shards = new Shards();
    await throughWaves(h, shards, ['a'], []);
    const sizes: number[] = [];
    const known = ['a'];
    for (let cycle = 1; cycle <= 6; cycle += 1) {
      await untilRescan(h);
      known.push(`n${cycle}`);
      await resolve(h, [...known], []);
      await shards.answer(h);
      await control(h);
      await waveEnds(h);
      sizes.push(h.historyLength);
      const carry = await continued(h);
      expect(carry.cycle).toBe(cycle);
      expect(carry.waves[1].targeted).toBe(cycle);
    }
    expect(h.execution).toBe(7);
    // Each execution's history is the same size whatever the cycle: nothing accumulates.
    expect(new Set(sizes).size).toBe(1);
    expect(h.maxHistory).toBeLessThanOrEqual(60);

    // A pause (its wake-up) raised while the cycle's wave runs: the drain takes it before continue-as-new and the next
    // execution, reading the control entity before it waits, is paused at once.
    await untilRescan(h);
    await resolve(h, [...known, 'late'], []);
    await shards.answer(h);
    await control(h);
    h.raiseEvent(EVENT.control, { operation: 'pause', requestedAt: h.now.toISOString() });
    await waveEnds(h);
    const drainTimers = h.open('timer').length;
    await continued(h);
    expect(drainTimers).toBe(1);
    // The rescan's timer, then two drain rounds: the first took the wake-up, the second found none.
    expect(h.scheduled.filter((a) => a.kind === 'timer' && a.execution === 7).length).toBe(3);
    await h.step();
    await control(h, PAUSED);
    expect(status(h)).toMatchObject({ phase: 'paused', state: 'paused' });
  });
});
