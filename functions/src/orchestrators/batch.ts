/**
 * The batch orchestration: up to MAX_BATCH_DEVICES devices of a wave, and their tracker. It runs
 * at most `slots` (the rollout's maxConcurrency) devices at once, starting the next as soon as one
 * finishes, and follows every one from the firmwareUpdate method to a verdict (succeeded, failed,
 * timedOut, skipped, canceled) in one orchestration state, so durable work is paid per batch
 * episode, not per device report (rollout/trackedDevice.ts is the per-device logic):
 *
 *   start    one invokeFirmwareUpdate activity calls the method on all the devices being started,
 *            the request naming this instance as `tracker`; the retries that are due (offline,
 *            busy) are made together the same way. The batch does not stop to wait for the
 *            answers: the activity goes into its next wait with the reports, so reports keep
 *            being applied (and slots refilled) while method calls are under way.
 *   follow   devices echo `tracker` in their reports, so the twin-change handler raises them here:
 *            one `twinReport` event per Event Hub batch carries all of this batch's reports. The
 *            wait is one Task.any of that event and ONE timer at the earliest deadline or retry
 *            time of any device. At a passed deadline the twins of the devices concerned are read
 *            (one readDeviceTwins activity) in case an event was lost; only those that show no
 *            progress are timedOut.
 *   publish  at most every PUBLISH_INTERVAL_SECONDS (QUIET_PUBLISH_SECONDS when no report comes),
 *            the devices that changed go to their shard entities, one operation per shard touched (the wave orders devices by shard, so only a
 *            few), and the shard passes the changes of state on to the ledger.
 *   pace     when the rollout is paced to the hub's tier (`pace`), each call (new devices and
 *            due retries) first reserves its devices from the hub-wide budget (hubBudget entity),
 *            which every rollout shares; what it does not grant waits for the time it names.
 *            Throttled (429) calls and twin reads are tried again later and slow the budget down.
 *   judge    before it starts more devices, the failure threshold on the wave's results so far
 *            (`baseline`, from the batches before) and this batch's; and, at most every
 *            CONTROL_CHECK_SECONDS, the control entity: pause or cancel stop new starts, cancel
 *            also cancels the devices waiting for a retry. Outside the maintenance windows
 *            (`windows`) no device starts either: the one timer also wakes at a window's end, and
 *            the batch stops as on a pause (windowClosed). Devices in progress always finish.
 *   passes   with stageThenApply the wave runs its devices twice (`pass`). The stage pass calls
 *            firmwareUpdate with install 'staged': a device that reports downloadComplete after
 *            echoing it is staged, done with this pass (its slot frees, BatchResult.staged); one
 *            whose answer lacks the echo (an agent without staging) installs at once and is
 *            followed to its verdict. At `stageDeadline` the pass starts no more devices and those
 *            not staged by then are timedOut (stageDeadline). The apply pass calls firmwareApply
 *            on staged devices; the apply deadline runs from the call.
 *
 * It returns its totals, the devices it did not start, and why it stopped early, if it did.
 *
 * History: an execution waits at most BATCH_STEPS_PER_EPISODE times, then, once its method calls
 * have answered, continues as new with the devices in progress. durable-functions drops the events
 * an execution received but did not take, so before the switch every event already delivered is
 * taken (drain); reports that reach the old execution
 * in its very last episode are dropped all the same, so a device the new execution does not hear
 * from within RESYNC_GRACE_SECONDS has its twin read.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { FIRMWARE_APPLY_METHOD } from '../../../contracts/firmwareUpdate';
import type { FirmwareApplyRequest, FirmwareUpdateRequest } from '../../../contracts/firmwareUpdate';
import type { FirmwareMethodCall } from '../activities/catalog';
import { controlEntity, hubBudgetEntity, shardEntity } from '../entities/contracts';
import {
  addTotals,
  evaluateThreshold,
  expirePhase,
  groupByShard,
  parseBatchInstanceId,
  parseTwinReportsEvent,
  thresholdCounts,
  totalsOf,
  updateOf,
  windowState,
} from '../rollout';
import * as tracked from '../rollout/trackedDevice';
import type {
  BudgetGrant,
  DeviceTimeouts,
  DeviceTracking,
  DeviceUpdate,
  FailureThreshold,
  FirmwareSpec,
  HubPace,
  MaintenanceWindow,
  RolloutControlState,
  Totals,
  TrackedDevice,
  TwinReport,
  WavePass,
} from '../rollout';
import { EventInbox, activityTask, after, callEntity, log, now, settledActivity, signalEntity, tryActivity } from './orchestrationApi';
import type { Step } from './orchestrationApi';
import { EVENT, ORCHESTRATION } from './contracts';

export interface BatchInput {
  rolloutId: string;
  wave: number;
  batch: number;
  /** The batch's devices, started in this order. */
  deviceIds: string[];
  /** Devices in progress at most: the rollout's maxConcurrency. */
  slots: number;
  /** The wave attempt's results before this batch, for the failure threshold. */
  baseline: Totals;
  failureThreshold: FailureThreshold;
  shardCount: number;
  firmware: FirmwareSpec;
  timeouts: DeviceTimeouts;
  /** The hub's pace when the app setting names its tier: method calls draw from the hub-wide budget. */
  pace?: HubPace | null;
  /** The spec's maintenance windows: devices start only inside one. Absent: at any time. */
  windows?: MaintenanceWindow[];
  /** With stageThenApply, the pass this batch runs (absent: each device installs after its download). */
  pass?: WavePass;
  /** The stage pass's end (ISO 8601), set once for the wave. */
  stageDeadline?: string;
  /** Present in an execution after continue-as-new. */
  carry?: BatchCarry;
}

