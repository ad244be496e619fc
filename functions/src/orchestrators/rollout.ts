/**
 * The rollout orchestration: one firmware rollout across the fleet, wave by wave.
 *
 *   0. start     with a schedule.startAt still ahead, the rollout is `scheduled` until then (its
 *                targets are resolved when it starts, so they are current).
 *   1. resolve   the resolveTargets activity runs the twin query (paged); devices already on the
 *                version are skipped. A failure is tried again (4 tries in all); a query IoT Hub
 *                rejects (400) aborts the rollout at once, as asking again gets the same answer.
 *   2. plan      planWaves (deterministic: sorted ids, integer shares); the ledger entity gets the
 *                plan and each device shard its rows (≤ MAX_DEVICE_SHARDS signals).
 *   3. waves     each non-empty wave runs as a wave sub-orchestration. Before every wave but the
 *                first: soak (a durable timer of soakSeconds) and, with approval "manual", wait
 *                for the operator's approve, at most the approval's timeout (see awaitApproval).
 *                A wave that stops because of the failure threshold pauses the rollout (action
 *                pause) or aborts it (action abort); an operator pause
 *                stops new devices the same way. After a resume the wave runs again (a new attempt)
 *                with its devices not started yet. Cancel stops new devices; in-flight ones finish,
 *                and every device never started is canceled.
 *   windows      with schedule.windows, devices start only inside a maintenance window: outside
 *                one, the rollout is `waitingForWindow` until the next opens (before a wave, or
 *                when a wave stopped at a window's end, windowClosed), then runs the wave again
 *                with its devices not started yet, as after a resume.
 *
 * Control: operators do not talk to this orchestration directly. The HTTP API records a command
 * in the rollout's control entity and raises a `control` event here as a wake-up; whenever the
 * rollout decides (between waves, while soaking, awaiting approval or paused) it reads the entity.
 * While a wave runs, the rollout simply waits for it: the wave reads the same entity before it
 * starts new devices. A wake-up that is lost or late therefore never loses a command.
 *
 * Status: the customStatus carries the phase, the state and per-wave counts as this orchestration
 * knows them (wave results, which count finished devices only: its waves' inProgressBy are
 * `unstaged`, zeros whenever nothing is counted in progress); the live per-device counts, stages
 * included, are in the ledger entity (see http/rollouts.ts). The phase is also reported to the control entity and the catalog.
 *
 * History: resolve (≤ 4 tries) + ≤ MAX_DEVICE_SHARDS + a few signals + per wave a handful of
 * events (sub-orchestration, timers, control reads), as many per window waited for or per 3 days
 * of waiting, plus 2-4 per operator command: independent of the fleet size (the device list itself
 * travels as one activity result and wave inputs).
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { catalogEntity, controlEntity, ledgerEntity, shardEntity } from '../entities/contracts';
import {
  addTotals,
  approvalPolicy,
  finalState,
  groupByShard,
  initialControlState,
  planWaves,
  plannedWaveStatus,
  rolloutPolicy,
  shardCountFor,
  totalsOf,
  waveInstanceId,
  waveStatus,
  windowState,
} from '../rollout';
import type {
  ApprovalTimeout,
  FinalRolloutState,
  HubPace,
  PhaseReport,
  PlannedWave,
  RolloutControlState,
  RolloutSpec,
  RolloutState,
  Totals,
  WaveState,
  WaveStatus,
} from '../rollout';
import {
  EventInbox,
  activityWithRetry,
  after,
  callEntity,
  callSubOrchestrator,
  log,
  now,
  signalEntity,
  timerToward,
} from './orchestrationApi';
import type { Step } from './orchestrationApi';
import { EVENT, ORCHESTRATION } from './contracts';
import type { ControlEvent } from './contracts';
import type { WaveInput, WaveResult } from './wave';

export interface RolloutInput {
  rolloutId: string;
  spec: RolloutSpec;
  /** sha256 of specFingerprint(spec): how a re-POST is told from a conflicting one. */
  specHash: string;
  createdAt: string;
  /** The hub's pace, from the app settings FLEETWAVE_HUB_TIER / FLEETWAVE_HUB_UNITS when it started. */
  pace?: HubPace | null;
}

export interface RolloutOutput {
  rolloutId: string;
  state: FinalRolloutState;
  totals: Totals;
  waves: WaveStatus[];
  error?: string;
}

