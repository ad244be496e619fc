jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { ResolveTargetsResult } from '../../../functions/src/activities/resolveTargets';
import { EVENT } from '../../../functions/src/orchestrators/contracts';
import { RESOLVE_ATTEMPTS, rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { RolloutCustomStatus, RolloutInput, RolloutOutput } from '../../../functions/src/orchestrators/rollout';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import {
  applyApprovalTimeout,
  applyCommand,
  groupByShard,
  initialControlState,
  reportPhase,
  shardCountFor,
  shardOf,
  totalsOf,
} from '../../../functions/src/rollout';
import type { ApprovalPolicy, ApprovalTimeout, LedgerPlan, RolloutControlState, RolloutSpec, Totals } from '../../../functions/src/rollout';
import { specOf } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
const RUN = initialControlState();

/** Paced to an S1 hub, as the HTTP API starts it when FLEETWAVE_HUB_TIER is S1. */
const PACE = { tier: 'S1', units: 1, devicesPerSecond: 50 / 6 } as const;

function rollout(spec: RolloutSpec): OrchestrationHarness {
  const input: RolloutInput = { rolloutId: 'r1', spec, specHash: 'hash-1', createdAt: '2025-01-01T00:00:00.000Z', pace: PACE };
  return new OrchestrationHarness(rolloutOrchestrator, { instanceId: 'r1', input });
}

/** Starts the rollout and answers the target query. */
async function resolved(h: OrchestrationHarness, result: ResolveTargetsResult): Promise<void> {
  await h.step();
  h.completeActivity(h.only('activity', 'resolveTargets'), result);
  await h.step();
}

async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

const waveCall = (h: OrchestrationHarness): Scheduled => h.only('subOrchestration', 'rolloutWave');

/** The wave returns: every device it was given succeeded. */
async function waveSucceeds(h: OrchestrationHarness): Promise<WaveInput> {
  const call = waveCall(h);
  const input = call.input as WaveInput;
  h.completeSubOrchestration(call, {
    outcome: 'completed',
    totals: totalsOf({ succeeded: input.deviceIds.length }),
    remaining: [],
    nextBatch: 1,
  } satisfies WaveResult);
  await h.step();
  return input;
}

async function waveStops(h: OrchestrationHarness, outcome: WaveResult['outcome'], finished: Totals, started: number): Promise<WaveInput> {
  const call = waveCall(h);
  const input = call.input as WaveInput;
  h.completeSubOrchestration(call, {
    outcome,
    totals: finished,
    remaining: input.deviceIds.slice(started),
    nextBatch: 3,
  } satisfies WaveResult);
  await h.step();
  return input;
}

const status = (h: OrchestrationHarness): RolloutCustomStatus => h.customStatus as RolloutCustomStatus;
const phases = (h: OrchestrationHarness): unknown[] =>
  h.signals('phase', 'rolloutControl').map((s) => (s.input as { phase: string }).phase);

describe('rollout orchestration', () => {
  test('resolves targets, plans waves of the right sizes and runs them in order', async () => {
    const spec = specOf({ waves: [{ name: 'canary', percent: 10 }, { percent: 50 }, { name: 'rest', percent: 100 }] });
    const h = rollout(spec);
    await h.step();
    expect(h.only('activity', 'resolveTargets').input).toEqual({
      rolloutId: 'r1',
      target: { query: "tags.model = 'thermo-x'" },
      fwVersion: '2.1.0',
    });
    expect(h.signals('register', 'rolloutCatalog')[0].input).toMatchObject({ id: 'r1', firmwareVersion: '2.1.0', state: 'running' });
    expect(status(h)).toMatchObject({ phase: 'resolvingTargets', state: 'running' });

    const targets = ids('t', 20).reverse(); // planning sorts them
    h.completeActivity(h.only('activity', 'resolveTargets'), {
      targets,
      skipped: ['old-1', 'old-2', 'old-3'],
    } satisfies ResolveTargetsResult);
    await h.step();

    const plan = (h.signals('plan', 'rolloutLedger')[0].input as { plan: LedgerPlan }).plan;
    expect(plan.waves.map((w) => [w.name, w.targeted])).toEqual([
      ['canary', 2],
      ['wave-2', 8],
      ['rest', 10],
    ]);
    expect(plan).toMatchObject({ skipped: 3, shardCount: shardCountFor(23) });
    // Every device gets a row in the shard its id hashes to: pending in its wave, or skipped.
    type Groups = { groups: { wave: number | null; deviceIds: string[] }[] };
    const rows = h
      .signals('addRows', 'deviceShard')
      .flatMap((s) =>
        (s.input as Groups).groups.flatMap((group) =>
          group.deviceIds.map((deviceId) => ({ deviceId, wave: group.wave, shard: s.instanceId })),
        ),
      );
    expect(rows).toHaveLength(23);
    for (const row of rows) expect(row.shard).toBe(`@deviceshard@r1:s${shardOf(row.deviceId, plan.shardCount)}`);
    expect(
      rows
        .filter((row) => row.wave === null)
        .map((row) => row.deviceId)
        .sort(),
    ).toEqual(['old-1', 'old-2', 'old-3']);
    expect(
      rows
        .filter((row) => row.wave === 0)
        .map((row) => row.deviceId)
        .sort(),
    ).toEqual(['t-000', 't-001']);

    await control(h);
    const sizes: number[] = [];
    const instanceIds: string[] = [];
    while (!h.isDone) {
      instanceIds.push(waveCall(h).instanceId!);
      sizes.push((await waveSucceeds(h)).deviceIds.length);
      if (!h.isDone) await control(h);
    }
    expect(sizes).toEqual([2, 8, 10]);
    expect(instanceIds).toEqual(['r1:w0', 'r1:w1', 'r1:w2']);
    const first = h.scheduled.find((a) => a.instanceId === 'r1:w0')!.input as WaveInput;
    expect(first).toMatchObject({
      rolloutId: 'r1',
      wave: { index: 0, name: 'canary' },
      attempt: 0,
      episode: 0,
      deviceIds: ['t-000', 't-001'],
      nextBatch: 0,
    });
    expect(first.settings).toEqual({
      firmware: spec.firmware,
      timeouts: spec.deviceTimeouts,
      failureThreshold: spec.failureThreshold,
      maxConcurrency: 50,
      shardCount: 1,
      pace: PACE,
    });

    const output = h.output as RolloutOutput;
    expect(output.state).toBe('completed');
    expect(output.totals).toEqual(totalsOf({ succeeded: 20, skipped: 3 }));
    expect(output.waves.map((w) => [w.name, w.state, w.succeeded])).toEqual([
      ['canary', 'completed', 2],
      ['wave-2', 'completed', 8],
      ['rest', 'completed', 10],
    ]);
    expect(phases(h)[phases(h).length - 1]).toBe('completed');
    expect(h.signals('state', 'rolloutCatalog').map((s) => (s.input as { state: string }).state)).toEqual(['completed']);
    expect(h.signals('waveFinal', 'rolloutLedger').map((s) => (s.input as { index: number; state: string }).state)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
  });

  test("a wave's devices go to it in shard order, so that a batch's devices share few shards; a resume keeps the order", async () => {
    const h = rollout(specOf({ waves: [{ percent: 100 }], failureThreshold: { percent: 10, minDevices: 2 } }));
    const targets = ids('t', 250);
    await resolved(h, { targets: [...targets].reverse(), skipped: [] });
    await control(h);
    const shardCount = shardCountFor(targets.length);
    expect(shardCount).toBeGreaterThan(1);
    const input = waveCall(h).input as WaveInput;
    expect(input.settings.shardCount).toBe(shardCount);
    expect(input.deviceIds).toEqual(groupByShard(targets, shardCount, (id) => id).flat());
    const shards = input.deviceIds.map((id) => shardOf(id, shardCount));
    expect(shards).toEqual([...shards].sort((a, b) => a - b));

    // Stopped after 100 devices: the next attempt gets the wave's remaining devices, still in shard order.
    await waveStops(h, 'thresholdPause', totalsOf({ succeeded: 80, failed: 20 }), 100);
    await control(h, { ...RUN, phase: 'paused', command: 'pause', pauseReason: 'threshold', generation: 1 });
    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: '2025-01-01T01:00:00.000Z' });
    await h.step();
    await control(h, { ...RUN, command: 'run', generation: 2 });
    expect((waveCall(h).input as WaveInput).deviceIds).toEqual(input.deviceIds.slice(100));
  });

  test('waves too small for a device are completed at once, without soak or approval', async () => {
    const h = rollout(specOf({ waves: [{ percent: 10 }, { percent: 100 }], approval: 'manual', soakSeconds: 600 }));
    await resolved(h, { targets: ids('t', 5), skipped: [] }); // 10 % of 5 is 0
    await control(h);
    expect((waveCall(h).input as WaveInput).wave.index).toBe(1);
    await waveSucceeds(h);
    expect(h.output).toMatchObject({
      state: 'completed',
      waves: [
        { targeted: 0, state: 'completed' },
        { targeted: 5, state: 'completed' },
      ],
    });
    expect(h.open('timer')).toHaveLength(0);
  });

  test('soaks between waves on a durable timer, the previous wave showing soaking', async () => {
    const h = rollout(specOf({ waves: [{ percent: 50 }, { percent: 100 }], soakSeconds: 900 }));
    await resolved(h, { targets: ids('t', 4), skipped: [] });
    await control(h);
    await waveSucceeds(h);
    await control(h);
    const soak = h.only('timer');
    expect(soak.fireAt).toBe('2025-01-01T00:15:00.000Z');
    expect(status(h)).toMatchObject({ phase: 'soaking', state: 'running' });
    expect(status(h).waves[0].state).toBe('soaking');
    h.fireTimer(soak);
    await h.step();
    await control(h); // the soak's last look at the control entity
    await control(h); // the check before the next wave starts
    expect((waveCall(h).input as WaveInput).wave.index).toBe(1);
    expect(status(h).waves[0].state).toBe('completed');
  });

  test('cancel during the soak: no further wave, its devices canceled', async () => {
    const h = rollout(specOf({ waves: [{ percent: 50 }, { percent: 100 }], soakSeconds: 900 }));
    await resolved(h, { targets: ids('t', 4), skipped: [] });
    await control(h);
    await waveSucceeds(h);
    await control(h);
    h.raiseEvent(EVENT.control, { operation: 'cancel', requestedAt: '2025-01-01T00:01:00.000Z' });
    h.advance(60_000);
    await h.step();
    await control(h, { ...RUN, command: 'cancel', generation: 1 });
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ succeeded: 2, canceled: 2 }) });
    expect((h.output as RolloutOutput).waves.map((w) => w.state)).toEqual(['completed', 'canceled']);
    expect(h.open('subOrchestration')).toHaveLength(0);
  });

  test('manual approval: waits for the approve recorded in the control entity before the next wave', async () => {
    const h = rollout(specOf({ waves: [{ percent: 50 }, { percent: 100 }], approval: 'manual' }));
    await resolved(h, { targets: ids('t', 4), skipped: [] });
    await control(h);
    await waveSucceeds(h);
    expect(status(h)).toMatchObject({ phase: 'awaitingApproval', state: 'awaitingApproval', wave: 1 });
    expect(h.signals('phase', 'rolloutControl').map((s) => s.input)).toContainEqual(
      expect.objectContaining({ phase: 'awaitingApproval', wave: 1 }),
    );
    await control(h, { ...RUN, phase: 'awaitingApproval', wave: 1 });
    expect(h.open('subOrchestration')).toHaveLength(0);
    expect(h.open('callEntity')).toHaveLength(0); // asleep until woken

    // A wake-up without an approval (someone paused meanwhile? no: not applicable) changes nothing.
    h.raiseEvent(EVENT.control, { operation: 'approve', requestedAt: '2025-01-01T00:05:00.000Z' });
    await h.step();
    await control(h, { ...RUN, phase: 'awaitingApproval', wave: 1, approvedThrough: 1 });
    await control(h); // before the wave starts
    expect((waveCall(h).input as WaveInput).wave.index).toBe(1);
    await waveSucceeds(h);
    expect(h.output).toMatchObject({ state: 'completed' });
  });

  test('the failure threshold pauses the rollout; after resume the wave runs again with its remaining devices', async () => {
    const h = rollout(specOf({ waves: [{ percent: 100 }], failureThreshold: { percent: 10, minDevices: 2 } }));
    await resolved(h, { targets: ids('t', 10), skipped: [] });
    await control(h);
    await waveStops(h, 'thresholdPause', totalsOf({ succeeded: 2, failed: 2 }), 4);
    expect(status(h)).toMatchObject({ phase: 'paused', state: 'paused' });
    expect(h.signals('phase', 'rolloutControl').map((s) => s.input)).toContainEqual(
      expect.objectContaining({ phase: 'paused', wave: 0, pausedBy: 'threshold' }),
    );
    await control(h, { ...RUN, phase: 'paused', command: 'pause', pauseReason: 'threshold', generation: 1 });
    expect(h.open('subOrchestration')).toHaveLength(0);

    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: '2025-01-01T01:00:00.000Z' });
    await h.step();
    await control(h, { ...RUN, phase: 'paused', command: 'run', generation: 2 });
    const again = waveCall(h);
    expect(again.instanceId).toBe('r1:w0:a1');
    expect(again.input).toMatchObject({ attempt: 1, deviceIds: ids('t', 10).slice(4), nextBatch: 3, totals: totalsOf() });
    await waveSucceeds(h);
    expect(h.output).toMatchObject({ state: 'completedWithFailures', totals: totalsOf({ succeeded: 8, failed: 2 }) });
  });

  test('the failure threshold aborts: remaining and later devices canceled', async () => {
    const h = rollout(
      specOf({ waves: [{ percent: 50 }, { percent: 100 }], failureThreshold: { percent: 5, minDevices: 1, action: 'abort' } }),
    );
    await resolved(h, { targets: ids('t', 10), skipped: [] });
    await control(h);
    await waveStops(h, 'thresholdAbort', totalsOf({ succeeded: 1, failed: 1 }), 2);
    const output = h.output as RolloutOutput;
    expect(output.state).toBe('aborted');
    expect(output.error).toMatch(/failure threshold/);
    expect(output.waves.map((w) => [w.state, w.succeeded, w.failed, w.canceled])).toEqual([
      ['aborted', 1, 1, 3],
      ['canceled', 0, 0, 5],
    ]);
    expect(output.totals).toEqual(totalsOf({ succeeded: 1, failed: 1, canceled: 8 }));
  });

  test('cancel stops new devices: the wave returns canceled, in-flight results count, the rest is canceled', async () => {
    const h = rollout(specOf({ waves: [{ percent: 50 }, { percent: 100 }] }));
    await resolved(h, { targets: ids('t', 10), skipped: ['s'] });
    await control(h);
    await waveStops(h, 'canceled', totalsOf({ succeeded: 3 }), 3);
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ succeeded: 3, canceled: 7, skipped: 1 }) });
    expect(phases(h)[phases(h).length - 1]).toBe('canceled');
  });

  test('an operator pause during a wave: the rollout waits for resume, or ends on cancel', async () => {
    const h = rollout(specOf({ waves: [{ percent: 100 }] }));
    await resolved(h, { targets: ids('t', 6), skipped: [] });
    await control(h);
    await waveStops(h, 'paused', totalsOf({ succeeded: 2 }), 2);
    await control(h, { ...RUN, command: 'pause', pauseReason: 'operator', generation: 1 });
    expect(status(h).state).toBe('paused');
    h.raiseEvent(EVENT.control, { operation: 'cancel', requestedAt: '2025-01-01T00:10:00.000Z' });
    await h.step();
    await control(h, { ...RUN, command: 'cancel', generation: 2 });
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ succeeded: 2, canceled: 4 }) });
  });

  test('a pause recorded before a wave starts holds the wave until resume', async () => {
    const h = rollout(specOf({ waves: [{ percent: 50 }, { percent: 100 }] }));
    await resolved(h, { targets: ids('t', 4), skipped: [] });
    await control(h);
    await waveSucceeds(h);
    await control(h, { ...RUN, command: 'pause', generation: 1 });
    expect(status(h)).toMatchObject({ phase: 'paused', wave: 1 });
    await control(h, { ...RUN, command: 'pause', generation: 1 }); // whilePaused reads once more, then sleeps
    expect(h.open('subOrchestration')).toHaveLength(0);
    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: '2025-01-01T00:10:00.000Z' });
    await h.step();
    await control(h, { ...RUN, command: 'run', generation: 2 });
    expect(waveCall(h).instanceId).toBe('r1:w1');
  });

  test('a target query that keeps failing aborts the rollout after retries', async () => {
    const h = rollout(specOf({}));
    await h.step();
    for (let attempt = 1; attempt <= RESOLVE_ATTEMPTS; attempt += 1) {
      h.failActivity(h.only('activity', 'resolveTargets'), 'IoT Hub query failed: HTTP 503');
      await h.step();
      if (attempt < RESOLVE_ATTEMPTS) {
        h.fireTimer(h.only('timer'));
        await h.step();
      }
    }
    const output = h.output as RolloutOutput;
    expect(output.state).toBe('aborted');
    expect(output.error).toMatch(/resolving the targets failed: IoT Hub query failed: HTTP 503/);
    expect(h.open('subOrchestration')).toHaveLength(0);
  });

  test('a target query IoT Hub rejects aborts the rollout at once: no retries', async () => {
    const h = rollout(specOf({}));
    await h.step();
    h.completeActivity(h.only('activity', 'resolveTargets'), {
      rejected: 'IoT Hub rejected the twin query (HTTP 400): Syntax error at line 1, column 40',
    } satisfies ResolveTargetsResult);
    await h.step();
    expect(h.open('timer')).toHaveLength(0);
    expect(h.open('activity', 'resolveTargets')).toHaveLength(0);
    const output = h.output as RolloutOutput;
    expect(output.state).toBe('aborted');
    expect(output.error).toBe(
      'resolving the targets failed: IoT Hub rejected the twin query (HTTP 400): Syntax error at line 1, column 40',
    );
    expect(h.open('subOrchestration')).toHaveLength(0);
  });

  test('every device already on the version: completed, all skipped', async () => {
    const h = rollout(specOf({}));
    await resolved(h, { targets: [], skipped: ['a', 'b'] });
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ skipped: 2 }) });
  });
});

