jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import type { DeviceInvokeOutcome, InvokeFirmwareUpdateInput } from '../../../functions/src/activities/invokeFirmwareUpdate';
import type { ResolveTargetsResult } from '../../../functions/src/activities/resolveTargets';
import { batchOrchestrator } from '../../../functions/src/orchestrators/batch';
import type { BatchInput } from '../../../functions/src/orchestrators/batch';
import { EVENT } from '../../../functions/src/orchestrators/contracts';
import type { TwinReportsEvent } from '../../../functions/src/orchestrators/contracts';
import { rolloutOrchestrator } from '../../../functions/src/orchestrators/rollout';
import type { RolloutCustomStatus, RolloutInput } from '../../../functions/src/orchestrators/rollout';
import { waveOrchestrator } from '../../../functions/src/orchestrators/wave';
import type { WaveInput, WaveResult } from '../../../functions/src/orchestrators/wave';
import { initialControlState, totalsOf } from '../../../functions/src/rollout';
import type { MaintenanceWindow, RolloutControlState, RolloutSpec } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS, specOf, twinEvent } from '../support/fixtures';
import { OrchestrationHarness } from '../support/orchestrationHarness';
import type { Scheduled } from '../support/orchestrationHarness';

const RUN = initialControlState();
const CANCEL: RolloutControlState = { ...RUN, command: 'cancel', generation: 1 };
/** Sundays 01:00-05:00 in Berlin: on 2026-03-29 that is 00:00Z-03:00Z (the clocks go forward at 02:00). */
const BERLIN_SUNDAY: MaintenanceWindow = { days: ['sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Berlin' };
const DAILY_UTC: MaintenanceWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
  from: '01:00',
  to: '02:00',
  timeZone: 'UTC',
};

function rollout(spec: RolloutSpec, start: string): OrchestrationHarness {
  const input: RolloutInput = { rolloutId: 'r1', spec, specHash: 'hash-1', createdAt: start, pace: null };
  return new OrchestrationHarness(rolloutOrchestrator, { instanceId: 'r1', input, start: new Date(start) });
}

async function control(h: OrchestrationHarness, state: RolloutControlState = RUN): Promise<void> {
  h.respondEntity(h.only('callEntity', 'get'), state);
  await h.step();
}

const status = (h: OrchestrationHarness): RolloutCustomStatus => h.customStatus as RolloutCustomStatus;
const phaseReports = (h: OrchestrationHarness) =>
  h.signals('phase', 'rolloutControl').map((s) => s.input as { phase: string; nextWindowAt?: string });
const waitTimer = (h: OrchestrationHarness): Scheduled => h.open('timer').at(-1)!;
const waveCall = (h: OrchestrationHarness): Scheduled => h.only('subOrchestration', 'rolloutWave');

async function resolve(h: OrchestrationHarness, targets: string[]): Promise<void> {
  h.completeActivity(h.only('activity', 'resolveTargets'), { targets, skipped: [] } satisfies ResolveTargetsResult);
  await h.step();
}

async function waveEnds(h: OrchestrationHarness, outcome: WaveResult['outcome'], started: number): Promise<WaveInput> {
  const call = waveCall(h);
  const input = call.input as WaveInput;
  const remaining = input.deviceIds.slice(started);
  h.completeSubOrchestration(call, { outcome, totals: totalsOf({ succeeded: started }), remaining, nextBatch: 1 } satisfies WaveResult);
  await h.step();
  return input;
}

describe('rollout schedule: startAt', () => {
  const spec = specOf({ schedule: { startAt: '2025-01-05T00:00:00+00:00' } });

  test('a startAt ahead: scheduled, waiting on timers of at most 3 days, then the targets are resolved', async () => {
    const h = rollout(spec, '2025-01-01T00:00:00Z');
    await h.step();
    expect(h.open('activity')).toHaveLength(0);
    expect(status(h)).toMatchObject({ phase: 'scheduled', state: 'scheduled' });
    expect(h.signals('state', 'rolloutCatalog').map((s) => (s.input as { state: string }).state)).toEqual(['scheduled']);
    await control(h);
    expect(waitTimer(h).fireAt).toBe('2025-01-04T00:00:00.000Z');
    h.fireTimer(waitTimer(h));
    await h.step();
    await control(h);
    expect(waitTimer(h).fireAt).toBe('2025-01-05T00:00:00.000Z');
    h.fireTimer(waitTimer(h));
    await h.step();
    await control(h);
    expect(h.only('activity', 'resolveTargets')).toBeDefined();
    expect(status(h)).toMatchObject({ phase: 'resolvingTargets', state: 'running' });
    expect(phaseReports(h).map((r) => r.phase)).toEqual(['scheduled', 'running']);
  });

  test('cancel while scheduled: canceled, nothing resolved', async () => {
    const h = rollout(spec, '2025-01-01T00:00:00Z');
    await h.step();
    await control(h);
    h.raiseEvent(EVENT.control, { operation: 'cancel', requestedAt: '2025-01-01T01:00:00Z' });
    await h.step();
    await control(h, CANCEL);
    expect(h.isDone).toBe(true);
    expect(h.output).toMatchObject({ state: 'canceled' });
    expect(h.scheduled.filter((action) => action.kind === 'activity')).toHaveLength(0);
  });

  test('a startAt already passed starts at once', async () => {
    const h = rollout(spec, '2025-01-06T00:00:00Z');
    await h.step();
    expect(h.only('activity', 'resolveTargets')).toBeDefined();
    expect(status(h).phase).toBe('resolvingTargets');
  });
});

