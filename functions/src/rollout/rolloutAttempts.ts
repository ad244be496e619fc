/**
 * A rollout's attempts, as its ledger counts them: attempt 1 is the original run, each retry
 * (POST …/retry, see retrySelection.ts) one more over some of its devices, through the same waves.
 *
 * The ledger's waves always count each device's latest state: a device that failed in attempt 1
 * and succeeded in attempt 2 counts succeeded. Next to them, each attempt keeps its own devices
 * per wave. When a retry begins, its devices move from the state they ended in back to pending, in
 * both; their moves (tagged with the attempt by their shard) go on counting in both; and a wave's
 * final totals from the orchestration, which only know the attempt's devices, replace the attempt's
 * share of the wave, so the wave stays the rest plus them. Waves the attempt has no device in keep
 * what they had, final.
 */
import { DEVICE_ROLLOUT_STATES } from '../../../contracts/rolloutApi';
import type { DeviceRolloutState, RetrySelection, RolloutAttempt, Totals, WaveState } from '../../../contracts/rolloutApi';
import type { RolloutLedgerState } from './rolloutLedger';
import { addTotals, finalState, totalsOf, waveStatus } from './rolloutStatus';

export interface LedgerAttempt {
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  /** Null for attempt 1 (every target). */
  retried: RetrySelection | null;
  /** Per wave index, this attempt's devices by how they stand in it (attempt 1: every device as its wave ended). */
  waves: Totals[];
}

/** A retry begins: its number, what it retries and, per wave index, its devices by the state they are retried from. */
export interface AttemptStart {
  attempt: number;
  selection: RetrySelection;
  waves: Totals[];
  at: string;
}

function countsOf(totals: Totals): Totals {
  return totalsOf(Object.fromEntries(DEVICE_ROLLOUT_STATES.map((state) => [state, totals[state]])));
}

function subtract(from: Totals, part: Totals): Totals {
  return totalsOf(Object.fromEntries(DEVICE_ROLLOUT_STATES.map((state) => [state, from[state] - part[state]])));
}

/** The attempts so far; attempt 1 is recorded when the first retry begins, from the waves as they ended. */
function recordedAttempts(ledger: RolloutLedgerState): LedgerAttempt[] {
  return (
    ledger.attempts ?? [
      { attempt: 1, startedAt: ledger.createdAt, finishedAt: ledger.updatedAt, retried: null, waves: ledger.waves.map(countsOf) },
    ]
  );
}

/** The devices counted outside the attempt the ledger is on (skipped ones included). */
function outsideCurrentAttempt(ledger: RolloutLedgerState): Totals {
  const all = addTotals(...ledger.waves.map(countsOf), ledger.outsideWaves);
  const current = ledger.attempts?.at(-1);
  return current === undefined ? all : subtract(all, addTotals(...current.waves));
}

/**
 * Attempt `start.attempt` begins: its devices go back to pending and their waves are open again.
 * Also returns the devices outside it, which the orchestration adds to its own counts to tell how the
 * rollout ends. Applies once, on the attempt before it; otherwise nothing changes.
 */
export function beginAttempt(ledger: RolloutLedgerState, start: AttemptStart): { ledger: RolloutLedgerState; outside: Totals } {
  const attempts = recordedAttempts(ledger);
  if (start.attempt !== attempts[attempts.length - 1].attempt + 1) return { ledger, outside: outsideCurrentAttempt(ledger) };
  const retried = (index: number): Totals => start.waves[index] ?? totalsOf();
  const waves = ledger.waves.map((wave, i) => {
    const moved = retried(i);
    return moved.targeted === 0
      ? wave
      : waveStatus(wave, 'pending', addTotals(subtract(countsOf(wave), moved), totalsOf({ pending: moved.targeted })));
  });
  const any = ledger.waves.some((_, i) => retried(i).targeted > 0);
  const attempt: LedgerAttempt = {
    attempt: start.attempt,
    startedAt: start.at,
    finishedAt: any ? null : start.at,
    retried: start.selection,
    waves: ledger.waves.map((_, i) => totalsOf({ pending: retried(i).targeted })),
  };
  const next: RolloutLedgerState = {
    ...ledger,
    updatedAt: start.at,
    waves,
    finalWaves: ledger.finalWaves.map((final, i) => final && retried(i).targeted === 0),
    attempts: [...attempts.map((previous) => (previous.finishedAt === null ? { ...previous, finishedAt: start.at } : previous)), attempt],
  };
  return { ledger: next, outside: outsideCurrentAttempt(next) };
}

/** A device's move within the attempt the ledger is on (its shard tags it with the attempt): counted in that attempt too. */
export function countAttemptMove(
  attempts: LedgerAttempt[] | undefined,
  move: { wave: number; attempt?: number },
  from: DeviceRolloutState,
  to: DeviceRolloutState,
): LedgerAttempt[] | undefined {
  const current = attempts?.at(-1);
  const wave = current?.waves[move.wave];
  if (
    attempts === undefined ||
    current === undefined ||
    wave === undefined ||
    move.attempt !== current.attempt ||
    from === to ||
    wave[from] <= 0
  )
    return attempts;
  const counts = { ...wave, [from]: wave[from] - 1, [to]: wave[to] + 1 };
  return [...attempts.slice(0, -1), { ...current, waves: current.waves.map((item, i) => (i === move.wave ? counts : item)) }];
}

/**
 * A wave's final totals during a retry: the orchestration's count this attempt's devices only, so
 * they replace the attempt's share of the wave, and a finished wave's state follows all its devices.
 * Undefined when the ledger is not in a retry (the totals are the whole wave's).
 */
export function finishRetriedWave(
  ledger: RolloutLedgerState,
  index: number,
  state: WaveState,
  totals: Totals,
  at: string,
): RolloutLedgerState | undefined {
  const current = ledger.attempts?.at(-1);
  if (current === undefined) return undefined;
  const mine = current.waves[index];
  const wave = ledger.waves[index];
  if (mine === undefined || wave === undefined || mine.targeted === 0) return ledger;
  const counts = addTotals(subtract(countsOf(wave), mine), countsOf(totals));
  const merged = state === 'completed' || state === 'completedWithFailures' ? finalState('finished', counts) : state;
  const finalWaves = ledger.finalWaves.map((final, i) => final || i === index);
  const finished = { ...current, waves: current.waves.map((item, i) => (i === index ? countsOf(totals) : item)) };
  return {
    ...ledger,
    updatedAt: at,
    waves: ledger.waves.map((item, i) => (i === index ? waveStatus(item, merged, counts) : item)),
    finalWaves,
    attempts: [
      ...(ledger.attempts ?? []).slice(0, -1),
      finalWaves.every(Boolean) && finished.finishedAt === null ? { ...finished, finishedAt: at } : finished,
    ],
  };
}

/** The attempts as GET /api/rollouts/{id} shows them; `totals` are the rollout's, which attempt 1 has while it is the only one. */
export function rolloutAttempts(ledger: RolloutLedgerState | null, totals: Totals, finished: boolean): RolloutAttempt[] {
  if (ledger === null) return [];
  if (ledger.attempts === undefined) {
    return [{ attempt: 1, startedAt: ledger.createdAt, finishedAt: finished ? ledger.updatedAt : null, retried: null, totals }];
  }
  return ledger.attempts.map((attempt) => ({
    attempt: attempt.attempt,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt,
    retried: attempt.retried,
    totals: addTotals(...attempt.waves, attempt.attempt === 1 ? ledger.outsideWaves : totalsOf()),
  }));
}
