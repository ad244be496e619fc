import {
  applyMoves,
  applyRetry,
  batchInstanceId,
  beginAttempt,
  defaultRetrySelection,
  finishWave,
  initialControlState,
  isRetriedRecord,
  ledgerStatus,
  parseBatchInstanceId,
  parseRetryRequest,
  planLedger,
  plannedRecord,
  reportPhase,
  retryActionProblem,
  retryProblem,
  retryRows,
  rolloutAttempts,
  rolloutPolicy,
  totalsOf,
  updateRows,
  waveInstanceId,
} from '../../../functions/src/rollout';
import type {
  DeviceRecord,
  DeviceRolloutState,
  DeviceShardState,
  LedgerPlan,
  RetrySelection,
  RolloutControlState,
  RolloutLedgerState,
} from '../../../functions/src/rollout';
import { FIRMWARE, specOf } from '../support/fixtures';

const AT = '2025-01-01T00:00:00.000Z';
const LATER = '2025-01-02T00:00:00.000Z';
const FAILED_AND_TIMED_OUT = defaultRetrySelection();

function record(deviceId: string, wave: number | null, state: DeviceRolloutState, code?: string): DeviceRecord {
  return {
    ...plannedRecord({ deviceId, wave, state, status: null, error: code === undefined ? null : { code, message: code }, updatedAt: AT }),
    timeline: [{ time: AT, state, detail: `ended ${state}` }],
  };
}

describe('POST …/retry body', () => {
  test('no body: failed and timedOut, any error', () => {
    expect(parseRetryRequest(undefined)).toEqual({ ok: true, selection: { states: ['failed', 'timedOut'], errorCodes: null } });
    expect(parseRetryRequest({})).toEqual({ ok: true, selection: { states: ['failed', 'timedOut'], errorCodes: null } });
  });

  test('canceled only when asked for; error codes kept once each', () => {
    expect(parseRetryRequest({ states: ['canceled', 'failed'], errorCodes: ['hashMismatch', 'hashMismatch', 'httpError'] })).toEqual({
      ok: true,
      selection: { states: ['canceled', 'failed'], errorCodes: ['hashMismatch', 'httpError'] },
    });
  });

  test.each([
    [{ states: ['succeeded'] }, 'states[0]', 'succeeded devices are not retried: must be one of failed, timedOut, canceled'],
    [{ states: ['failed', 'skipped'] }, 'states[1]', 'skipped devices are not retried: must be one of failed, timedOut, canceled'],
    [{ states: ['pending'] }, 'states[0]', 'pending devices are not retried: must be one of failed, timedOut, canceled'],
    [{ states: ['inProgress'] }, 'states[0]', 'inProgress devices are not retried: must be one of failed, timedOut, canceled'],
    [{ states: ['broken'] }, 'states[0]', 'must be one of failed, timedOut, canceled, not "broken"'],
    [{ states: ['failed', 'failed'] }, 'states[1]', 'lists failed twice'],
    [{ states: [] }, 'states', 'must be a non-empty array of device states, each one of failed, timedOut, canceled'],
    [{ states: 'failed' }, 'states', 'must be a non-empty array of device states, each one of failed, timedOut, canceled'],
    [{ errorCodes: 'httpError' }, 'errorCodes', 'must be an array of 1 to 20 error codes (leave it out for any error)'],
    [{ errorCodes: [] }, 'errorCodes', 'must be an array of 1 to 20 error codes (leave it out for any error)'],
    [{ errorCodes: ['ok', ''] }, 'errorCodes[1]', 'must be an error code: 1-64 printable ASCII characters'],
    [{ errorCodes: [42] }, 'errorCodes[0]', 'must be an error code: 1-64 printable ASCII characters'],
    [{ state: ['failed'] }, 'state', 'is not a retry field (states, errorCodes)'],
    [[], '(body)', 'must be a JSON object'],
    ['failed', '(body)', 'must be a JSON object'],
  ])('%j → 400 naming %s', (body, field, message) => {
    expect(parseRetryRequest(body)).toEqual({ ok: false, problems: [{ field, message }] });
  });

  test('every problem at once', () => {
    const parsed = parseRetryRequest({ states: ['succeeded'], errorCodes: [''], extra: 1 });
    expect(parsed.ok === false && parsed.problems.map((problem) => problem.field)).toEqual(['extra', 'states[0]', 'errorCodes[0]']);
  });
});

