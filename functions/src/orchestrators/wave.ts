/**
 * The wave orchestration: a wave's devices in batch sub-orchestrations of up to MAX_BATCH_DEVICES,
 * one after the other. Each batch is the tracker of its devices and holds the whole concurrency
 * (maxConcurrency devices in progress, a finished device replaced at once), and judges the failure
 * threshold as its devices finish, on this attempt's results so far (`baseline` + its own); see
 * rollout/wavePlan.ts for the shape.
 *
 * Control: before it starts a batch the wave reads the rollout's control entity; pause or cancel
 * stops it from starting any more, as it stops the running batch from starting more devices
 * (devices already running finish). So does the failure threshold (after a resume, judged on the
 * results since the resume), and being outside the maintenance windows (windowClosed: no batch
 * starts, and the running batch starts no more devices). A batch that stopped early hands back the
 * devices it did not start.
 *
 * Stage then apply: the rollout runs a wave's devices in a stage pass and then its staged devices
 * in an apply pass (settings.pass, see batch.ts); the stage pass collects the devices its batches
 * staged (carried across episodes) and stops at the stage deadline like at a window's end.
 *
 * History: an episode starts at most MAX_BATCHES_PER_WAVE_EPISODE batches, each adding
 * (created, completed) and one control read, then continues as new with the devices not started
 * yet: a few hundred events, whatever the wave's size.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { controlEntity } from '../entities/contracts';
import {
  MAX_BATCHES_PER_WAVE_EPISODE,
  MAX_BATCH_DEVICES,
  addTotals,
  batchInstanceId,
  evaluateThreshold,
  thresholdCounts,
  totalsOf,
  windowState,
} from '../rollout';
import type {
  DeviceTimeouts,
  FailureThreshold,
  FirmwareSpec,
  HubPace,
  MaintenanceWindow,
  RolloutControlState,
  Totals,
  WavePass,
} from '../rollout';
import type { BatchInput, BatchResult, BatchStop } from './batch';
import { callEntity, callSubOrchestrator, log } from './orchestrationApi';
import type { Step } from './orchestrationApi';
import { ORCHESTRATION } from './contracts';

export interface WaveSettings {
  firmware: FirmwareSpec;
  timeouts: DeviceTimeouts;
  failureThreshold: FailureThreshold;
  maxConcurrency: number;
  shardCount: number;
  /** The hub's pace, when the app setting names its tier. */
  pace?: HubPace | null;
  /** The spec's maintenance windows; absent when devices may start at any time. */
  windows?: MaintenanceWindow[];
  /** With stageThenApply: the pass this run of the wave makes. */
  pass?: WavePass;
  /** The stage pass's end (ISO 8601), set once when the wave's stage pass started. */
  stageDeadline?: string;
}

export interface WaveInput {
  rolloutId: string;
  wave: { index: number; name: string };
  /** 0 for the first run of the wave, +1 for each run after a resume. */
  attempt: number;
  /** Continue-as-new count within this attempt. */
  episode: number;
  /** The devices not started yet, in plan order. */
  deviceIds: string[];
  /** The index of the next batch in the wave; continues across episodes and attempts. */
  nextBatch: number;
  /** Results of this attempt so far. */
  totals: Totals;
  /** The rollout's attempt when it is a retry (2, 3, …): part of the batch instance ids. Absent: 1. */
  rolloutAttempt?: number;
  settings: WaveSettings;
  /** Stage pass: the devices this attempt staged in earlier episodes. */
  staged?: string[];
}

export type WaveOutcome = 'completed' | BatchStop;

export interface WaveResult {
  outcome: WaveOutcome;
  /** Devices this attempt ran, by how they ended. */
  totals: Totals;
  /** Devices never started (empty when completed). */
  remaining: string[];
  nextBatch: number;
  /** Stage pass: the devices this attempt staged (absent in the other passes). */
  staged?: string[];
}