export interface BatchCarry {
  /** The devices in progress; their trackings hold no unpublished timeline entries. */
  running: TrackedDevice[];
  /** Index in deviceIds of the next device to start. */
  next: number;
  totals: Totals;
  stop: BatchStop | null;
  control: ControlCheck;
  episode: number;
  /** Stage pass: the devices staged so far (absent in a carry from before staging). */
  staged?: string[];
}

/** Why a batch stopped starting devices before it started them all. */
export type BatchStop = 'paused' | 'canceled' | 'thresholdPause' | 'thresholdAbort' | 'windowClosed' | 'stageDeadline';

export interface BatchResult {
  totals: Totals;
  /** Devices not started, in order (empty unless stopped). */
  remaining: string[];
  stop: BatchStop | null;
  /** Stage pass: the devices that staged, in order (absent in the other passes). */
  staged?: string[];
}

interface ControlCheck {
  command: RolloutControlState['command'];
  /** Orchestration time of the read (ISO 8601). */
  at: string;
}

/** How stale the control entity's command may be when the batch starts or retries devices. */
export const CONTROL_CHECK_SECONDS = 5;
/** Shard updates go out at most this often, and when the batch ends or continues as new: news is batched, not sent per report. */
export const PUBLISH_INTERVAL_SECONDS = 1;
/** How long news may wait when no report comes to wake the batch. */
export const QUIET_PUBLISH_SECONDS = 5;
/** A method call answers within methodSeconds (IoT Hub's responseTimeoutInSeconds); this much more before the batch looks. */
export const CALL_GRACE_SECONDS = 5;
/** Waits kept open for twin reports, so a burst that arrives during an activity is all taken after it. */
export const OPEN_WAITS = 16;
/** Waits per execution before continuing as new; see historyBound.test.ts for the events each adds. */
export const BATCH_STEPS_PER_EPISODE = 25;

/**
 * The firmwareUpdate method's payload for a rollout, naming the tracker the device reports to and, in a retry of
 * the rollout, its attempt (part of the tracker's id), so that a device whose update of the rollout failed starts over.
 */
export function firmwareUpdateRequest(rolloutId: string, firmware: FirmwareSpec, tracker: string): FirmwareUpdateRequest {
  const { version: fwVersion, uri: fwPackageUri, sha256, size, manifest } = firmware;
  const attempt = parseBatchInstanceId(tracker)?.rolloutAttempt;
  return {
    rolloutId,
    fwVersion,
    fwPackageUri,
    sha256,
    size,
    tracker,
    ...(attempt === undefined ? {} : { attempt }),
    ...(manifest === undefined ? {} : { manifest }),
  };
}