describe('when a rollout may be retried', () => {
  const finished = (phase: 'completedWithFailures' | 'canceled', attempt?: number): RolloutControlState => ({
    ...reportPhase(initialControlState(), { phase, wave: 1 }, AT),
    ...(attempt === undefined ? {} : { attempt }),
  });

  test.each(['running', 'paused', 'awaitingApproval', 'scheduled', 'waitingForWindow'] as const)('not while %s', (phase) => {
    const state = {
      ...reportPhase(initialControlState(), { phase, wave: 0 }, AT),
      command: phase === 'paused' ? ('pause' as const) : ('run' as const),
    };
    expect(retryProblem(state)).toMatch(new RegExp(`^the rollout is ${phase}: only a finished rollout .* can be retried$`));
  });

  test('a finished rollout may, up to the attempt limit; actions.retry also needs failed or timedOut devices', () => {
    expect(retryProblem(finished('canceled'))).toBeNull();
    expect(retryProblem(finished('completedWithFailures', 19))).toBeNull();
    expect(retryProblem(finished('completedWithFailures', 20))).toBe('the rollout has had 20 attempts, the most it may have');
    expect(retryActionProblem(finished('completedWithFailures'), totalsOf({ failed: 1 }))).toBeNull();
    expect(retryActionProblem(finished('canceled'), totalsOf({ canceled: 4 }))).toBe('no device is failed or timedOut');
  });

  test('the control entity: running again as the next attempt, approvals asked again; once per attempt', () => {
    const approved = { ...finished('completedWithFailures'), approvedThrough: 2, approvalDeadline: AT };
    const retried = applyRetry(approved, 2, 'attempt 2: retrying failed or timedOut', LATER);
    expect(retried).toMatchObject({ phase: 'running', command: 'run', wave: null, approvedThrough: -1, attempt: 2, updatedAt: LATER });
    expect(retried).not.toHaveProperty('approvalDeadline');
    expect(retried.log.at(-1)).toEqual({ time: LATER, operation: 'retry', detail: 'attempt 2: retrying failed or timedOut' });
    expect(retryProblem(retried)).toMatch(/^the rollout is running/);
    expect(applyRetry(retried, 2, 'again', LATER)).toBe(retried);
    expect(applyRetry(approved, 3, 'skipping one', LATER)).toBe(approved);
  });
});