export function* waveOrchestrator(context: OrchestrationContext): Step<WaveResult | undefined> {
  const input = context.df.getInput<WaveInput>();
  const { rolloutId, settings } = input;
  const wave = input.wave.index;
  // The devices not started yet are queue[next…]. An index, not a copy after each batch: every replay runs this
  // loop again, and copying the list after each batch made a replay cost batches × devices.
  let queue = input.deviceIds;
  let next = 0;
  let totals = input.totals;
  let nextBatch = input.nextBatch;
  let stop: BatchStop | null = null;
  let staged = input.staged ?? [];

  const status = (running: number | null): void =>
    context.df.setCustomStatus({
      rolloutId,
      wave,
      name: input.wave.name,
      attempt: input.attempt,
      episode: input.episode,
      batch: running,
      stopReason: stop,
      ...(settings.pass === undefined ? {} : { pass: settings.pass, staged: staged.length }),
      devicesNotStarted: queue.length - next,
      totals,
    });

  log(context, 'info', 'wave.episode', { rolloutId, wave, attempt: input.attempt, episode: input.episode, devices: queue.length });
  for (let started = 0; next < queue.length && stop === null; started += 1) {
    if (started >= MAX_BATCHES_PER_WAVE_EPISODE) {
      const following: WaveInput = {
        ...input,
        episode: input.episode + 1,
        deviceIds: queue.slice(next),
        nextBatch,
        totals,
        ...(settings.pass === 'stage' ? { staged } : {}),
      };
      context.df.continueAsNew(following);
      return undefined;
    }
    // The threshold, as a batch judges it before it starts devices; here it can also trip at a batch's very end.
    const verdict = evaluateThreshold(thresholdCounts(totals), settings.failureThreshold);
    if (verdict !== 'continue') {
      stop = verdict === 'abort' ? 'thresholdAbort' : 'thresholdPause';
      break;
    }
    if (settings.windows !== undefined && !windowState(settings.windows, context.df.currentUtcDateTime.getTime()).open) {
      stop = 'windowClosed';
      break;
    }
    if (settings.pass === 'stage' && settings.stageDeadline !== undefined) {
      if (context.df.currentUtcDateTime.getTime() >= Date.parse(settings.stageDeadline)) {
        stop = 'stageDeadline';
        break;
      }
    }
    const control = yield* callEntity<'rolloutControl', 'get', RolloutControlState | null>(context, controlEntity(rolloutId), 'get');
    if (control?.command === 'cancel' || control?.command === 'pause') {
      stop = control.command === 'cancel' ? 'canceled' : 'paused';
      break;
    }
    const deviceIds = queue.slice(next, next + MAX_BATCH_DEVICES);
    next += deviceIds.length;
    const batchInput: BatchInput = {
      rolloutId,
      wave,
      batch: nextBatch,
      deviceIds,
      slots: settings.maxConcurrency,
      baseline: totals,
      failureThreshold: settings.failureThreshold,
      shardCount: settings.shardCount,
      firmware: settings.firmware,
      timeouts: settings.timeouts,
      pace: settings.pace ?? null,
      ...(settings.windows === undefined ? {} : { windows: settings.windows }),
      ...(settings.pass === undefined ? {} : { pass: settings.pass }),
      ...(settings.stageDeadline === undefined ? {} : { stageDeadline: settings.stageDeadline }),
    };
    status(nextBatch);
    let result: BatchResult;
    try {
      result = yield* callSubOrchestrator<BatchResult>(
        context,
        ORCHESTRATION.batch,
        batchInput,
        batchInstanceId(rolloutId, wave, nextBatch, 0, input.rolloutAttempt ?? 1),
      );
    } catch (error) {
      // The batch orchestration itself failed (a bug, not a verdict): its devices count as failed.
      log(context, 'error', 'wave.batchFailed', {
        rolloutId,
        wave,
        batch: nextBatch,
        error: error instanceof Error ? error.message : String(error),
      });
      result = { totals: totalsOf({ failed: deviceIds.length }), remaining: [], stop: null };
    }
    nextBatch += 1;
    totals = addTotals(totals, result.totals);
    if (result.staged !== undefined && result.staged.length > 0) staged = [...staged, ...result.staged];
    if (result.remaining.length > 0) {
      queue = [...result.remaining, ...queue.slice(next)];
      next = 0;
    }
    stop = result.stop;
    if (stop !== null)
      log(context, stop.startsWith('threshold') ? 'warn' : 'info', 'wave.stopping', {
        rolloutId,
        wave,
        reason: stop,
        ...thresholdCounts(totals),
      });
  }
  status(null);

  const remaining = queue.slice(next);
  const result: WaveResult = {
    outcome: stop ?? 'completed',
    totals,
    remaining,
    nextBatch,
    ...(settings.pass === 'stage' ? { staged } : {}),
  };
  log(context, 'info', 'wave.finished', {
    rolloutId,
    wave,
    attempt: input.attempt,
    outcome: result.outcome,
    remaining: remaining.length,
    ...totals,
  });
  return result;
}

df.app.orchestration(ORCHESTRATION.wave, waveOrchestrator);
