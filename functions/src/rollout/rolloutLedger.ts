/**
 * A rollout's ledger: the counts behind GET /api/rollouts/{id}, kept by a durable entity.
 *
 * Written by two sources: the rollout orchestration (the plan, wave states, and each wave's final
 * totals) and the device shards (every change of a device's bucket, as moves from one bucket to
 * another, a second or so after the device's tracker saw it). A bucket is the device's state, or
 * for a device in progress its stage (waiting, downloading, staged, applying), so the ledger keeps each
 * wave's `inProgressBy` next to its totals with no more operations than the states alone need.
 * A wave's live counts come from the moves; once the wave is over, the orchestration's totals are
 * authoritative (they also count the devices a cancel kept from starting) and later moves for that
 * wave are ignored.
 *
 * Versions: a ledger written before the stages were counted has waves without `inProgressBy`
 * (read as all waiting), no `startedAt` (set by the next move out of pending) and no policy; a
 * move sent before then names `inProgress`, counted as `waiting`.
 */
import type { FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { DEVICE_ROLLOUT_STATES, IN_PROGRESS_STAGES } from '../../../contracts/rolloutApi';
import { isRecord } from '../../../contracts/guards';
import type {
  ContinuousProgress,
  DevicePhase,
  DeviceRolloutState,
  FirmwareSpec,
  InProgressStage,
  RolloutPolicy,
  RolloutState,
  RolloutStatus,
  Totals,
  WavePass,
  WaveState,
} from '../../../contracts/rolloutApi';
import { inProgressStageOf } from './deviceOutcome';
import { countAttemptMove, finishRetriedWave } from './rolloutAttempts';
import type { LedgerAttempt } from './rolloutAttempts';
import type { RolloutSpec } from './rolloutSpec';
import { inProgressByOf, rolloutStatus, totalsOf, unstaged, waveStatus } from './rolloutStatus';
import type { StoredWaveStatus } from './rolloutStatus';

export interface LedgerPlan {
  rolloutId: string;
  firmware: FirmwareSpec;
  createdAt: string;
  shardCount: number;
  waves: { index: number; name: string; percent: number; targeted: number }[];
  /** Targets already on the version when the rollout resolved them. */
  skipped: number;
  policy: RolloutPolicy;
}

export interface RolloutLedgerState {
  rolloutId: string;
  firmware: FirmwareSpec;
  createdAt: string;
  updatedAt: string;
  /** When the first device left pending for anything but canceled; null before (absent in an older ledger). */
  startedAt?: string | null;
  /** Absent in a ledger written before it was planned with one. */
  policy?: RolloutPolicy;
  shardCount: number;
  waves: StoredWaveStatus[];
  /** finalWaves[i]: wave i is over and its totals are the orchestration's. */
  finalWaves: boolean[];
  outsideWaves: Totals;
  /** A continuous rollout's pick-ups, from when it first watches (rollout/continuousRollout.ts). */
  continuous?: ContinuousProgress;
  /** Every attempt, from the first retry on (rollout/rolloutAttempts.ts); absent while there is only attempt 1. */
  attempts?: LedgerAttempt[];
}

/** What the ledger counts a device as: its state, or for a device in progress its stage. */
export type DeviceBucket = Exclude<DeviceRolloutState, 'inProgress'> | InProgressStage;

export interface DeviceMove {
  wave: number;
  /** `inProgress` only in a move sent before the stages were counted: counted as `waiting`. */
  from: DeviceBucket | 'inProgress';
  to: DeviceBucket | 'inProgress';
  /** The attempt the device is in, from its retry on (absent: attempt 1). */
  attempt?: number;
}

const MOVE_ENDS: readonly unknown[] = [...DEVICE_ROLLOUT_STATES, ...IN_PROGRESS_STAGES];

/** A move as the shards of this version or the previous one send it. */
export function isDeviceMove(value: unknown): value is DeviceMove {
  return isRecord(value) && Number.isSafeInteger(value.wave) && MOVE_ENDS.includes(value.from) && MOVE_ENDS.includes(value.to);
}

/** A staged install waiting for its apply pass is `staged` (its phase says so: its status is downloadComplete either way). */
export function bucketOf(row: {
  state: DeviceRolloutState;
  status: FirmwareUpdateStatus | null;
  phase?: DevicePhase | null;
}): DeviceBucket {
  if (row.state !== 'inProgress') return row.state;
  return row.phase === 'staged' ? 'staged' : inProgressStageOf(row.status);
}

function isStage(bucket: DeviceBucket): bucket is InProgressStage {
  return (IN_PROGRESS_STAGES as readonly string[]).includes(bucket);
}

function stateOf(bucket: DeviceBucket): DeviceRolloutState {
  return isStage(bucket) ? 'inProgress' : bucket;
}

const movedBucket = (end: DeviceMove['from']): DeviceBucket => (end === 'inProgress' ? 'waiting' : end);

/** The policies the status shows, from the spec. */
export function rolloutPolicy(
  spec: Pick<
    RolloutSpec,
    'failureThreshold' | 'approval' | 'maxConcurrency' | 'soakSeconds' | 'schedule' | 'stageThenApply' | 'continuous'
  >,
): RolloutPolicy {
  const { percent, minDevices, action } = spec.failureThreshold;
  return {
    failureThreshold: { percent, minDevices, action },
    approval: spec.approval,
    maxConcurrency: spec.maxConcurrency,
    soakSeconds: spec.soakSeconds,
    ...(spec.schedule === undefined ? {} : { schedule: spec.schedule }),
    ...(spec.stageThenApply === undefined ? {} : { stageThenApply: spec.stageThenApply }),
    ...(spec.continuous === undefined ? {} : { continuous: spec.continuous }),
  };
}

export function planLedger(plan: LedgerPlan, at: string): RolloutLedgerState {
  return {
    rolloutId: plan.rolloutId,
    firmware: plan.firmware,
    createdAt: plan.createdAt,
    updatedAt: at,
    startedAt: null,
    policy: plan.policy,
    shardCount: plan.shardCount,
    waves: plan.waves.map((wave) => waveStatus(wave, 'pending', totalsOf({ pending: wave.targeted }))),
    finalWaves: plan.waves.map(() => false),
    outsideWaves: totalsOf({ skipped: plan.skipped }),
  };
}

/** A wave's new state; with stageThenApply also the pass it is in (kept when not given). */
export function setWaveState(ledger: RolloutLedgerState, index: number, state: WaveState, at: string, pass?: WavePass): RolloutLedgerState {
  if (ledger.finalWaves[index] !== false) return ledger;
  const changed = (wave: StoredWaveStatus): StoredWaveStatus => ({ ...wave, state, ...(pass === undefined ? {} : { pass }) });
  return { ...ledger, updatedAt: at, waves: ledger.waves.map((wave) => (wave.index === index ? changed(wave) : wave)) };
}

/** The orchestration's final totals: its devices in progress always finish first, so `unstaged` gives zeros. */
export function finishWave(ledger: RolloutLedgerState, index: number, state: WaveState, totals: Totals, at: string): RolloutLedgerState {
  if (ledger.finalWaves[index] === undefined) return ledger;
  const retried = finishRetriedWave(ledger, index, state, totals, at);
  if (retried !== undefined) return retried;
  const counts = totalsOf({
    pending: totals.pending,
    inProgress: totals.inProgress,
    succeeded: totals.succeeded,
    failed: totals.failed,
    timedOut: totals.timedOut,
    skipped: totals.skipped,
    canceled: totals.canceled,
  });
  return {
    ...ledger,
    updatedAt: at,
    // The pass the wave last ran stays shown.
    waves: ledger.waves.map((wave) =>
      wave.index === index ? { ...waveStatus(wave, state, counts), ...(wave.pass === undefined ? {} : { pass: wave.pass }) } : wave,
    ),
    finalWaves: ledger.finalWaves.map((final, i) => final || i === index),
  };
}

/**
 * Device bucket changes. A move out of a state no device of its wave is in (a duplicate) is
 * dropped. A move out of a stage that counts none while other stages do (devices counted before
 * the stages, all as waiting) takes one from the first stage that has one, so the stages always
 * sum to inProgress; as for states, a duplicate that still fits the counts cannot be told from a
 * move of another device (the shards send each change once).
 */
export function applyMoves(ledger: RolloutLedgerState, moves: readonly DeviceMove[], at: string): RolloutLedgerState {
  let waves = ledger.waves;
  let attempts = ledger.attempts;
  let startedAt = ledger.startedAt ?? null;
  let changed = false;
  for (const move of moves) {
    const from = movedBucket(move.from);
    const to = movedBucket(move.to);
    const wave = waves[move.wave];
    if (ledger.finalWaves[move.wave] !== false || from === to || wave === undefined || wave[stateOf(from)] <= 0) continue;
    const stages = inProgressByOf(wave.inProgressBy ?? unstaged(wave.inProgress));
    if (isStage(from)) stages[stages[from] > 0 ? from : (IN_PROGRESS_STAGES.find((stage) => stages[stage] > 0) ?? from)] -= 1;
    if (isStage(to)) stages[to] += 1;
    const [fromState, toState] = [stateOf(from), stateOf(to)];
    const counts = fromState === toState ? {} : { [fromState]: wave[fromState] - 1, [toState]: wave[toState] + 1 };
    waves = waves.map((item, i) => (i === move.wave ? { ...item, ...counts, inProgressBy: stages } : item));
    attempts = countAttemptMove(attempts, move, fromState, toState);
    if (startedAt === null && from === 'pending' && to !== 'canceled') startedAt = at;
    changed = true;
  }
  return changed ? { ...ledger, waves, startedAt, updatedAt: at, ...(attempts === undefined ? {} : { attempts }) } : ledger;
}

export function isWaveFinal(ledger: RolloutLedgerState, index: number): boolean {
  return ledger.finalWaves[index] === true;
}

/** The GET /api/rollouts/{id} body. */
export function ledgerStatus(ledger: RolloutLedgerState, state: RolloutState, updatedAt?: string): RolloutStatus {
  return rolloutStatus({
    id: ledger.rolloutId,
    state,
    firmware: ledger.firmware,
    createdAt: ledger.createdAt,
    updatedAt: updatedAt !== undefined && updatedAt > ledger.updatedAt ? updatedAt : ledger.updatedAt,
    waves: ledger.waves,
    outsideWaves: ledger.outsideWaves,
  });
}