describe('device shard: a retry puts records back to pending', () => {
  const shard: DeviceShardState = {
    rows: [
      record('ok', 0, 'succeeded'),
      record('bad-hash', 0, 'failed', 'hashMismatch'),
      record('bad-http', 1, 'failed', 'httpError'),
      record('slow', 1, 'timedOut', 'applyTimeout'),
      record('stopped', 1, 'canceled'),
      { ...plannedRecord({ deviceId: 'never', wave: 1, state: 'pending', status: null, error: null, updatedAt: AT }) },
      record('current', null, 'skipped'),
    ],
  };

  test('failed and timedOut by default: pending in the new attempt, with a timeline entry saying what they were', () => {
    const { shard: after, devices } = retryRows(shard, FAILED_AND_TIMED_OUT, 2, LATER);
    expect(devices).toEqual([
      { deviceId: 'bad-hash', wave: 0, from: 'failed' },
      { deviceId: 'bad-http', wave: 1, from: 'failed' },
      { deviceId: 'slow', wave: 1, from: 'timedOut' },
    ]);
    const badHash = after.rows.find((row) => row.deviceId === 'bad-hash')!;
    expect(badHash).toMatchObject({ state: 'pending', status: null, error: null, attempt: 2, updatedAt: LATER, phase: null });
    expect(badHash.timeline).toEqual([
      { time: AT, state: 'failed', detail: 'ended failed' },
      { time: LATER, state: 'pending', attempt: 2, detail: 'attempt 2: retried (was failed: hashMismatch)' },
    ]);
    // Never started: canceled, as the ledger counts it; the others as they were.
    expect(after.rows.find((row) => row.deviceId === 'never')).toMatchObject({ state: 'canceled' });
    for (const id of ['ok', 'stopped', 'current'])
      expect(after.rows.find((row) => row.deviceId === id)).toBe(shard.rows.find((row) => row.deviceId === id));
  });

  test('canceled ones (never started too) when asked for; an error-code filter keeps only those codes', () => {
    expect(retryRows(shard, { states: ['canceled'], errorCodes: null }, 2, LATER).devices.map((d) => d.deviceId)).toEqual([
      'stopped',
      'never',
    ]);
    const codes: RetrySelection = { states: ['failed', 'timedOut', 'canceled'], errorCodes: ['httpError', 'applyTimeout'] };
    expect(retryRows(shard, codes, 2, LATER).devices.map((d) => d.deviceId)).toEqual(['bad-http', 'slow']);
  });

  test('a staged image never applied (the barrier or a cancel stopped its wave) ended canceled: so retried with canceled', () => {
    const staged: DeviceRecord = { ...record('staged', 1, 'inProgress'), status: 'downloadComplete', phase: 'staged' };
    const withStaged: DeviceShardState = { rows: [...shard.rows, staged] };
    const { shard: kept } = retryRows(withStaged, FAILED_AND_TIMED_OUT, 2, LATER);
    expect(kept.rows.find((row) => row.deviceId === 'staged')).toMatchObject({ state: 'canceled', phase: 'done' });
    const { devices } = retryRows(withStaged, { states: ['canceled'], errorCodes: null }, 2, LATER);
    expect(devices).toContainEqual({ deviceId: 'staged', wave: 1, from: 'canceled' });
    expect(isRetriedRecord({ states: ['canceled'], errorCodes: null }, staged)).toBe(true);
  });

  test('a repeat of the same attempt changes nothing and answers the same devices', () => {
    const once = retryRows(shard, FAILED_AND_TIMED_OUT, 2, LATER);
    const twice = retryRows(once.shard, FAILED_AND_TIMED_OUT, 2, '2025-01-03T00:00:00.000Z');
    expect(twice.shard.rows).toEqual(once.shard.rows);
    expect(twice.devices.map((d) => d.deviceId)).toEqual(['bad-hash', 'bad-http', 'slow']);
  });

  test("the tracker's news keep the attempt, and the moves say it (a terminal record of the attempt stays as it is)", () => {
    const { shard: after } = retryRows(shard, FAILED_AND_TIMED_OUT, 2, LATER);
    const entry = { time: LATER, state: 'succeeded' as const, detail: 'on the version' };
    // A tracker's update does not name the attempt: the shard keeps the record's.
    const { attempt: _attempt, ...slow } = after.rows.find((row) => row.deviceId === 'slow')!;
    const started = { ...slow, state: 'succeeded' as const, timeline: [entry], timelineDropped: 0 };
    const { shard: updated, moves } = updateRows(after, [started]);
    expect(moves).toEqual([{ wave: 1, from: 'pending', to: 'succeeded', attempt: 2 }]);
    expect(updated.rows.find((row) => row.deviceId === 'slow')).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(updated.rows.find((row) => row.deviceId === 'slow')!.timeline).toHaveLength(3);
    // A device of attempt 1 moves untagged, as before.
    const first = { ...plannedRecord({ deviceId: 'x', wave: 0, state: 'pending', status: null, error: null, updatedAt: AT }) };
    expect(updateRows({ rows: [first] }, [{ ...first, state: 'failed' }]).moves).toEqual([{ wave: 0, from: 'pending', to: 'failed' }]);
  });
});