describe('rollout orchestration: approval timeouts', () => {
  const MINUTE = 60_000;
  const DAY = 24 * 60 * MINUTE;
  const START = Date.parse('2025-01-01T00:00:00.000Z');
  const iso = (ms: number): string => new Date(ms).toISOString();
  /** The control register as the entity holds it once the rollout reported it awaits wave 1's approval. */
  const AWAITING = reportPhase(RUN, { phase: 'awaitingApproval', wave: 1 }, iso(START));

  /** Two waves of two devices; the first has run and the rollout awaits the approval of the second (after its first look). */
  async function awaitingWave1(approval: Record<string, unknown> | string): Promise<OrchestrationHarness> {
    const h = rollout(specOf({ waves: [{ percent: 50 }, { percent: 100 }], approval }));
    await resolved(h, { targets: ids('t', 4), skipped: [] });
    await control(h);
    await waveSucceeds(h);
    expect(status(h)).toMatchObject({ phase: 'awaitingApproval', wave: 1 });
    await control(h, AWAITING);
    return h;
  }

  const reported = (h: OrchestrationHarness, phase: string) =>
    h
      .signals('phase', 'rolloutControl')
      .map((s) => s.input as { phase: string; approvalDeadline?: string })
      .filter((r) => r.phase === phase);

  /** The deadline passes: the timer fires, the rollout looks once more, then asks the entity to apply onTimeout. */
  async function timesOut(h: OrchestrationHarness): Promise<RolloutControlState> {
    h.fireTimer(h.only('timer'));
    await h.step();
    await control(h, AWAITING);
    const call = h.only('callEntity', 'approvalTimeout');
    const timeout = call.input as ApprovalTimeout & { at: string };
    const after = applyApprovalTimeout(AWAITING, timeout, timeout.at);
    h.respondEntity(call, after);
    await h.step();
    return after;
  }

  test('onTimeout approve: the deadline is reported once, and at it the wave starts as approved automatically', async () => {
    const h = await awaitingWave1({ mode: 'manual', timeoutMinutes: 90, onTimeout: 'approve' });
    expect(reported(h, 'awaitingApproval')).toEqual([expect.objectContaining({ wave: 1, approvalDeadline: iso(START + 90 * MINUTE) })]);
    expect(h.only('timer').fireAt).toBe(iso(START + 90 * MINUTE));
    expect(h.open('subOrchestration')).toHaveLength(0);

    const after = await timesOut(h);
    expect(h.scheduled.find((a) => a.name === 'approvalTimeout')!.input).toEqual({
      wave: 1,
      action: 'approve',
      minutes: 90,
      at: iso(START + 90 * MINUTE),
    });
    expect(after).toMatchObject({ approvedThrough: 1, command: 'run' });
    expect(after.log.at(-1)).toEqual({
      time: iso(START + 90 * MINUTE),
      operation: 'approvalTimeout',
      detail: 'wave 1 approved automatically after 90 min',
    });
    await control(h, after); // before the wave starts
    expect((waveCall(h).input as WaveInput).wave.index).toBe(1);
    // Running now: the deadline is no longer reported.
    expect(reported(h, 'running').at(-1)).not.toHaveProperty('approvalDeadline');
    await waveSucceeds(h);
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: 4 }) });
  });

  test('onTimeout cancel: the rollout ends canceled, the unapproved wave never starts', async () => {
    const h = await awaitingWave1({ mode: 'manual', timeoutMinutes: 0.5, onTimeout: 'cancel' });
    expect(h.only('timer').fireAt).toBe(iso(START + 30_000));
    const after = await timesOut(h);
    expect(after).toMatchObject({ command: 'cancel', approvedThrough: -1 });
    expect(after.log.at(-1)).toMatchObject({
      operation: 'approvalTimeout',
      detail: 'canceled automatically: wave 1 not approved within 0.5 min',
    });
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ succeeded: 2, canceled: 2 }) });
    expect((h.output as RolloutOutput).waves.map((w) => w.state)).toEqual(['completed', 'canceled']);
    expect(h.scheduled.filter((a) => a.kind === 'subOrchestration')).toHaveLength(1);
  });

  test('onTimeout pause: the rollout is paused; the resume is the approval and the wave starts', async () => {
    const h = await awaitingWave1({ mode: 'manual', timeoutMinutes: 60, onTimeout: 'pause' });
    const after = await timesOut(h);
    expect(after).toMatchObject({ command: 'pause', pauseReason: 'approvalTimeout', approvedThrough: -1 });
    expect(after.log.at(-1)!.detail).toBe('paused automatically: wave 1 not approved within 60 min; resume approves it');
    expect(status(h)).toMatchObject({ phase: 'paused', state: 'paused', wave: 1 });
    expect(status(h).waves[1].state).toBe('paused');
    const paused = reportPhase(after, { phase: 'paused', wave: 1 }, iso(START + 60 * MINUTE));
    expect(reported(h, 'paused')).toEqual([expect.objectContaining({ wave: 1 })]);
    await control(h, paused);
    expect(h.open('subOrchestration')).toHaveLength(0);
    expect(h.open('callEntity')).toHaveLength(0); // asleep until woken, no deadline any more
    expect(h.open('timer')).toHaveLength(0);

    h.advance(5 * DAY);
    const resumed = applyCommand(paused, 'resume', iso(h.now.getTime()));
    expect(resumed).toMatchObject({ command: 'run', approvedThrough: 1 });
    expect(resumed.log.at(-1)!.detail).toBe('resumed by the operator: wave 1 approved');
    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: iso(h.now.getTime()) });
    await h.step();
    await control(h, resumed); // whilePaused
    await control(h, resumed); // before the wave starts
    expect(waveCall(h).instanceId).toBe('r1:w1');
    await waveSucceeds(h);
    expect(h.output).toMatchObject({ state: 'completed' });
  });

  test('an approval before the deadline: the wave starts, and the timer firing later does nothing', async () => {
    const h = await awaitingWave1({ mode: 'manual', timeoutMinutes: 60, onTimeout: 'cancel' });
    const timer = h.only('timer');
    h.advance(20 * MINUTE); // replays later must still compute the same deadline
    const approved = applyCommand(AWAITING, 'approve', iso(h.now.getTime()));
    h.raiseEvent(EVENT.control, { operation: 'approve', requestedAt: iso(h.now.getTime()) });
    await h.step();
    await control(h, approved);
    await control(h, approved); // before the wave starts
    expect(waveCall(h).input).toMatchObject({ wave: { index: 1 } });
    h.fireTimer(timer);
    expect(await h.step()).toEqual([]);
    await waveSucceeds(h);
    expect(h.output).toMatchObject({ state: 'completed', totals: totalsOf({ succeeded: 4 }) });
    expect(h.scheduled.filter((a) => a.name === 'approvalTimeout')).toEqual([]);
    expect(reported(h, 'awaitingApproval')).toHaveLength(1);
  });

  test('cancel while waiting: canceled at once, no timeout applied', async () => {
    const h = await awaitingWave1({ mode: 'manual', timeoutMinutes: 60, onTimeout: 'approve' });
    h.advance(MINUTE);
    h.raiseEvent(EVENT.control, { operation: 'cancel', requestedAt: iso(h.now.getTime()) });
    await h.step();
    await control(h, applyCommand(AWAITING, 'cancel', iso(h.now.getTime())));
    expect(h.output).toMatchObject({ state: 'canceled', totals: totalsOf({ succeeded: 2, canceled: 2 }) });
    expect(h.scheduled.filter((a) => a.name === 'approvalTimeout')).toEqual([]);
    expect(h.scheduled.filter((a) => a.kind === 'subOrchestration')).toHaveLength(1);
  });

  test('a timeout longer than 3 days waits on timers of at most 3 days, each wake costing the same few events', async () => {
    const h = await awaitingWave1({ mode: 'manual', timeoutMinutes: 10 * 24 * 60, onTimeout: 'cancel' });
    expect(reported(h, 'awaitingApproval')[0].approvalDeadline).toBe(iso(START + 10 * DAY));
    const fireAts: string[] = [];
    const growth: number[] = [];
    for (;;) {
      const timer = h.open('timer');
      if (timer.length === 0) break;
      expect(timer).toHaveLength(1);
      expect(Date.parse(timer[0].fireAt!) - h.now.getTime()).toBeLessThanOrEqual(3 * DAY);
      fireAts.push(timer[0].fireAt!);
      const before = h.historyLength;
      h.fireTimer(timer[0]);
      await h.step();
      if (h.open('callEntity', 'get').length === 0) break;
      await control(h, AWAITING);
      growth.push(h.historyLength - before);
    }
    expect(fireAts).toEqual([3, 6, 9, 10].map((days) => iso(START + days * DAY)));
    // Every wake: the timer fired, one control read, a fresh timer and wait: the same count, so the history grows by the day, not per event.
    expect(new Set(growth.slice(0, -1)).size).toBe(1);
    const call = h.only('callEntity', 'approvalTimeout');
    const timeout = call.input as ApprovalTimeout & { at: string };
    expect(timeout).toMatchObject({ action: 'cancel', minutes: 14_400, at: iso(START + 10 * DAY) });
    h.respondEntity(call, applyApprovalTimeout(AWAITING, timeout, timeout.at));
    await h.step();
    expect(h.output).toMatchObject({ state: 'canceled' });
    expect(h.maxHistory).toBeLessThan(120);
  });

  test('no timeout: waits for the approval however long it takes, without a timer', async () => {
    const h = await awaitingWave1({ mode: 'manual' });
    expect(reported(h, 'awaitingApproval')[0]).not.toHaveProperty('approvalDeadline');
    expect(h.open('timer')).toHaveLength(0);
    expect(h.open('callEntity')).toHaveLength(0);
  });

  test('an input from before the object form ("manual" as a string) still waits for the approval', async () => {
    const legacy = { ...specOf({ waves: [{ percent: 50 }, { percent: 100 }] }), approval: 'manual' as unknown as ApprovalPolicy };
    const h = rollout(legacy);
    await resolved(h, { targets: ids('t', 4), skipped: [] });
    await control(h);
    await waveSucceeds(h);
    expect(status(h)).toMatchObject({ phase: 'awaitingApproval', wave: 1 });
    await control(h, AWAITING);
    expect(h.open('subOrchestration')).toHaveLength(0);
    expect(h.open('timer')).toHaveLength(0);
  });
});