describe('rollout schedule: maintenance windows', () => {
  const spec = specOf({ schedule: { windows: [BERLIN_SUNDAY] }, maxConcurrency: 2 });
  const devices = ['d0', 'd1', 'd2', 'd3'];

  /** Saturday noon: planned, then waiting for Sunday's window (2026-03-29T00:00Z). */
  async function waitingForSunday(): Promise<OrchestrationHarness> {
    const h = rollout(spec, '2026-03-28T12:00:00Z');
    await h.step();
    await resolve(h, devices);
    await control(h); // before the wave: run
    expect(status(h)).toMatchObject({ phase: 'waitingForWindow', state: 'waitingForWindow' });
    expect(phaseReports(h).at(-1)).toEqual(
      expect.objectContaining({ phase: 'waitingForWindow', nextWindowAt: '2026-03-29T00:00:00.000Z' }),
    );
    expect(h.open('subOrchestration')).toHaveLength(0);
    await control(h);
    expect(waitTimer(h).fireAt).toBe('2026-03-29T00:00:00.000Z');
    return h;
  }

  test('outside a window the first wave waits; at a window end the wave stops and goes on in the next window', async () => {
    const h = await waitingForSunday();
    h.fireTimer(waitTimer(h));
    await h.step();
    await control(h);
    const first = waveCall(h).input as WaveInput;
    expect(first).toMatchObject({ attempt: 0, deviceIds: devices, settings: { windows: [BERLIN_SUNDAY] } });
    expect(phaseReports(h).at(-1)).toEqual(expect.objectContaining({ phase: 'running' }));
    expect(phaseReports(h).at(-1)).not.toHaveProperty('nextWindowAt');

    // 05:00 CEST = 03:00Z, after the spring-forward: two devices ran; the next window opens next Sunday 01:00 CEST.
    h.advance(3 * 3600 * 1000);
    await waveEnds(h, 'windowClosed', 2);
    expect(phaseReports(h).at(-1)).toEqual(
      expect.objectContaining({ phase: 'waitingForWindow', nextWindowAt: '2026-04-04T23:00:00.000Z' }),
    );
    expect(status(h).waves[0]).toMatchObject({ state: 'waitingForWindow', succeeded: 2, pending: 2 });
    await control(h);
    expect(waitTimer(h).fireAt).toBe('2026-04-01T03:00:00.000Z'); // at most 3 days out
    h.fireTimer(waitTimer(h));
    await h.step();
    await control(h);
    expect(waitTimer(h).fireAt).toBe('2026-04-04T03:00:00.000Z');
    h.fireTimer(waitTimer(h));
    await h.step();
    await control(h);
    expect(waitTimer(h).fireAt).toBe('2026-04-04T23:00:00.000Z');
    h.fireTimer(waitTimer(h));
    await h.step();
    await control(h);
    const second = waveCall(h).input as WaveInput;
    expect(second).toMatchObject({ attempt: 1, deviceIds: ['d2', 'd3'] });
    await waveEnds(h, 'completed', 2);
    expect(h.output).toMatchObject({ state: 'completed', totals: { succeeded: 4 } });
  });

  test('cancel while waiting for a window: canceled, the devices never started are canceled', async () => {
    const h = await waitingForSunday();
    h.raiseEvent(EVENT.control, { operation: 'cancel', requestedAt: '2026-03-28T13:00:00Z' });
    await h.step();
    await control(h, CANCEL);
    expect(h.output).toMatchObject({ state: 'canceled', totals: { canceled: 4, pending: 0 } });
    expect(h.scheduled.filter((action) => action.kind === 'subOrchestration')).toHaveLength(0);
  });

  test('a pause while waiting for a window holds the rollout paused; after the resume it waits on for the window', async () => {
    const h = await waitingForSunday();
    h.raiseEvent(EVENT.control, { operation: 'pause', requestedAt: '2026-03-28T13:00:00Z' });
    await h.step();
    await control(h, { ...RUN, command: 'pause', generation: 1 });
    expect(status(h).phase).toBe('paused');
    await control(h, { ...RUN, command: 'pause', generation: 1 });
    h.raiseEvent(EVENT.control, { operation: 'resume', requestedAt: '2026-03-28T14:00:00Z' });
    await h.step();
    await control(h, { ...RUN, generation: 2 });
    expect(status(h).phase).toBe('waitingForWindow');
    await control(h, { ...RUN, generation: 2 });
    expect(waitTimer(h).fireAt).toBe('2026-03-29T00:00:00.000Z');
  });

  test('history: each window waited for adds the same few events', async () => {
    const h = rollout(specOf({ schedule: { windows: [DAILY_UTC] } }), '2026-03-02T01:00:00Z');
    await h.step();
    await resolve(h, devices);
    await control(h);
    const grown: number[] = [];
    for (let day = 0; day < 3; day += 1) {
      const before = h.historyLength;
      h.advance(3600 * 1000); // 02:00Z, the window's end
      await waveEnds(h, 'windowClosed', 1);
      await control(h);
      h.fireTimer(waitTimer(h)); // 01:00Z the next day
      await h.step();
      await control(h);
      expect(waveCall(h).input).toMatchObject({ attempt: day + 1 });
      grown.push(h.historyLength - before);
    }
    expect(new Set(grown).size).toBe(1);
    // The wave's end, the phase and wave-state signals, a control read and a timer, the next wave: no more per window.
    expect(grown[0]).toBeLessThanOrEqual(24);
  });
});