describe('ledger: attempts', () => {
  const PLAN: LedgerPlan = {
    rolloutId: 'r1',
    firmware: FIRMWARE,
    createdAt: AT,
    shardCount: 1,
    waves: [
      { index: 0, name: 'canary', percent: 10, targeted: 2 },
      { index: 1, name: 'rest', percent: 100, targeted: 8 },
    ],
    skipped: 3,
    policy: rolloutPolicy(specOf({})),
  };
  /** Attempt 1 over: canary 2 succeeded; rest 4 succeeded, 2 failed, 1 timedOut, 1 canceled. */
  function finished(): RolloutLedgerState {
    const planned = planLedger(PLAN, AT);
    const canary = finishWave(planned, 0, 'completed', totalsOf({ succeeded: 2 }), AT);
    return finishWave(canary, 1, 'completedWithFailures', totalsOf({ succeeded: 4, failed: 2, timedOut: 1, canceled: 1 }), AT);
  }
  const start = { attempt: 2, selection: FAILED_AND_TIMED_OUT, waves: [totalsOf(), totalsOf({ failed: 2, timedOut: 1 })], at: LATER };

  test('a retry begins: its devices pending again in their wave, which opens; the others stay; attempt 1 is recorded', () => {
    const { ledger, outside } = beginAttempt(finished(), start);
    expect(outside).toEqual(totalsOf({ succeeded: 6, canceled: 1, skipped: 3 }));
    expect(ledger.waves[1]).toMatchObject({ state: 'pending', pending: 3, succeeded: 4, failed: 0, timedOut: 0, canceled: 1, targeted: 8 });
    expect(ledger.waves[0]).toEqual(finished().waves[0]);
    expect(ledger.waves[0]).toMatchObject({ state: 'completed', succeeded: 2 });
    expect(ledger.finalWaves).toEqual([true, false]);
    expect(ledgerStatus(ledger, 'running').totals).toEqual(totalsOf({ pending: 3, succeeded: 6, canceled: 1, skipped: 3 }));
    expect(rolloutAttempts(ledger, totalsOf(), false)).toEqual([
      {
        attempt: 1,
        startedAt: AT,
        finishedAt: AT,
        retried: null,
        totals: totalsOf({ succeeded: 6, failed: 2, timedOut: 1, canceled: 1, skipped: 3 }),
      },
      { attempt: 2, startedAt: LATER, finishedAt: null, retried: FAILED_AND_TIMED_OUT, totals: totalsOf({ pending: 3 }) },
    ]);
    // Once per attempt: the same start again, or one skipping a number, changes nothing.
    expect(beginAttempt(ledger, start).ledger).toBe(ledger);
    expect(beginAttempt(ledger, { ...start, attempt: 4 }).ledger).toBe(ledger);
  });

  test('moves of the attempt count in the wave and in the attempt; untagged ones (attempt 1 late) only where they fit', () => {
    const { ledger } = beginAttempt(finished(), start);
    const moved = applyMoves(
      ledger,
      [
        { wave: 1, from: 'pending', to: 'downloading', attempt: 2 },
        { wave: 1, from: 'pending', to: 'succeeded', attempt: 2 },
      ],
      LATER,
    );
    expect(moved.waves[1]).toMatchObject({
      pending: 1,
      inProgress: 1,
      succeeded: 5,
      inProgressBy: expect.objectContaining({ downloading: 1 }),
    });
    expect(moved.attempts!.at(-1)!.waves[1]).toEqual(totalsOf({ pending: 1, inProgress: 1, succeeded: 1 }));
    // The canary is final: a move there is dropped, in both.
    expect(applyMoves(moved, [{ wave: 0, from: 'succeeded', to: 'failed', attempt: 2 }], LATER)).toBe(moved);
  });

  test("the wave's final totals from the orchestration count the attempt's devices: the wave is the rest plus them", () => {
    const { ledger } = beginAttempt(finished(), start);
    const live = applyMoves(ledger, [{ wave: 1, from: 'pending', to: 'succeeded', attempt: 2 }], LATER);
    // Waves without devices of the attempt keep what they had, whatever the orchestration says about them.
    const canary = finishWave(live, 0, 'completed', totalsOf(), LATER);
    expect(canary).toBe(live);
    const done = finishWave(live, 1, 'completedWithFailures', totalsOf({ succeeded: 2, failed: 1 }), '2025-01-02T01:00:00.000Z');
    expect(done.waves[1]).toMatchObject({ state: 'completedWithFailures', succeeded: 6, failed: 1, timedOut: 0, canceled: 1, pending: 0 });
    expect(done.finalWaves).toEqual([true, true]);
    const attempts = rolloutAttempts(done, totalsOf(), true);
    expect(attempts[1]).toEqual({
      attempt: 2,
      startedAt: LATER,
      finishedAt: '2025-01-02T01:00:00.000Z',
      retried: FAILED_AND_TIMED_OUT,
      totals: totalsOf({ succeeded: 2, failed: 1 }),
    });
    expect(ledgerStatus(done, 'completedWithFailures').totals).toEqual(totalsOf({ succeeded: 8, failed: 1, canceled: 1, skipped: 3 }));
    // All of them succeeding completes the wave: its state follows all its devices, not the attempt's alone.
    const clean = finishWave(live, 1, 'completed', totalsOf({ succeeded: 3 }), LATER);
    expect(clean.waves[1]).toMatchObject({ state: 'completed', succeeded: 7, canceled: 1 });
  });

  test("a rollout never retried: attempt 1 with the rollout's totals", () => {
    const totals = totalsOf({ succeeded: 1 });
    expect(rolloutAttempts(finished(), totals, true)).toEqual([{ attempt: 1, startedAt: AT, finishedAt: AT, retried: null, totals }]);
    expect(rolloutAttempts(planLedger(PLAN, AT), totals, false)[0].finishedAt).toBeNull();
    expect(rolloutAttempts(null, totals, false)).toEqual([]);
  });
});

