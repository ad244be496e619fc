import type { FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import {
  applyInvokeOutcome,
  applyMoves,
  applyReports,
  bucketOf,
  finishWave,
  ledgerStatus,
  planLedger,
  rolloutPolicy,
  setWaveState,
  isCalling,
  isPastDeadline,
  isSettled,
  isStaged,
  missedStageDeadline,
  nextWakeUp,
  startApply,
  startTracked,
  updateOf,
} from '../../../functions/src/rollout';
import type { InvokeOutcome, LedgerPlan, RolloutLedgerState, TrackedDevice, TwinReport } from '../../../functions/src/rollout';
import { totalsOf } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS, deviceReport, specOf, twinReportAt } from '../support/fixtures';

const T0 = Date.parse('2025-01-01T12:00:00.000Z');
const ms = (second: number): number => T0 + second * 1000;
const at = (second: number): string => new Date(ms(second)).toISOString();
const TARGET = { rolloutId: 'r1', fwVersion: FIRMWARE.version };
const DAY = 24 * 60 * 60;

const answer = (device: TrackedDevice, outcome: InvokeOutcome, second: number): TrackedDevice =>
  applyInvokeOutcome(device, outcome, at(second), TIMEOUTS, FIRMWARE.version);
const report = (twinVersion: number, status: FirmwareUpdateStatus, currentFwVersion?: string): TwinReport =>
  twinReportAt(twinVersion, deviceReport(status), currentFwVersion);
const bucket = (device: TrackedDevice) => bucketOf(updateOf(device.tracking, 0));

/** A device of the stage pass that took the staged install at 1 s and reported downloadComplete at 9 s. */
function stagedDevice(): TrackedDevice {
  const staging = answer(startTracked('thermo#7', at(0)), { kind: 'accepted', staged: true }, 1);
  return applyReports(staging, [report(2, 'waiting'), report(3, 'downloading'), report(4, 'downloadComplete')], TARGET, at(9));
}

describe('a staged install in its stage pass', () => {
  test('at downloadComplete it is staged: counted as such, with no deadline running (no applyTimeout while it waits)', () => {
    const device = stagedDevice();
    expect(isStaged(device)).toBe(true);
    expect(device.tracking).toMatchObject({ state: 'inProgress', status: 'downloadComplete', phase: 'staged', phaseStartedAt: at(9) });
    expect(bucket(device)).toBe('staged');
    expect(isPastDeadline(device, TIMEOUTS, ms(7 * DAY))).toBe(false);
    expect(nextWakeUp(device, TIMEOUTS)).toBeGreaterThan(ms(7 * DAY));
  });

  test("its staged answer lost, the call's retry hears current with the staged echo: staging, and its twin read stages it", () => {
    const calledAgain = answer(
      startTracked('thermo#7', at(0)),
      { kind: 'current', state: deviceReport('downloadComplete'), staged: true },
      31,
    );
    expect(calledAgain).toMatchObject({ staging: true, invoke: null, resyncAt: at(31) });
    const read = applyReports(calledAgain, [report(4, 'downloadComplete')], TARGET, at(32));
    expect([isStaged(read), read.tracking.phase, bucket(read)]).toEqual([true, 'staged', 'staged']);
    // Without the echo (an agent older than it) the device is followed as an immediate install.
    const old = answer(startTracked('old', at(0)), { kind: 'current', state: deviceReport('downloadComplete') }, 31);
    expect(isStaged(applyReports(old, [report(4, 'downloadComplete')], TARGET, at(32)))).toBe(false);
  });

  test('a later report of the same downloadComplete (a twin read) keeps it staged', () => {
    const again = applyReports(stagedDevice(), [report(5, 'downloadComplete')], TARGET, at(20));
    expect([isStaged(again), again.tracking.phase]).toEqual([true, 'staged']);
  });

  test('an agent without staging (no echo) goes on from downloadComplete under the apply deadline', () => {
    const old = answer(startTracked('old', at(0)), { kind: 'accepted' }, 1);
    const device = applyReports(old, [report(2, 'downloading'), report(3, 'downloadComplete')], TARGET, at(9));
    expect([isStaged(device), device.tracking.phase, bucket(device)]).toEqual([false, 'apply', 'applying']);
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(9 + TIMEOUTS.applyMinutes * 60));
  });

  test('the stage deadline: a device still staging or waiting for a retry times out (stageDeadline); calls and old agents go on', () => {
    const downloading = applyReports(
      answer(startTracked('slow', at(0)), { kind: 'accepted', staged: true }, 1),
      [report(2, 'downloading')],
      TARGET,
      at(3),
    );
    const missed = missedStageDeadline(downloading, at(60))!;
    expect(missed.tracking).toMatchObject({ state: 'timedOut', error: { code: 'stageDeadline' } });
    const offline = answer(startTracked('off', at(0)), { kind: 'offline', message: 'not connected' }, 1);
    expect(missedStageDeadline(offline, at(60))?.tracking.state).toBe('timedOut');

    const calling = startTracked('calling', at(0));
    expect([isCalling(calling), missedStageDeadline(calling, at(60))]).toEqual([true, null]);
    const old = applyReports(answer(startTracked('old', at(0)), { kind: 'accepted' }, 1), [report(2, 'downloading')], TARGET, at(3));
    expect(missedStageDeadline(old, at(60))).toBeNull();
  });
});