describe('wave and batch at a window end', () => {
  test('the wave starts no batch outside the windows', async () => {
    const input: WaveInput = {
      rolloutId: 'r1',
      wave: { index: 0, name: 'wave-1' },
      attempt: 1,
      episode: 0,
      deviceIds: ['d0', 'd1'],
      nextBatch: 2,
      totals: totalsOf(),
      settings: {
        firmware: FIRMWARE,
        timeouts: TIMEOUTS,
        failureThreshold: { percent: 100, minDevices: 1, action: 'pause' },
        maxConcurrency: 2,
        shardCount: 1,
        windows: [BERLIN_SUNDAY],
      },
    };
    const h = new OrchestrationHarness(waveOrchestrator, { instanceId: 'r1:w0:a1', input, start: new Date('2026-03-29T03:00:00Z') });
    await h.step();
    expect(h.output).toEqual({ outcome: 'windowClosed', totals: totalsOf(), remaining: ['d0', 'd1'], nextBatch: 2 });
  });

  test('Berlin spring-forward: the batch wakes at 05:00 CEST (03:00Z); no device starts after, the one running finishes', async () => {
    const input: BatchInput = {
      rolloutId: 'r1',
      wave: 0,
      batch: 0,
      deviceIds: ['a', 'b', 'c'],
      slots: 1,
      baseline: totalsOf(),
      failureThreshold: { percent: 100, minDevices: 1, action: 'pause' },
      shardCount: 1,
      firmware: FIRMWARE,
      timeouts: TIMEOUTS,
      windows: [BERLIN_SUNDAY],
    };
    const h = new OrchestrationHarness(batchOrchestrator, {
      instanceId: 'r1:w0:b0',
      input,
      parentInstanceId: 'r1:w0',
      start: new Date('2026-03-29T02:58:00Z'),
    });
    await h.step();
    const call = h.only('activity', 'invokeFirmwareUpdate');
    expect((call.input as InvokeFirmwareUpdateInput).deviceIds).toEqual(['a']);
    h.completeActivity(call, [{ deviceId: 'a', outcome: { kind: 'accepted' } }] satisfies DeviceInvokeOutcome[]);
    await h.step();
    h.advance(30 * 1000);
    h.raiseEvent(EVENT.twinReport, { reports: [twinEvent(2, 'downloading', { deviceId: 'a' })] } satisfies TwinReportsEvent);
    await h.step();
    // The download deadline is TIMEOUTS.downloadMinutes away; the window ends first.
    expect(waitTimer(h).fireAt).toBe('2026-03-29T03:00:00.000Z');
    h.fireTimer(waitTimer(h));
    await h.step();
    expect(h.customStatus).toMatchObject({ stopReason: 'windowClosed', inProgress: 1 });
    h.advance(60 * 1000);
    h.raiseEvent(EVENT.twinReport, {
      reports: [twinEvent(3, 'applyComplete', { deviceId: 'a', currentFwVersion: FIRMWARE.version })],
    } satisfies TwinReportsEvent);
    await h.step();
    expect(h.scheduled.filter((action) => action.name === 'invokeFirmwareUpdate')).toHaveLength(1);
    expect(h.output).toEqual({ totals: totalsOf({ succeeded: 1 }), remaining: ['b', 'c'], stop: 'windowClosed' });
  });
});