describe('instance ids of a retry', () => {
  test("waves and batches of attempt 2+ carry it, so they never take an earlier attempt's ids", () => {
    expect(waveInstanceId('fw-2.1', 0, 0, 1)).toBe('fw-2.1:w0');
    expect(waveInstanceId('fw-2.1', 0, 0, 2)).toBe('fw-2.1:r2:w0');
    expect(waveInstanceId('fw-2.1', 3, 1, 12)).toBe('fw-2.1:r12:w3:a1');
    expect(batchInstanceId('fw-2.1', 3, 17, 0, 2)).toBe('fw-2.1:r2:w3:b17');
    expect(batchInstanceId('fw-2.1', 3, 17, 4, 2)).toBe('fw-2.1:r2:w3:b17:e4');
    expect(parseBatchInstanceId('fw-2.1:r2:w3:b17:e4')).toEqual({ rolloutId: 'fw-2.1', wave: 3, batch: 17, episode: 4, rolloutAttempt: 2 });
    expect(parseBatchInstanceId('fw-2.1:w3:b17')).toEqual({ rolloutId: 'fw-2.1', wave: 3, batch: 17, episode: 0 });
    for (const id of ['fw-2.1:r1:w3:b17', 'fw-2.1:r0:w3:b17', 'fw-2.1:r02:w3:b17', 'fw-2.1:r:w3:b17', 'fw-2.1:w3:r2:b17']) {
      expect(parseBatchInstanceId(id)).toBeNull();
    }
    expect(() => waveInstanceId('a', 0, 0, 0)).toThrow(RangeError);
    expect(batchInstanceId('r'.repeat(64), 19, 99_999, 9_999, 9_999).length).toBeLessThanOrEqual(100);
  });
});