/** What the customStatus shows while the rollout runs. */
export interface RolloutCustomStatus {
  rolloutId: string;
  specHash: string;
  phase: 'scheduled' | 'resolvingTargets' | 'running' | 'soaking' | 'awaitingApproval' | 'waitingForWindow' | 'paused' | FinalRolloutState;
  state: RolloutState;
  wave: number | null;
  attempt: number;
  totals: Totals;
  waves: WaveStatus[];
  error?: string;
}

export const RESOLVE_ATTEMPTS = 4;
export const RESOLVE_FIRST_RETRY_SECONDS = 30;

type Ending = 'finished' | 'aborted' | 'canceled';

export function* rolloutOrchestrator(context: OrchestrationContext): Step<RolloutOutput> {
  const input = context.df.getInput<RolloutInput>();
  const { rolloutId, spec } = input;
  const approval = approvalPolicy(spec.approval);
  const control = controlEntity(rolloutId);
  const ledger = ledgerEntity(rolloutId);
  const catalog = catalogEntity();
  const inbox = new EventInbox<ControlEvent>(context.df, EVENT.control);

  let waves: WaveStatus[] = spec.waves.map((wave, index) =>
    waveStatus({ index, name: wave.name, percent: wave.percent }, 'pending', totalsOf()),
  );
  let outside = totalsOf();
  let phase: RolloutCustomStatus['phase'] = 'resolvingTargets';
  let state: RolloutState = 'running';
  let currentWave: number | null = null;
  let attempt = 0;
  let error: string | undefined;

  const status = (): void => {
    const custom: RolloutCustomStatus = {
      rolloutId,
      specHash: input.specHash,
      phase,
      state,
      wave: currentWave,
      attempt,
      totals: addTotals(...waves, outside),
      waves,
      ...(error === undefined ? {} : { error }),
    };
    context.df.setCustomStatus(custom);
  };
  /** A new phase: shown in the customStatus, reported to the control entity and the catalog. */
  const enter = (
    next: RolloutCustomStatus['phase'],
    nextState: RolloutState,
    wave: number | null,
    report: Pick<PhaseReport, 'pausedBy' | 'approvalDeadline' | 'nextWindowAt'> = {},
  ): void => {
    const at = now(context);
    phase = next;
    currentWave = wave;
    signalEntity(context, control, 'phase', { phase: nextState, wave, at, ...report });
    if (nextState !== state) signalEntity(context, catalog, 'state', { id: rolloutId, state: nextState, at });
    state = nextState;
    status();
    log(context, 'info', 'rollout.phase', { rolloutId, wave: wave ?? undefined, phase: next, state: nextState });
  };
  const setWave = (index: number, waveState: WaveState, counts?: Totals, final = false): void => {
    const at = now(context);
    const current = waves.find((wave) => wave.index === index);
    const totals = totalsOfWave(counts ?? current ?? totalsOf());
    waves = waves.map((wave) => (wave.index === index ? waveStatus(wave, waveState, totals) : wave));
    if (final) signalEntity(context, ledger, 'waveFinal', { index, state: waveState, totals, at });
    else signalEntity(context, ledger, 'waveState', { index, state: waveState, at });
    status();
  };

  function* readControl(): Step<RolloutControlState> {
    return (yield* callEntity<'rolloutControl', 'get', RolloutControlState | null>(context, control, 'get')) ?? initialControlState();
  }
  /**
   * Reads the control entity until `decide` says what to do, sleeping until a wake-up between reads;
   * with a `deadline`, its `value` once its time has come and `decide` still says nothing.
   */
  function* waitForControl<T>(decide: (state: RolloutControlState) => T | undefined, deadline?: { at: Date; value: T }): Step<T> {
    for (;;) {
      inbox.take();
      const decision = decide(yield* readControl());
      if (decision !== undefined) return decision;
      if (deadline !== undefined && context.df.currentUtcDateTime.getTime() >= deadline.at.getTime()) return deadline.value;
      if (inbox.take().length > 0) continue; // woken while reading: read again
      yield deadline === undefined ? inbox.next() : context.df.Task.any([timerToward(context, deadline.at), inbox.next()]);
    }
  }
  function* whilePaused(): Step<'resume' | 'cancel'> {
    return yield* waitForControl((c) => (c.command === 'cancel' ? 'cancel' : c.command === 'run' ? 'resume' : undefined));
  }
  function* soak(afterWave: number): Step<'done' | 'cancel'> {
    const end = after(context, spec.soakSeconds);
    phase = 'soaking';
    setWave(afterWave, 'soaking', waves[afterWave], true);
    log(context, 'info', 'rollout.soak', { rolloutId, wave: afterWave, until: end.toISOString() });
    return yield* waitForControl<'done' | 'cancel'>((c) => (c.command === 'cancel' ? 'cancel' : undefined), { at: end, value: 'done' });
  }
  /**
   * Waits for the operator's approval of wave `index`, or a cancel. With a timeout, the deadline is
   * set once, on entering; when it passes, the control entity applies onTimeout unless an approve or
   * cancel got there first: approve goes on, cancel ends the rollout, pause pauses it, and then the
   * operator's resume is the approval.
   */
  function* awaitApproval(index: number): Step<'approved' | 'cancel'> {
    const { timeoutMinutes: minutes, onTimeout: action } = approval;
    const timeout = minutes === undefined || action === undefined ? undefined : { wave: index, action, minutes };
    const deadline = timeout && { at: after(context, timeout.minutes * 60), value: timeout };
    enter('awaitingApproval', 'awaitingApproval', index, deadline === undefined ? {} : { approvalDeadline: deadline.at.toISOString() });
    setWave(index, 'awaitingApproval');
    const decide = (c: RolloutControlState) => (c.command === 'cancel' ? 'cancel' : c.approvedThrough >= index ? 'approved' : undefined);
    const decision = yield* waitForControl<'approved' | 'cancel' | ApprovalTimeout>(decide, deadline);
    if (typeof decision === 'string') return decision;
    const input = { ...decision, at: now(context) };
    const timedOut = yield* callEntity<'rolloutControl', 'approvalTimeout', RolloutControlState>(
      context,
      control,
      'approvalTimeout',
      input,
    );
    log(context, 'info', 'rollout.approvalTimeout', { rolloutId, wave: index, onTimeout: decision.action });
    if (timedOut.command === 'pause' && timedOut.pauseReason === 'approvalTimeout') {
      enter('paused', 'paused', index);
      setWave(index, 'paused');
      return (yield* whilePaused()) === 'cancel' ? 'cancel' : 'approved';
    }
    return decide(timedOut) ?? (yield* waitForControl(decide));
  }

  /**
   * Waits until `at` in the phase `waiting` (its timers ≤ 3 days, see waitForControl): cancel ends
   * the wait; a pause holds the rollout paused until a resume, then the wait goes on if `at` has not come.
   */
  function* holdUntil(at: Date, waiting: 'scheduled' | 'waitingForWindow', wave: number | null): Step<'done' | 'cancel'> {
    for (;;) {
      enter(waiting, waiting, wave, waiting === 'waitingForWindow' ? { nextWindowAt: at.toISOString() } : {});
      const decide = (c: RolloutControlState) => (c.command === 'cancel' ? 'cancel' : c.command === 'pause' ? 'pause' : undefined);
      const decision = yield* waitForControl<'done' | 'cancel' | 'pause'>(decide, { at, value: 'done' });
      if (decision !== 'pause') return decision;
      enter('paused', 'paused', wave);
      if ((yield* whilePaused()) === 'cancel') return 'cancel';
      if (context.df.currentUtcDateTime.getTime() >= at.getTime()) return 'done';
    }
  }
  /** Returns at once inside a maintenance window (or without windows); otherwise once the next one opens. */
  function* untilWindow(index: number, counts: Totals): Step<'open' | 'cancel'> {
    const windows = spec.schedule?.windows;
    if (windows === undefined) return 'open';
    for (;;) {
      const window = windowState(windows, context.df.currentUtcDateTime.getTime());
      if (window.open || window.nextOpensAt === null) return 'open';
      setWave(index, 'waitingForWindow', counts);
      log(context, 'info', 'rollout.waitingForWindow', { rolloutId, wave: index, until: new Date(window.nextOpensAt).toISOString() });
      if ((yield* holdUntil(new Date(window.nextOpensAt), 'waitingForWindow', index)) === 'cancel') return 'cancel';
    }
  }

  function* run(): Step<Ending> {
    signalEntity(context, catalog, 'register', {
      id: rolloutId,
      createdAt: input.createdAt,
      firmwareVersion: spec.firmware.version,
      state,
      updatedAt: now(context),
    });
    status();
    const startAt = spec.schedule?.startAt;
    if (startAt !== undefined && Date.parse(startAt) > context.df.currentUtcDateTime.getTime()) {
      log(context, 'info', 'rollout.scheduled', { rolloutId, startAt });
      if ((yield* holdUntil(new Date(startAt), 'scheduled', null)) === 'cancel') return 'canceled';
      enter('resolvingTargets', 'running', null);
    }
    const resolved = yield* activityWithRetry(
      context,
      'resolveTargets',
      { rolloutId, target: spec.target, fwVersion: spec.firmware.version },
      RESOLVE_ATTEMPTS,
      RESOLVE_FIRST_RETRY_SECONDS,
    );
    const outcome = resolved.ok ? resolved.value : { rejected: resolved.error };
    if ('rejected' in outcome) {
      error = `resolving the targets failed: ${outcome.rejected}`;
      return 'aborted';
    }
    const { targets, skipped } = outcome;
    const plan: PlannedWave[] = planWaves(targets, spec.waves);
    const shardCount = shardCountFor(targets.length + skipped.length);
    waves = plan.map(plannedWaveStatus);
    outside = totalsOf({ skipped: skipped.length });
    signalEntity(context, ledger, 'plan', {
      plan: {
        rolloutId,
        firmware: spec.firmware,
        createdAt: input.createdAt,
        shardCount,
        waves: plan.map((wave) => ({ index: wave.index, name: wave.name, percent: wave.percent, targeted: wave.deviceIds.length })),
        skipped: skipped.length,
        policy: rolloutPolicy(spec),
      },
      at: now(context),
    });
    publishRows(plan, skipped, shardCount);
    log(context, 'info', 'rollout.planned', {
      rolloutId,
      targets: targets.length,
      skipped: skipped.length,
      waves: plan.map((wave) => wave.deviceIds.length),
      shardCount,
    });

    const nonEmpty = plan.filter((wave) => wave.deviceIds.length > 0).map((wave) => wave.index);
    for (const planned of plan) {
      const index = planned.index;
      if (planned.deviceIds.length === 0) {
        setWave(index, 'completed', totalsOf(), true);
        continue;
      }
      const position = nonEmpty.indexOf(index);
      if (position > 0) {
        const previous = nonEmpty[position - 1];
        if (spec.soakSeconds > 0) {
          const soaked = yield* soak(previous);
          setWave(previous, finalState('finished', waves[previous]), waves[previous], true);
          if (soaked === 'cancel') return 'canceled';
        }
        if (approval.mode === 'manual') {
          if ((yield* awaitApproval(index)) === 'cancel') return 'canceled';
          log(context, 'info', 'rollout.approved', { rolloutId, wave: index });
        }
      }
      const ending = yield* runWave(planned, shardCount);
      if (ending !== 'finished') return ending;
    }
    return 'finished';
  }

  /** Runs a wave to its end, through pauses and resumes; the wave's remaining devices on a stop. */
  function* runWave(planned: PlannedWave, shardCount: number): Step<Ending> {
    const index = planned.index;
    // In shard order: a batch's devices then share one or two shards, which its tracker updates once per episode.
    let remaining = groupByShard(planned.deviceIds, shardCount, (id) => id).flat();
    let nextBatch = 0;
    let totals = totalsOf();
    const waveTotals = (): Totals => addTotals(totals, totalsOf({ pending: remaining.length }));
    attempt = 0;
    // A pause or cancel recorded while nothing was running (soak, approval) applies before the start.
    const before = yield* readControl();
    if (before.command === 'cancel') return 'canceled';
    if (before.command === 'pause') {
      enter('paused', 'paused', index);
      if ((yield* whilePaused()) === 'cancel') return 'canceled';
    }
    for (;;) {
      if ((yield* untilWindow(index, waveTotals())) === 'cancel') {
        stopWave(index, remaining, totals, 'canceled');
        return 'canceled';
      }
      enter('running', 'running', index);
      setWave(index, 'running', waveTotals());
      const waveInput: WaveInput = {
        rolloutId,
        wave: { index, name: planned.name },
        attempt,
        episode: 0,
        deviceIds: remaining,
        nextBatch,
        totals: totalsOf(),
        settings: {
          firmware: spec.firmware,
          timeouts: spec.deviceTimeouts,
          failureThreshold: spec.failureThreshold,
          maxConcurrency: spec.maxConcurrency,
          shardCount,
          pace: input.pace ?? null,
          ...(spec.schedule?.windows === undefined ? {} : { windows: spec.schedule.windows }),
        },
      };
      let result: WaveResult;
      try {
        result = yield* callSubOrchestrator<WaveResult>(context, ORCHESTRATION.wave, waveInput, waveInstanceId(rolloutId, index, attempt));
      } catch (failure) {
        error = `wave ${index} failed: ${failure instanceof Error ? failure.message : String(failure)}`;
        stopWave(index, remaining, totals, 'aborted');
        return 'aborted';
      }
      totals = addTotals(totals, result.totals);
      remaining = result.remaining;
      nextBatch = result.nextBatch;
      switch (result.outcome) {
        case 'completed':
          setWave(index, finalState('finished', totals), totals, true);
          return 'finished';
        case 'canceled':
          stopWave(index, remaining, totals, 'canceled');
          return 'canceled';
        case 'thresholdAbort':
          error = `the failure threshold (${spec.failureThreshold.percent} %, at least ${spec.failureThreshold.minDevices} devices) was exceeded in wave ${index}`;
          stopWave(index, remaining, totals, 'aborted');
          return 'aborted';
        case 'windowClosed':
          // untilWindow waits for the next window, then the wave runs again with the devices not started.
          log(context, 'info', 'rollout.windowClosed', { rolloutId, wave: index, remaining: remaining.length });
          attempt += 1;
          break;
        case 'paused':
        case 'thresholdPause':
          enter('paused', 'paused', index, result.outcome === 'thresholdPause' ? { pausedBy: 'threshold' } : {});
          setWave(index, 'paused', waveTotals());
          if ((yield* whilePaused()) === 'cancel') {
            stopWave(index, remaining, totals, 'canceled');
            return 'canceled';
          }
          log(context, 'info', 'rollout.resumed', { rolloutId, wave: index, remaining: remaining.length });
          attempt += 1;
          break;
      }
    }
  }

  /** A wave stopped for good: its devices never started are canceled. */
  function stopWave(index: number, remaining: readonly string[], totals: Totals, waveState: 'canceled' | 'aborted'): void {
    setWave(index, waveState, addTotals(totals, totalsOf({ canceled: remaining.length })), true);
  }

  /** Every planned device gets a row in the shard its id hashes to (≤ MAX_DEVICE_SHARDS signals, ids only). */
  function publishRows(plan: readonly PlannedWave[], skipped: readonly string[], shardCount: number): void {
    const groups: { wave: number | null; deviceIds: string[] }[][] = Array.from({ length: shardCount }, () => []);
    const add = (wave: number | null, ids: readonly string[]): void => {
      groupByShard(ids, shardCount, (id) => id).forEach((deviceIds, shard) => {
        if (deviceIds.length > 0) groups[shard].push({ wave, deviceIds });
      });
    };
    for (const wave of plan) add(wave.index, wave.deviceIds);
    add(null, skipped);
    const at = now(context);
    groups.forEach((shardGroups, shard) => {
      if (shardGroups.length > 0) signalEntity(context, shardEntity(rolloutId, shard), 'addRows', { groups: shardGroups, at });
    });
  }

  let ending: Ending;
  try {
    ending = yield* run();
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
    ending = 'aborted';
  }

  // Waves that never ran: all their devices are canceled.
  for (const wave of waves) {
    if (wave.pending > 0 && wave.state !== 'canceled' && wave.state !== 'aborted') {
      setWave(wave.index, 'canceled', { ...totalsOfWave(wave), pending: 0, canceled: wave.canceled + wave.pending }, true);
    }
  }
  const totals = addTotals(...waves, outside);
  const final = finalState(ending, totals);
  enter(final, final, currentWave);
  log(context, final === 'completed' ? 'info' : 'warn', 'rollout.finished', {
    rolloutId,
    state: final,
    ...totals,
    ...(error === undefined ? {} : { error }),
  });
  return { rolloutId, state: final, totals, waves, ...(error === undefined ? {} : { error }) };
}

function totalsOfWave(wave: Totals): Totals {
  const { targeted, pending, inProgress, succeeded, failed, timedOut, skipped, canceled } = wave;
  return { targeted, pending, inProgress, succeeded, failed, timedOut, skipped, canceled };
}

df.app.orchestration(ORCHESTRATION.rollout, rolloutOrchestrator);