describe('a staged device in its apply pass', () => {
  test('firmwareApply taken: the apply deadline runs from the answer, then the reports drive it to its verdict', () => {
    const start = startApply('thermo#7', at(100));
    expect(start.tracking).toMatchObject({ state: 'inProgress', status: 'downloadComplete', phase: 'staged', timeline: [] });
    expect([isCalling(start), bucket(start)]).toEqual([true, 'staged']);
    const applying = answer(start, { kind: 'applying' }, 102);
    expect(applying.staging).toBeUndefined();
    expect(applying.tracking).toMatchObject({ phase: 'apply', phaseStartedAt: at(102) });
    expect(applying.tracking.timeline.at(-1)).toEqual({ time: at(102), state: 'inProgress', detail: 'accepted the firmwareApply method' });
    expect(nextWakeUp(applying, TIMEOUTS)).toBe(ms(102 + TIMEOUTS.applyMinutes * 60));
    expect(bucket(applying)).toBe('applying');
    const done = applyReports(applying, [report(7, 'applying'), report(8, 'applyComplete', FIRMWARE.version)], TARGET, at(130));
    expect(done.tracking.state).toBe('succeeded');
  });

  test('current: already applying (an earlier answer was lost): the apply deadline runs and its twin is read now', () => {
    const device = answer(startApply('thermo#7', at(100)), { kind: 'current', state: deviceReport('applying') }, 101);
    expect(device).toMatchObject({ invoke: null, resyncAt: at(101), tracking: { phase: 'apply', phaseStartedAt: at(101) } });
    expect(device.staging).toBeUndefined();
  });

  test('notStaged: failed, naming it', () => {
    const device = answer(startApply('thermo#7', at(100)), { kind: 'notStaged', message: 'Nothing is staged for r1 2.0.0' }, 101);
    expect(isSettled(device)).toBe(true);
    expect(device.tracking).toMatchObject({ state: 'failed', error: { code: 'notStaged', message: 'Nothing is staged for r1 2.0.0' } });
  });
});

describe('the ledger: staged devices and the pass of each wave', () => {
  const plan = (stageThenApply?: unknown): LedgerPlan => ({
    rolloutId: 'r1',
    firmware: FIRMWARE,
    createdAt: at(0),
    shardCount: 1,
    waves: [{ index: 0, name: 'all', percent: 100, targeted: 3 }],
    skipped: 0,
    policy: rolloutPolicy(specOf(stageThenApply === undefined ? {} : { stageThenApply })),
  });

  test('the policy shows stageThenApply (true stands for its defaults); absent without it', () => {
    expect(plan(true).policy.stageThenApply).toEqual({ stagedPercent: 100, deadlineMinutes: 1440 });
    expect(plan({ stagedPercent: 80, deadlineMinutes: 90 }).policy.stageThenApply).toEqual({ stagedPercent: 80, deadlineMinutes: 90 });
    expect(plan().policy).not.toHaveProperty('stageThenApply');
  });

  test('staged is a stage of inProgress, per wave and in total; the wave shows its pass, kept once it is over', () => {
    let ledger = setWaveState(planLedger(plan(true), at(0)), 0, 'running', at(1), 'stage');
    ledger = applyMoves(
      ledger,
      [
        { wave: 0, from: 'pending', to: 'downloading' },
        { wave: 0, from: 'downloading', to: 'staged' },
        { wave: 0, from: 'pending', to: 'staged' },
      ],
      at(2),
    );
    let status = ledgerStatus(ledger, 'running');
    expect(status.waves[0]).toMatchObject({ pass: 'stage', inProgress: 2, pending: 1 });
    expect(status.inProgressBy).toEqual({ waiting: 0, downloading: 0, staged: 2, applying: 0 });
    // A state change without a pass keeps it; the apply pass replaces it.
    ledger = setWaveState(ledger, 0, 'paused', at(3));
    expect(ledgerStatus(ledger, 'paused').waves[0].pass).toBe('stage');
    ledger = setWaveState(ledger, 0, 'running', at(4), 'apply');
    ledger = applyMoves(ledger, [{ wave: 0, from: 'staged', to: 'applying' }], at(5));
    status = ledgerStatus(ledger, 'running');
    expect(status.waves[0]).toMatchObject({ pass: 'apply', inProgressBy: { staged: 1, applying: 1 } });
    ledger = finishWave(ledger, 0, 'completed', totalsOf({ succeeded: 3 }), at(6));
    expect(ledgerStatus(ledger, 'completed').waves[0]).toMatchObject({ state: 'completed', pass: 'apply', succeeded: 3 });
  });

  test('a ledger stored before staging was counted: its stages read with staged 0, and a staged move counts', () => {
    const stored = setWaveState(planLedger(plan(), at(0)), 0, 'running', at(1));
    const older: RolloutLedgerState = {
      ...stored,
      waves: stored.waves.map((wave) => ({
        ...wave,
        pending: 2,
        inProgress: 1,
        inProgressBy: { waiting: 0, downloading: 1, applying: 0 },
      })),
    };
    expect(ledgerStatus(older, 'running').inProgressBy).toEqual({ waiting: 0, downloading: 1, staged: 0, applying: 0 });
    const moved = applyMoves(older, [{ wave: 0, from: 'downloading', to: 'staged' }], at(2));
    expect(ledgerStatus(moved, 'running').inProgressBy).toEqual({ waiting: 0, downloading: 0, staged: 1, applying: 0 });
  });
});
