/**
 * The wave orchestration: a wave's devices in batch sub-orchestrations, with bounded concurrency,
 * judging the failure threshold each time a batch finishes.
 *
 * Fan-out (rollout/wavePlan.ts, waveFanOut): batches of batchSize = min(100, ceil(maxConcurrency
 * / 10)) devices, batchesInFlight = floor(maxConcurrency / batchSize) of them at once, so at most
 * maxConcurrency devices are in progress and a slow device holds up a tenth of the concurrency.
 * A finished batch is replaced at once (not window by window).
 *
 * Knowing which batch finished: durable-functions for JavaScript cannot wait on "any of the
 * running batches" more than once (a task put in a second Task.any is scheduled again, see
 * durable.ts), so each batch ends by raising a `batchDone` event on its wave, and the wave waits
 * on that event. New batches are scheduled by one Task.any of the new tasks and a fresh wait, and
 * are never yielded again.
 *
 * Control: before it starts new batches the wave reads the rollout's control entity; pause or
 * cancel stops it from starting any more (devices already running finish). So does the failure
 * threshold, judged on this attempt's results (after a resume, on the results since the resume).
 *
 * History: an episode starts at most MAX_BATCHES_PER_WAVE_EPISODE batches, waits for all of them,
 * then continues as new with the devices not started yet (a batch's completion would not reach a
 * new execution, so none may be running at the switch). Per episode: ≤ 50 batches × (created,
 * completed, batchDone) + one control read (2) per refill + the Task.any timer-free waits — a few
 * hundred events, whatever the wave's size.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { controlEntity } from '../entities/contracts';
import { MAX_BATCHES_PER_WAVE_EPISODE, addTotals, batchInstanceId, evaluateThreshold, thresholdCounts, totalsOf, waveFanOut } from '../rollout';
import type { DeviceTimeouts, FailureThreshold, FirmwareSpec, RolloutControlState, ThresholdVerdict, Totals } from '../rollout';
import type { BatchDoneEvent, BatchInput, BatchResult } from './batch';
import { EventInbox, callEntity, log } from './durable';
import type { Step } from './durable';
import { EVENT, ORCHESTRATION } from './names';

export interface WaveSettings {
  firmware: FirmwareSpec;
  timeouts: DeviceTimeouts;
  failureThreshold: FailureThreshold;
  maxConcurrency: number;
  shardCount: number;
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
  settings: WaveSettings;
}

export type WaveOutcome = 'completed' | 'paused' | 'canceled' | 'thresholdPause' | 'thresholdAbort';

export interface WaveResult {
  outcome: WaveOutcome;
  /** Devices this attempt ran, by how they ended. */
  totals: Totals;
  /** Devices never started (empty when completed). */
  remaining: string[];
  nextBatch: number;
}

interface RunningBatch {
  task: Task;
  size: number;
}

export function* waveOrchestrator(context: OrchestrationContext): Step<WaveResult | undefined> {
  const input = context.df.getInput<WaveInput>();
  const { rolloutId, settings } = input;
  const wave = input.wave.index;
  const { batchSize, batchesInFlight } = waveFanOut(input.deviceIds.length, settings.maxConcurrency);
  const inbox = new EventInbox<BatchDoneEvent>(context.df, EVENT.batchDone);
  const running = new Map<string, RunningBatch>();
  let totals = input.totals;
  let offset = 0;
  let nextBatch = input.nextBatch;
  let started = 0;
  let stop: Exclude<WaveOutcome, 'completed'> | null = null;

  const status = (): void =>
    context.df.setCustomStatus({
      rolloutId,
      wave,
      name: input.wave.name,
      attempt: input.attempt,
      episode: input.episode,
      phase: stop === null ? 'running' : 'stopping',
      stopReason: stop,
      batchSize,
      batchesInFlight: running.size,
      devicesNotStarted: input.deviceIds.length - offset,
      totals,
    });
  const finished = (id: string, result: BatchResult | null): void => {
    const batch = running.get(id);
    if (batch === undefined) return; // a duplicate notification
    running.delete(id);
    totals = addTotals(totals, result?.totals ?? totalsOf({ failed: batch.size }));
    const verdict: ThresholdVerdict = evaluateThreshold(thresholdCounts(totals), settings.failureThreshold);
    if (verdict !== 'continue' && stop === null) {
      stop = verdict === 'abort' ? 'thresholdAbort' : 'thresholdPause';
      log(context, 'warn', 'wave.thresholdTripped', { rolloutId, wave, verdict, ...thresholdCounts(totals) });
    }
  };
  const collect = (): void => {
    for (const event of inbox.take()) finished(event.batchInstanceId, event.result);
    // A batch whose task result came in directly (it won the Task.any it was scheduled in).
    for (const [id, batch] of running) {
      if (batch.task.isCompleted) finished(id, batch.task.result as BatchResult);
      else if (batch.task.isFaulted) finished(id, null);
    }
  };

  log(context, 'info', 'wave.episode', { rolloutId, wave, attempt: input.attempt, episode: input.episode, devices: input.deviceIds.length, batchSize, batchesInFlight });
  status();
  for (;;) {
    const canStart = stop === null && offset < input.deviceIds.length && started < MAX_BATCHES_PER_WAVE_EPISODE && running.size < batchesInFlight;
    if (canStart) {
      const control = yield* callEntity<'rolloutControl', 'get', RolloutControlState | null>(context, controlEntity(rolloutId), 'get');
      collect();
      if (control?.command === 'cancel') stop = 'canceled';
      else if (control?.command === 'pause') stop = 'paused';
      if (stop === null) {
        const fresh: Task[] = [];
        while (offset < input.deviceIds.length && started < MAX_BATCHES_PER_WAVE_EPISODE && running.size < batchesInFlight) {
          const deviceIds = input.deviceIds.slice(offset, offset + batchSize);
          const batchInput: BatchInput = {
            rolloutId,
            wave,
            batch: nextBatch,
            deviceIds,
            shardCount: settings.shardCount,
            firmware: settings.firmware,
            timeouts: settings.timeouts,
          };
          const id = batchInstanceId(rolloutId, wave, nextBatch);
          const task = context.df.callSubOrchestrator(ORCHESTRATION.batch, batchInput, id);
          running.set(id, { task, size: deviceIds.length });
          fresh.push(task);
          offset += deviceIds.length;
          nextBatch += 1;
          started += 1;
        }
        status();
        yield context.df.Task.any([...fresh, inbox.next()]);
        collect();
        status();
        continue;
      }
      log(context, 'info', 'wave.stopping', { rolloutId, wave, reason: stop, running: running.size });
    }
    if (running.size === 0) break;
    status();
    yield inbox.next();
    collect();
  }
  status();

  const remaining = input.deviceIds.slice(offset);
  if (stop === null && remaining.length > 0) {
    const next: WaveInput = { ...input, episode: input.episode + 1, deviceIds: remaining, nextBatch, totals };
    context.df.continueAsNew(next);
    return undefined;
  }
  const result: WaveResult = { outcome: stop ?? 'completed', totals, remaining, nextBatch };
  log(context, 'info', 'wave.finished', { rolloutId, wave, attempt: input.attempt, outcome: result.outcome, remaining: remaining.length, ...totals });
  return result;
}

df.app.orchestration(ORCHESTRATION.wave, waveOrchestrator);