/** The method call of a batch's pass: firmwareUpdate (install 'staged' in the stage pass), or firmwareApply. */
function methodCall(input: BatchInput, tracker: string): FirmwareMethodCall {
  if (input.pass === 'apply') {
    const request: FirmwareApplyRequest = { rolloutId: input.rolloutId, fwVersion: input.firmware.version, tracker };
    return { method: FIRMWARE_APPLY_METHOD, request };
  }
  const request = firmwareUpdateRequest(input.rolloutId, input.firmware, tracker);
  return { request: input.pass === 'stage' ? { ...request, install: 'staged' } : request };
}

export function* batchOrchestrator(context: OrchestrationContext): Step<BatchResult | undefined> {
  const input = context.df.getInput<BatchInput>();
  const { rolloutId, wave, batch, deviceIds, timeouts } = input;
  const carry = input.carry;
  const target = { rolloutId, fwVersion: input.firmware.version };
  const call = methodCall(input, context.df.instanceId);
  const stageDeadline = input.pass === 'stage' && input.stageDeadline !== undefined ? Date.parse(input.stageDeadline) : null;
  const fields = { rolloutId, wave, batch };
  const clock = (): number => context.df.currentUtcDateTime.getTime();

  // Reports raised as the last execution ended may have been dropped with it: resync if a device stays quiet.
  const running = new Map<string, TrackedDevice>(
    (carry?.running ?? []).map((device) => [device.tracking.deviceId, tracked.afterSwitch(device, now(context))]),
  );
  let next = carry?.next ?? 0;
  let totals = carry?.totals ?? totalsOf();
  let stop = carry?.stop ?? null;
  const staged = carry?.staged ?? [];
  // The wave read the control entity right before it started this batch.
  let control: ControlCheck = carry?.control ?? { command: 'run', at: now(context) };
  /** News for the shards: devices in progress that changed, and devices that finished. */
  const changed = new Set<string>();
  const finishedNews: DeviceTracking[] = [];
  /** Method calls under way, and those scheduled since the last wait (they go into the next one). */
  const calls: { task: Task; deviceIds: string[]; at: number }[] = [];
  const unwaited: Task[] = [];
  let steps = 0;
  /** The hub-wide budget said to ask again no sooner than this (epoch ms). */
  let paceAt = -Infinity;

  const set = (device: TrackedDevice): void => {
    const { deviceId, state } = device.tracking;
    const current = running.get(deviceId);
    if (current === device) return;
    if (current !== undefined && current.tracking.state !== state) {
      log(context, 'info', 'device.state', {
        ...fields,
        deviceId,
        from: current.tracking.state,
        to: state,
        status: device.tracking.status,
      });
    }
    if (input.pass === 'stage' && tracked.isStaged(device)) {
      // Its stage pass is over: it waits for the apply pass, in no slot.
      running.delete(deviceId);
      changed.delete(deviceId);
      finishedNews.push(device.tracking);
      staged.push(deviceId);
      log(context, 'info', 'device.staged', { ...fields, deviceId });
      return;
    }
    if (tracked.isSettled(device)) {
      running.delete(deviceId);
      changed.delete(deviceId);
      finishedNews.push(device.tracking);
      totals = addTotals(totals, totalsOf({ [state]: 1 }));
      log(context, state === 'succeeded' ? 'info' : 'warn', 'device.finished', {
        ...fields,
        deviceId,
        state,
        error: device.tracking.error?.code ?? null,
      });
      return;
    }
    running.set(deviceId, device);
    if (current?.tracking !== device.tracking) changed.add(deviceId);
  };
  const status = (): void =>
    context.df.setCustomStatus({
      ...fields,
      ...(input.pass === undefined ? {} : { pass: input.pass, staged: staged.length }),
      devices: deviceIds.length,
      started: next,
      inProgress: running.size,
      stopReason: stop,
      totals,
    });

  // The news of a device whose method call is under way waits for the answer.
  const hasNews = (): boolean => {
    if (finishedNews.length > 0) return true;
    for (const deviceId of changed) if (!tracked.isCalling(running.get(deviceId)!)) return true;
    return false;
  };
  let publishedAt = -Infinity;
  /** The news to the shards, one operation per shard touched. */
  const publish = (): void => {
    publishedAt = clock();
    const updates: DeviceUpdate[] = finishedNews.map((tracking) => updateOf(tracking, wave));
    for (const deviceId of changed) {
      const device = running.get(deviceId)!;
      updates.push(updateOf(device.tracking, wave));
      running.set(deviceId, { ...device, tracking: { ...device.tracking, timeline: [], timelineDropped: 0 } });
    }
    changed.clear();
    finishedNews.length = 0;
    groupByShard(updates, input.shardCount, (update) => update.deviceId).forEach((group, shard) => {
      if (group.length > 0) signalEntity(context, shardEntity(rolloutId, shard), 'update', { updates: group });
    });
  };

  /** The control entity's command, read again when the last read is CONTROL_CHECK_SECONDS old. */
  function* command(): Step<ControlCheck['command']> {
    if (clock() - Date.parse(control.at) >= CONTROL_CHECK_SECONDS * 1000) {
      const state = yield* callEntity<'rolloutControl', 'get', RolloutControlState | null>(context, controlEntity(rolloutId), 'get');
      control = { command: state?.command ?? 'run', at: now(context) };
    }
    return control.command;
  }

  const invoke = (deviceIds: string[]): void => {
    const task = activityTask(context, 'invokeFirmwareUpdate', { ...call, deviceIds, responseTimeoutInSeconds: timeouts.methodSeconds });
    calls.push({ task, deviceIds, at: clock() });
    unwaited.push(task);
  };
  /** The answers of the method calls that have completed. */
  const answered = (): void => {
    let throttledCalls = 0;
    for (const call of [...calls]) {
      const settled = settledActivity<'invokeFirmwareUpdate'>(call.task);
      if (settled === undefined) continue;
      calls.splice(calls.indexOf(call), 1);
      call.deviceIds.forEach((deviceId, i) => {
        const outcome = settled.ok ? settled.value[i].outcome : tracked.invokeFailed(settled.error);
        if (outcome.kind === 'throttled') throttledCalls += 1;
        // A device can finish from its reports before its call answers (a fast update): the late answer changes nothing.
        const device = running.get(deviceId);
        if (device !== undefined) set(tracked.applyInvokeOutcome(device, outcome, now(context), timeouts, input.firmware.version));
      });
    }
    if (throttledCalls > 0) hubThrottled('firmwareUpdate', throttledCalls);
  };

  /** The hub answered 429: the hub-wide budget slows down (when this rollout is paced). */
  const hubThrottled = (operation: string, requests: number): void => {
    log(context, 'warn', 'batch.throttled', { ...fields, operation, requests });
    if (input.pace) signalEntity(context, hubBudgetEntity(), 'throttled', { at: clock(), ceiling: input.pace.devicesPerSecond });
  };

  /** How many of `want` method calls the hub-wide budget allows now: all of them when the rollout is not paced. */
  function* permits(want: number): Step<number> {
    if (!input.pace || want === 0) return want;
    if (clock() < paceAt) return 0;
    const grant = yield* callEntity<'hubBudget', 'reserve', BudgetGrant>(context, hubBudgetEntity(), 'reserve', {
      want,
      at: clock(),
      ceiling: input.pace.devicesPerSecond,
    });
    paceAt = grant.retryAt ?? -Infinity;
    return grant.granted;
  }

  /** Past the stage deadline nothing starts, and the devices not staged by then stop holding the wave. */
  const stageDeadlinePassed = (): void => {
    if (stageDeadline === null || clock() < stageDeadline) return;
    if (stop === null && (next < deviceIds.length || running.size > 0)) {
      stop = 'stageDeadline';
      log(context, 'info', 'batch.stopping', { ...fields, reason: stop, inProgress: running.size });
    }
    for (const device of [...running.values()]) {
      const missed = tracked.missedStageDeadline(device, now(context));
      if (missed !== null) set(missed);
    }
  };

  /** Fills the free slots from the queue, unless the window, the threshold, a pause or a cancel says stop. */
  function* startMore(): Step<void> {
    // Judged with the slots full too, so that the batch stops at the window's end, not when a slot frees.
    if (stop === null && next < deviceIds.length && input.windows !== undefined && !windowState(input.windows, clock()).open) {
      stop = 'windowClosed';
      log(context, 'info', 'batch.stopping', { ...fields, reason: stop, inProgress: running.size });
      return;
    }
    if (stop === null && next < deviceIds.length && running.size < input.slots) {
      const verdict = evaluateThreshold(thresholdCounts(addTotals(input.baseline, totals)), input.failureThreshold);
      if (verdict !== 'continue') {
        stop = verdict === 'abort' ? 'thresholdAbort' : 'thresholdPause';
        log(context, 'warn', 'batch.thresholdTripped', { ...fields, verdict, ...thresholdCounts(addTotals(input.baseline, totals)) });
        return;
      }
      const current = yield* command();
      if (current !== 'run') {
        stop = current === 'cancel' ? 'canceled' : 'paused';
        log(context, 'info', 'batch.stopping', { ...fields, reason: stop, inProgress: running.size });
        return;
      }
      const ids = deviceIds.slice(next, next + (yield* permits(Math.min(input.slots - running.size, deviceIds.length - next))));
      if (ids.length === 0) return;
      next += ids.length;
      const start = input.pass === 'apply' ? tracked.startApply : tracked.startTracked;
      for (const deviceId of ids) set(start(deviceId, now(context)));
      invoke(ids);
    }
  }

  /** The retries that are due; a canceled rollout cancels those devices instead. */
  function* retryDue(): Step<void> {
    if (![...running.values()].some((device) => tracked.isRetryDue(device, clock()))) return;
    const canceled = (yield* command()) === 'cancel';
    const due = [...running.values()].filter((device) => tracked.isRetryDue(device, clock()));
    if (canceled) {
      for (const device of due) set(tracked.cancelBeforeStart(device, now(context)));
      return;
    }
    const calling = due.slice(0, yield* permits(due.length));
    if (calling.length === 0) return;
    for (const device of calling) set(tracked.callingAgain(device));
    invoke(calling.map((device) => device.tracking.deviceId));
  }

  /** The twins of devices to catch up and of devices past their deadline; those still past it time out. */
  function* readTwins(): Step<void> {
    const ids = [...running.values()]
      .filter((device) => tracked.needsTwinRead(device, timeouts, clock()))
      .map((device) => device.tracking.deviceId);
    if (ids.length === 0) return;
    const reads = yield* tryActivity(context, 'readDeviceTwins', { deviceIds: ids, rolloutId });
    if (!reads.ok) log(context, 'warn', 'batch.twinReadFailed', { ...fields, devices: ids.length, error: reads.error });
    let throttledReads = 0;
    ids.forEach((deviceId, i) => {
      const read = reads.ok ? reads.value[i].read : null;
      if (read !== null && 'throttled' in read) {
        throttledReads += 1;
        set(tracked.deferTwinRead(running.get(deviceId)!, now(context)));
        return;
      }
      const reports = read !== null && 'found' in read && read.found && read.report !== null ? [read.report] : [];
      let device = tracked.applyReports({ ...running.get(deviceId)!, resyncAt: null }, reports, target, now(context));
      // The phase is over and the twin shows nothing newer: the device timed out.
      if (tracked.isPastDeadline(device, timeouts, clock())) device = { ...device, tracking: expirePhase(device.tracking, now(context)) };
      set(device);
    });
    if (throttledReads > 0) hubThrottled('twinRead', throttledReads);
  }

  const inbox = new EventInbox<unknown>(context.df, EVENT.twinReport);
  /** Applies every report the inbox holds, each device's in $version order. */
  const received = (): void => {
    const byDevice = new Map<string, TwinReport[]>();
    for (const payload of inbox.take()) {
      const parsed = parseTwinReportsEvent(payload);
      for (const { deviceId, report } of parsed.reports) {
        const reports = byDevice.get(deviceId);
        if (reports === undefined) byDevice.set(deviceId, [report]);
        else reports.push(report);
      }
      for (const problem of parsed.problems) log(context, 'warn', 'batch.badEvent', { ...fields, problem });
    }
    for (const [deviceId, reports] of byDevice) {
      const device = running.get(deviceId);
      if (device !== undefined) set(tracked.applyReports(device, reports, target, now(context)));
    }
  };

  /** Takes every event delivered to this execution: fresh waits complete at once while events are buffered. */
  function* drain(): Step<void> {
    for (;;) {
      const waits = inbox.openWaits(OPEN_WAITS);
      yield context.df.Task.any([...waits, context.df.createTimer(new Date(clock()))]);
      received();
      if (!waits.some((wait) => wait.isCompleted)) return;
    }
  }

  if (carry === undefined) log(context, 'info', 'batch.started', { ...fields, devices: deviceIds.length, slots: input.slots });
  status();
  const publishIfDue = (done: boolean): void => {
    if (hasNews() && (done || clock() - publishedAt >= PUBLISH_INTERVAL_SECONDS * 1000)) publish();
  };
  for (;;) {
    answered();
    yield* retryDue();
    yield* readTwins();
    stageDeadlinePassed();
    publishIfDue(false);
    yield* startMore();
    const done = running.size === 0 && (stop !== null || next >= deviceIds.length);
    publishIfDue(done);
    status();
    if (done) break;
    if (steps >= BATCH_STEPS_PER_EPISODE) {
      // A method call's answer would not reach the next execution: wait for each (alone, which is safe).
      unwaited.length = 0;
      for (const call of calls) {
        if (settledActivity(call.task) !== undefined) continue;
        try {
          yield call.task;
        } catch {
          // answered() records the failure
        }
      }
      answered();
      yield* drain();
      if (hasNews()) publish();
      const nextCarry: BatchCarry = {
        running: [...running.values()],
        next,
        totals,
        stop,
        control,
        episode: (carry?.episode ?? 0) + 1,
        ...(input.pass === 'stage' ? { staged } : {}),
      };
      log(context, 'info', 'batch.continueAsNew', { ...fields, episode: nextCarry.episode, inProgress: running.size, started: next });
      context.df.continueAsNew({ ...input, carry: nextCarry } satisfies BatchInput);
      return undefined;
    }
    // One timer for the whole batch: the earliest deadline or retry time of any device, or when a
    // method call under way must have answered (a call that answers wakes the batch only in the
    // wait it was scheduled in).
    let earliest = Infinity;
    const heldBack = paceAt > clock();
    for (const device of running.values()) {
      const wakeUp = tracked.nextWakeUp(device, timeouts) ?? Infinity;
      // Due and still waiting: the hub-wide budget holds its retry back until paceAt.
      earliest = Math.min(earliest, heldBack && wakeUp <= clock() ? paceAt : wakeUp);
    }
    if (heldBack && stop === null && next < deviceIds.length && running.size < input.slots) earliest = Math.min(earliest, paceAt);
    for (const call of calls) earliest = Math.min(earliest, call.at + (timeouts.methodSeconds + CALL_GRACE_SECONDS) * 1000);
    // At the window's end no more devices start: stop then, not at the next report.
    if (input.windows !== undefined && stop === null && next < deviceIds.length) {
      earliest = Math.min(earliest, windowState(input.windows, clock()).closesAt ?? Infinity);
    }
    if (stageDeadline !== null && clock() < stageDeadline) earliest = Math.min(earliest, stageDeadline);
    // News waits for the next report after PUBLISH_INTERVAL_SECONDS, or at most QUIET_PUBLISH_SECONDS:
    // a timer that fires is billed, and while reports flow an execution ends before this one would.
    if (hasNews()) earliest = Math.min(earliest, publishedAt + QUIET_PUBLISH_SECONDS * 1000);
    if (earliest === Infinity) earliest = after(context, timeouts.methodSeconds).getTime();
    yield context.df.Task.any([
      ...inbox.openWaits(OPEN_WAITS),
      context.df.createTimer(new Date(Math.max(earliest, clock()))),
      ...unwaited.splice(0),
    ]);
    steps += 1;
    received();
  }

  const result: BatchResult = { totals, remaining: deviceIds.slice(next), stop, ...(input.pass === 'stage' ? { staged } : {}) };
  log(context, 'info', 'batch.finished', {
    ...fields,
    stopReason: stop,
    remaining: result.remaining.length,
    staged: staged.length,
    ...totals,
  });
  return result;
}

df.app.orchestration(ORCHESTRATION.batch, batchOrchestrator);
