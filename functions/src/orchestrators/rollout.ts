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
 *   continuous   with mode "continuous", after its waves the rollout is `watching`: it continues as new
 *                (every cycle, so each execution's history is bounded however long it watches) and
 *                waits for the next rescan (see watch), which re-runs the target query and runs the
 *                devices it did not know yet in the wave named "continuous", appended after the planned
 *                ones; until it is canceled or `until` passes.
 *   retry        an execution started with `retry` (POST …/retry, on the finished instance) is a new attempt
 *                of the rollout: instead of 0-2 it takes the devices the shards hold in the chosen states
 *                back to pending and runs them through the same waves and policies (see retryAttempt).
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
  CONTINUOUS_WAVE_NAME,
  addTotals,
  approvalPolicy,
  compareCodeUnits,
  countDevices,
  finalState,
  groupByShard,
  initialControlState,
  newDevices,
  planWaves,
  plannedWaveStatus,
  rescanIntervalMs,
  rolloutPolicy,
  shardCountFor,
  stageBarrier,
  stageBarrierMissed,
  totalsOf,
  waveInstanceId,
  waveStatus,
  windowState,
} from '../rollout';
import type {
  ApprovalTimeout,
  ContinuousPolicy,
  FinalRolloutState,
  HubPace,
  PhaseReport,
  PlannedWave,
  RetriedDevice,
  RetrySelection,
  RolloutControlState,
  RolloutLedgerState,
  RolloutSpec,
  RolloutState,
  Totals,
  WavePass,
  WaveState,
  WaveStatus,
} from '../rollout';
import {
  EventInbox,
  activityWithRetry,
  after,
  callEntities,
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
import type { ResolvedTargets } from '../activities/resolveTargets';

export interface RolloutInput {
  rolloutId: string;
  spec: RolloutSpec;
  /** sha256 of specFingerprint(spec): how a re-POST is told from a conflicting one. */
  specHash: string;
  createdAt: string;
  /** The hub's pace, from the app settings FLEETWAVE_HUB_TIER / FLEETWAVE_HUB_UNITS when it started. */
  pace?: HubPace | null;
  /** A continuous rollout after its waves: what the next watch cycle needs (each cycle is an execution). */
  continuous?: ContinuousCycle;
  /** A retry of the finished rollout (POST …/retry starts the instance again with it); absent for attempt 1. */
  retry?: RolloutRetry;
}

/** Which attempt a retry is (2 for the first) and which devices it takes. */
export interface RolloutRetry extends RetrySelection {
  attempt: number;
  requestedAt: string;
}

/** A continuous rollout's carry from one watch cycle (execution) to the next. */
export interface ContinuousCycle {
  /** Rescans run so far. */
  cycle: number;
  shardCount: number;
  /** Every wave's status as this orchestration knows it, the continuous wave last. */
  waves: WaveStatus[];
  /** Targets outside the waves (skipped: already on the version). */
  outside: Totals;
  /** When the next rescan runs (ISO 8601). */
  nextRescanAt: string;
  /** The continuous wave's next attempt and batch index: its wave and batch instance ids never repeat across cycles. */
  attempt: number;
  nextBatch: number;
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
  phase:
    | 'scheduled'
    | 'resolvingTargets'
    | 'running'
    | 'soaking'
    | 'awaitingApproval'
    | 'waitingForWindow'
    | 'watching'
    | 'paused'
    | FinalRolloutState;
  state: RolloutState;
  wave: number | null;
  attempt: number;
  totals: Totals;
  waves: WaveStatus[];
  error?: string;
}

/** Where runWave starts: a wave's first run, or the continuous wave's run in a later cycle. */
interface WaveStart {
  attempt: number;
  nextBatch: number;
  /** The wave's devices run before (all finished). */
  totals: Totals;
}

export const RESOLVE_ATTEMPTS = 4;
export const RESOLVE_FIRST_RETRY_SECONDS = 30;

/** `continued`: a continuous rollout's execution ended in continue-as-new; the rollout goes on. */
type Ending = 'finished' | 'aborted' | 'canceled' | 'continued';

export function* rolloutOrchestrator(context: OrchestrationContext): Step<RolloutOutput | undefined> {
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
  /** The rollout's attempt (1, or a retry's): part of its wave and batch instance ids. */
  const rolloutAttempt = input.retry?.attempt ?? 1;
  /** The next batch index of the wave runWave ran last. */
  let batchesStarted = 0;
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
    report: Pick<PhaseReport, 'pausedBy' | 'approvalDeadline' | 'nextWindowAt' | 'nextRescanAt'> = {},
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
  /** `pass`: with stageThenApply, the pass the wave starts (the ledger keeps the last one). */
  const setWave = (index: number, waveState: WaveState, counts?: Totals, final = false, pass?: WavePass): void => {
    const at = now(context);
    const current = waves.find((wave) => wave.index === index);
    const totals = totalsOfWave(counts ?? current ?? totalsOf());
    const shown = (wave: WaveStatus, kept = pass ?? wave.pass): WaveStatus => ({
      ...waveStatus(wave, waveState, totals),
      ...(kept === undefined ? {} : { pass: kept }),
    });
    waves = waves.map((wave) => (wave.index === index ? shown(wave) : wave));
    if (final) signalEntity(context, ledger, 'waveFinal', { index, state: waveState, totals, at });
    else signalEntity(context, ledger, 'waveState', { index, state: waveState, at, ...(pass === undefined ? {} : { pass }) });
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
  function* holdUntil(
    at: Date,
    waiting: 'scheduled' | 'waitingForWindow' | 'watching',
    wave: number | null,
    report: Pick<PhaseReport, 'nextRescanAt'> = {},
  ): Step<'done' | 'cancel'> {
    for (;;) {
      enter(waiting, waiting, wave, waiting === 'waitingForWindow' ? { nextWindowAt: at.toISOString() } : report);
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

  /**
   * A retry (attempt ≥ 2) instead of resolving and planning: the control entity and the catalog go back to
   * running; each device shard puts the devices the selection takes back to pending for this attempt and
   * answers which they are (≤ MAX_DEVICE_SHARDS calls, at once); the ledger moves them back to pending and
   * opens their waves; then the same waves run with those devices (waves without any complete at once).
   * Its counts are this attempt's; `outside` holds every other device's, so the end state is all of them.
   */
  function* retryAttempt(retry: RolloutRetry): Step<Ending> {
    const at = now(context);
    const selection: RetrySelection = { states: retry.states, errorCodes: retry.errorCodes };
    signalEntity(context, control, 'retry', { attempt: retry.attempt, selection, at });
    signalEntity(context, catalog, 'state', { id: rolloutId, state: 'running', at });
    status();
    const planned = yield* callEntity<'rolloutLedger', 'get', RolloutLedgerState | null>(context, ledger, 'get');
    if (planned === null) {
      error = 'the rollout never planned its devices: nothing to retry';
      return 'aborted';
    }
    const input = { attempt: retry.attempt, selection, at };
    const shards = Array.from({ length: planned.shardCount }, (_, shard) => ({ entity: shardEntity(rolloutId, shard), input }));
    const answers = yield* callEntities<'deviceShard', 'retry', RetriedDevice[] | null>(context, 'retry', shards);
    const retried = answers.flatMap((answer) => answer ?? []);
    const inWave = (index: number): RetriedDevice[] => retried.filter((device) => device.wave === index);
    const plan: PlannedWave[] = planned.waves.map((wave) => ({
      index: wave.index,
      name: wave.name,
      percent: wave.percent,
      deviceIds: inWave(wave.index)
        .map((device) => device.deviceId)
        .sort(compareCodeUnits),
    }));
    const from = planned.waves.map((wave) => countDevices(inWave(wave.index).map((device) => device.from)));
    const start = { attempt: retry.attempt, selection, waves: from, at };
    outside = (yield* callEntity<'rolloutLedger', 'beginAttempt', Totals | null>(context, ledger, 'beginAttempt', start)) ?? totalsOf();
    waves = plan.map(plannedWaveStatus);
    status();
    log(context, 'info', 'rollout.retry', { rolloutId, attempt: retry.attempt, devices: retried.length, states: retry.states.join(',') });
    return yield* runWaves(plan, planned.shardCount);
  }

  /** The twin query's devices (paged), with RESOLVE_ATTEMPTS tries; `rejected` says why when none succeeded or IoT Hub refused it. */
  function* resolveTargets(): Step<ResolvedTargets | { rejected: string }> {
    const resolved = yield* activityWithRetry(
      context,
      'resolveTargets',
      { rolloutId, target: spec.target, fwVersion: spec.firmware.version },
      RESOLVE_ATTEMPTS,
      RESOLVE_FIRST_RETRY_SECONDS,
    );
    return resolved.ok ? resolved.value : { rejected: resolved.error };
  }

  function* run(): Step<Ending> {
    if (input.retry !== undefined) return yield* retryAttempt(input.retry);
    if (input.continuous !== undefined && spec.continuous !== undefined) return yield* watch(spec.continuous, input.continuous);
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
    const outcome = yield* resolveTargets();
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

    const ending = yield* runWaves(plan, shardCount);
    if (ending !== 'finished') return ending;
    return spec.continuous === undefined ? 'finished' : yield* startWatching(spec.continuous, plan.length, shardCount, outcome);
  }

  /** The planned waves in order: empty ones complete at once; before each but the first that has devices, soak and approval. */
  function* runWaves(plan: readonly PlannedWave[], shardCount: number): Step<Ending> {
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

  /**
   * Runs a wave to its end, through pauses and resumes; the wave's remaining devices on a stop. `from`: where a
   * wave run before goes on (a continuous rollout's wave, once per cycle); its next batch index is then in batchesStarted.
   */
  function* runWave(
    planned: PlannedWave,
    shardCount: number,
    from: WaveStart = { attempt: 0, nextBatch: 0, totals: totalsOf() },
  ): Step<Ending> {
    const index = planned.index;
    // In shard order: a batch's devices then share one or two shards, which its tracker updates once per episode.
    let remaining = groupByShard(planned.deviceIds, shardCount, (id) => id).flat();
    let nextBatch = from.nextBatch;
    let totals = from.totals;
    // stageThenApply: the pass being run, the devices staged for the apply pass, and the stage pass's end (set once).
    let pass: WavePass | undefined = spec.stageThenApply === undefined ? undefined : 'stage';
    let staged: string[] = [];
    let stageDeadline: string | undefined;
    const waveTotals = (): Totals =>
      addTotals(
        totals,
        totalsOf(pass === 'apply' ? { inProgress: remaining.length } : { pending: remaining.length, inProgress: staged.length }),
      );
    attempt = from.attempt;
    // A pause or cancel recorded while nothing was running (soak, approval) applies before the start.
    const before = yield* readControl();
    if (before.command === 'cancel') return 'canceled';
    if (before.command === 'pause') {
      enter('paused', 'paused', index);
      if ((yield* whilePaused()) === 'cancel') return 'canceled';
    }
    for (;;) {
      if ((yield* untilWindow(index, waveTotals())) === 'cancel') {
        stopWave(index, [...remaining, ...staged], totals, 'canceled');
        return 'canceled';
      }
      enter('running', 'running', index);
      if (pass === 'stage' && spec.stageThenApply !== undefined)
        stageDeadline ??= after(context, spec.stageThenApply.deadlineMinutes * 60).toISOString();
      setWave(index, 'running', waveTotals(), false, pass);
      const waveInput: WaveInput = {
        rolloutId,
        wave: { index, name: planned.name },
        attempt,
        episode: 0,
        deviceIds: remaining,
        nextBatch,
        totals: totalsOf(),
        ...(rolloutAttempt > 1 ? { rolloutAttempt } : {}),
        settings: {
          firmware: spec.firmware,
          timeouts: spec.deviceTimeouts,
          failureThreshold: spec.failureThreshold,
          maxConcurrency: spec.maxConcurrency,
          shardCount,
          pace: input.pace ?? null,
          ...(spec.schedule?.windows === undefined ? {} : { windows: spec.schedule.windows }),
          ...(pass === undefined ? {} : { pass }),
          ...(pass === 'stage' && stageDeadline !== undefined ? { stageDeadline } : {}),
        },
      };
      let result: WaveResult;
      try {
        const id = waveInstanceId(rolloutId, index, attempt, rolloutAttempt);
        result = yield* callSubOrchestrator<WaveResult>(context, ORCHESTRATION.wave, waveInput, id);
      } catch (failure) {
        error = `wave ${index} failed: ${failure instanceof Error ? failure.message : String(failure)}`;
        stopWave(index, [...remaining, ...staged], totals, 'aborted');
        return 'aborted';
      }
      totals = addTotals(totals, result.totals);
      remaining = result.remaining;
      nextBatch = result.nextBatch;
      batchesStarted = nextBatch;
      if (result.staged !== undefined) staged = [...staged, ...result.staged];
      if (pass === 'stage' && (result.outcome === 'completed' || result.outcome === 'stageDeadline')) {
        // The stage pass is over: the devices it never started are canceled, and the barrier decides about the apply pass.
        totals = addTotals(totals, totalsOf({ canceled: remaining.length }));
        remaining = [];
        const decision = yield* stageBarrierOf(index, planned.deviceIds.length, staged, totals);
        if (decision !== 'apply') {
          stopWave(index, staged, totals, decision);
          return decision;
        }
        if (staged.length === 0) {
          setWave(index, finalState('finished', totals), totals, true);
          return 'finished';
        }
        [pass, remaining, staged] = ['apply', staged, []];
        attempt += 1;
        continue;
      }
      switch (result.outcome) {
        case 'completed':
          setWave(index, finalState('finished', totals), totals, true);
          return 'finished';
        case 'canceled':
          stopWave(index, [...remaining, ...staged], totals, 'canceled');
          return 'canceled';
        case 'thresholdAbort':
          error = `the failure threshold (${spec.failureThreshold.percent} %, at least ${spec.failureThreshold.minDevices} devices) was exceeded in wave ${index}`;
          stopWave(index, [...remaining, ...staged], totals, 'aborted');
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
            stopWave(index, [...remaining, ...staged], totals, 'canceled');
            return 'canceled';
          }
          log(context, 'info', 'rollout.resumed', { rolloutId, wave: index, remaining: remaining.length });
          attempt += 1;
          break;
      }
    }
  }

  /**
   * stageThenApply: wave `index`'s stage pass is over, with `staged` devices staged; the barrier
   * (rollout/stageBarrier.ts) says whether its apply pass runs. Not met: the failure threshold's
   * action applies, abort, or pause, after which the operator's resume applies the staged devices.
   */
  function* stageBarrierOf(
    index: number,
    devices: number,
    staged: readonly string[],
    totals: Totals,
  ): Step<'apply' | 'canceled' | 'aborted'> {
    const policy = spec.stageThenApply!;
    const barrier = stageBarrier(policy, devices, staged.length, totals);
    log(context, barrier.met ? 'info' : 'warn', 'rollout.stageBarrier', { rolloutId, wave: index, staged: staged.length, ...barrier });
    if (barrier.met) return 'apply';
    const missed = stageBarrierMissed(index, barrier, policy);
    log(context, 'warn', 'rollout.stageBarrierMissed', { rolloutId, wave: index, action: spec.failureThreshold.action, reason: missed });
    if (spec.failureThreshold.action === 'abort') {
      error = missed;
      return 'aborted';
    }
    enter('paused', 'paused', index, { pausedBy: 'threshold' });
    setWave(index, 'paused', addTotals(totals, totalsOf({ inProgress: staged.length })));
    return (yield* whilePaused()) === 'cancel' ? 'canceled' : 'apply';
  }

  /** A wave stopped for good: its devices never started (or staged and never applied) are canceled. */
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

  // ---- continuous mode: watching the target after the waves ---------------------------------------

  /**
   * After the planned waves: the continuous wave joins the plan (empty) and the rollout watches, from
   * a new execution, until the first rescan.
   */
  function* startWatching(policy: ContinuousPolicy, index: number, shardCount: number, resolved: ResolvedTargets): Step<Ending> {
    signalEntity(context, ledger, 'continuousWave', { index, added: 0, skipped: 0, rescanAt: null, at: now(context) });
    waves = [...waves, waveStatus({ index, name: CONTINUOUS_WAVE_NAME, percent: 100 }, 'watching', totalsOf())];
    const nextRescanAt = after(context, rescanIntervalMs(policy, resolved.queries ?? 1, input.pace ?? null) / 1000);
    return yield* nextCycle({ cycle: 0, shardCount, waves, outside, nextRescanAt: nextRescanAt.toISOString(), attempt: 0, nextBatch: 0 });
  }

  /**
   * One watch cycle, the whole of its execution: `watching` until the rescan (pause holds it, cancel or
   * `until` ends it: nothing was cut short, so the rollout ends completed or completedWithFailures by its
   * totals), then the rescan; the new devices run as the continuous wave's next attempt (threshold,
   * maxConcurrency, pacing and windows as in any wave); then the next cycle, rescanMinutes later.
   */
  function* watch(policy: ContinuousPolicy, carried: ContinuousCycle): Step<Ending> {
    waves = carried.waves;
    outside = carried.outside;
    const index = waves.length - 1;
    const rescanAt = new Date(carried.nextRescanAt);
    const until = policy.until === undefined ? Infinity : Date.parse(policy.until);
    const rescanFirst = rescanAt.getTime() < until;
    const held = yield* holdUntil(
      rescanFirst ? rescanAt : new Date(until),
      'watching',
      index,
      rescanFirst ? { nextRescanAt: carried.nextRescanAt } : {},
    );
    if (held === 'cancel' || context.df.currentUtcDateTime.getTime() >= until) {
      log(context, 'info', 'rollout.watchEnded', { rolloutId, reason: held === 'cancel' ? 'canceled' : 'until', rescans: carried.cycle });
      setWave(index, finalState('finished', waves[index]), waves[index], true);
      return 'finished';
    }
    const next = { ...carried, cycle: carried.cycle + 1 };
    const outcome = yield* resolveTargets();
    if ('rejected' in outcome) {
      // The query was good when the rollout started; a failed rescan is tried again at the next one.
      log(context, 'warn', 'rollout.rescanFailed', { rolloutId, cycle: next.cycle, error: outcome.rejected });
    } else {
      const found = yield* addNewRows(outcome, index, carried.shardCount);
      const at = now(context);
      signalEntity(context, ledger, 'continuousWave', {
        index,
        added: found.targets.length,
        skipped: found.skipped.length,
        rescanAt: at,
        at,
      });
      outside = addTotals(outside, totalsOf({ skipped: found.skipped.length }));
      log(context, 'info', 'rollout.rescanned', { rolloutId, cycle: next.cycle, new: found.targets.length, skipped: found.skipped.length });
      if (found.targets.length > 0) {
        const before = totalsOfWave(waves[index]);
        setWave(index, 'pending', addTotals(before, totalsOf({ pending: found.targets.length })));
        const planned = { index, name: CONTINUOUS_WAVE_NAME, percent: 100, deviceIds: found.targets };
        const ending = yield* runWave(planned, carried.shardCount, {
          attempt: carried.attempt,
          nextBatch: carried.nextBatch,
          totals: before,
        });
        if (ending !== 'finished') return ending;
        setWave(index, 'watching', waves[index], true);
        next.attempt = attempt + 1;
        next.nextBatch = batchesStarted;
      }
    }
    const interval = rescanIntervalMs(policy, 'rejected' in outcome ? 1 : (outcome.queries ?? 1), input.pace ?? null);
    return yield* nextCycle({ ...next, waves, outside, nextRescanAt: after(context, interval / 1000).toISOString() });
  }

  /**
   * Asks the shards the candidates hash to (≤ MAX_DEVICE_SHARDS calls, together) which ids the rollout
   * does not know; each adds their rows in the same operation, so a device is added, and started, once.
   */
  function* addNewRows(resolved: ResolvedTargets, index: number, shardCount: number): Step<{ targets: string[]; skipped: string[] }> {
    const at = now(context);
    const targets = groupByShard(resolved.targets, shardCount, (id) => id);
    const skipped = groupByShard(resolved.skipped, shardCount, (id) => id);
    const calls = targets.flatMap((ids, shard) => {
      const groups = [
        { wave: index, deviceIds: ids },
        { wave: null, deviceIds: skipped[shard] },
      ].filter((group) => group.deviceIds.length > 0);
      return groups.length === 0 ? [] : [{ entity: shardEntity(rolloutId, shard), input: { groups, at } }];
    });
    const added = yield* callEntities<'deviceShard', 'addNewRows', string[]>(context, 'addNewRows', calls);
    return newDevices(added.flat(), resolved);
  }

  /**
   * Continues as new into the next cycle. Events this execution received but did not take would be
   * dropped, so it takes them first (control wake-ups only: the command is in the control entity, which
   * the next execution reads before it waits).
   */
  function* nextCycle(cycle: ContinuousCycle): Step<Ending> {
    for (;;) {
      const wait = inbox.next();
      yield context.df.Task.any([wait, context.df.createTimer(context.df.currentUtcDateTime)]);
      if (inbox.take().length === 0) break;
    }
    log(context, 'info', 'rollout.nextCycle', { rolloutId, cycle: cycle.cycle, nextRescanAt: cycle.nextRescanAt });
    context.df.continueAsNew({ ...input, continuous: cycle } satisfies RolloutInput);
    return 'continued';
  }

  let ending: Ending;
  try {
    ending = yield* run();
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
    ending = 'aborted';
  }
  if (ending === 'continued') return undefined;

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
