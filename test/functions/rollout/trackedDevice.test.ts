import fc from 'fast-check';
import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { FIRMWARE_UPDATE_STATUSES } from '../../../contracts/firmwareUpdate';
import {
  MAX_TIMELINE_ENTRIES,
  RESYNC_GRACE_SECONDS,
  RETRY_FIRST_DELAY_SECONDS,
  RETRY_MAX_DELAY_SECONDS,
  TWIN_READ_RETRY_SECONDS,
  afterSwitch,
  applyInvokeOutcome,
  applyReports,
  callingAgain,
  cancelBeforeStart,
  deferTwinRead,
  invokeFailed,
  isPastDeadline,
  isRetryDue,
  isSettled,
  isStaged,
  needsTwinRead,
  nextWakeUp,
  retryDelaySeconds,
  startTracked,
} from '../../../functions/src/rollout';
import type { DeviceTimeouts, InvokeOutcome, TrackedDevice, TwinReport } from '../../../functions/src/rollout';
import { FIRMWARE, TIMEOUTS, deviceReport, twinReportAt } from '../support/fixtures';

const T0 = Date.parse('2025-01-01T12:00:00.000Z');
/** Orchestration time `second` seconds after the device's first call, in epoch ms and as ISO 8601. */
const ms = (second: number): number => T0 + second * 1000;
const at = (second: number): string => new Date(ms(second)).toISOString();
const TARGET = { rolloutId: 'r1', fwVersion: FIRMWARE.version };

const OFFLINE: InvokeOutcome = { kind: 'offline', message: 'IoT Hub error 404103: the device is not online' };
const BUSY: InvokeOutcome = { kind: 'busy', rolloutId: 'r0', message: 'Update r0 is applying.' };
const TRANSIENT: InvokeOutcome = { kind: 'error', code: 'methodTimeout', message: 'no answer within 30 s', retryable: true };
const THROTTLED: InvokeOutcome = { kind: 'throttled', message: 'HTTP 429, IoT Hub error 429001' };

const started = (): TrackedDevice => startTracked('thermo#7', at(0));
const answer = (device: TrackedDevice, outcome: InvokeOutcome, second: number, timeouts: DeviceTimeouts = TIMEOUTS): TrackedDevice =>
  applyInvokeOutcome(device, outcome, at(second), timeouts, FIRMWARE.version);
const accepted = (): TrackedDevice => answer(started(), { kind: 'accepted' }, 1);
const report = (
  twinVersion: number,
  status: FirmwareUpdateStatus,
  extra: Partial<FirmwareUpdateReport> = {},
  currentFwVersion?: string,
): TwinReport => twinReportAt(twinVersion, deviceReport(status, extra), currentFwVersion);
const details = (device: TrackedDevice): string[] => device.tracking.timeline.map((entry) => entry.detail);
const last = (device: TrackedDevice) => device.tracking.timeline.at(-1);
const isNote = (detail: string): boolean => detail.endsWith('; trying again with backoff');

/**
 * The first call made at 0 s, then a call at each retry time, each answer coming `latency` seconds
 * after its call, until the method's part is over (the device took the update or settled).
 */
function callUntilDone(first: TrackedDevice, outcomes: (attempt: number) => InvokeOutcome, timeouts: DeviceTimeouts, latency = 0) {
  const answers: { device: TrackedDevice; outcome: InvokeOutcome; second: number }[] = [];
  let device = first;
  let second = latency;
  while (device.invoke !== null) {
    if (answers.length > 0) {
      second = (Date.parse(device.invoke.retryAt!) - T0) / 1000 + latency;
      device = callingAgain(device);
    }
    const outcome = outcomes(answers.length + 1);
    device = answer(device, outcome, second, timeouts);
    answers.push({ device, outcome, second });
    if (answers.length > 5000) throw new Error('the device never settled');
  }
  return answers;
}

describe('retry backoff', () => {
  test('15 s, doubling, at most 10 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(retryDelaySeconds)).toEqual([15, 30, 60, 120, 240, 480, 600, 600, 600]);
    expect([RETRY_FIRST_DELAY_SECONDS, RETRY_MAX_DELAY_SECONDS]).toEqual([15, 600]);
    expect(retryDelaySeconds(0)).toBe(15);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (attempt) => {
        const delay = retryDelaySeconds(attempt);
        expect(delay).toBe(Math.min(600, 15 * 2 ** (attempt - 1)));
        expect(retryDelaySeconds(attempt + 1)).toBe(Math.min(600, delay * 2));
      }),
    );
  });
});

describe('the method answer', () => {
  test('a device starts planned, its first call under way', () => {
    const device = started();
    expect(device).toEqual({
      tracking: expect.objectContaining({ deviceId: 'thermo#7', state: 'pending', status: null, phase: 'accept', phaseStartedAt: null }),
      invoke: { startedAt: at(0), attempts: 0, retryAt: null, lastKind: null },
      resyncAt: null,
    });
    expect(details(device)).toEqual(['planned']);
    expect(device.tracking.updatedAt).toBe(at(0));
    expect(isSettled(device)).toBe(false);
    expect([isRetryDue(device, ms(9999)), needsTwinRead(device, TIMEOUTS, ms(9999)), nextWakeUp(device, TIMEOUTS)]).toEqual([
      false,
      false,
      null,
    ]);
  });

  test('accepted: followed from now, against the accept deadline', () => {
    const device = accepted();
    expect(device.invoke).toBeNull();
    expect(device.resyncAt).toBeNull();
    expect(device.tracking).toMatchObject({ state: 'inProgress', phase: 'accept', phaseStartedAt: at(1), updatedAt: at(1) });
    expect(last(device)).toEqual({ time: at(1), state: 'inProgress', detail: 'accepted the firmwareUpdate method' });
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(1 + TIMEOUTS.methodSeconds));
  });

  test('a staged install ends its stage pass at downloadComplete; an agent without the echo goes on to apply', () => {
    const staging = answer(started(), { kind: 'accepted', staged: true }, 1);
    expect(staging).toMatchObject({ staging: true, invoke: null, tracking: { state: 'inProgress', phaseStartedAt: at(1) } });
    expect(last(staging)).toEqual({ time: at(1), state: 'inProgress', detail: 'accepted the firmwareUpdate method (staged install)' });
    const downloading = applyReports(staging, [report(2, 'waiting'), report(3, 'downloading')], TARGET, at(5));
    expect(isStaged(downloading)).toBe(false);
    const staged = applyReports(downloading, [report(4, 'downloadComplete')], TARGET, at(9));
    expect(isStaged(staged)).toBe(true);
    expect(staged.tracking).toMatchObject({ state: 'inProgress', status: 'downloadComplete' });

    const old = applyReports(accepted(), [report(2, 'waiting'), report(4, 'downloadComplete')], TARGET, at(9));
    expect(old.tracking.status).toBe('downloadComplete');
    expect(isStaged(old)).toBe(false);
  });

  test('a staged install whose reports overtook the answer is staged once the answer with the echo comes', () => {
    const overtaken = applyReports(started(), [report(2, 'waiting'), report(4, 'downloadComplete')], TARGET, at(3));
    expect([overtaken.invoke, isStaged(overtaken)]).toEqual([null, false]);
    const staged = answer(overtaken, { kind: 'accepted', staged: true }, 4);
    expect(isStaged(staged)).toBe(true);
    // No apply deadline runs for it any more: it waits, staged, from the answer.
    expect(staged.tracking).toEqual({ ...overtaken.tracking, phase: 'staged', phaseStartedAt: at(4) });
    expect(answer(overtaken, { kind: 'accepted' }, 4)).toBe(overtaken);
  });

  test('current: the device already works on this rollout; followed, its twin read now to catch up', () => {
    const device = answer(started(), { kind: 'current', state: deviceReport('downloading') }, 2);
    expect(device.invoke).toBeNull();
    expect(device.resyncAt).toBe(at(2));
    expect(device.tracking).toMatchObject({ state: 'inProgress', phaseStartedAt: at(2) });
    expect(last(device)).toEqual({ time: at(2), state: 'inProgress', detail: 'the device is already working on this rollout' });
    expect(needsTwinRead(device, TIMEOUTS, ms(2))).toBe(true);
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(2));
    // The read shows where it is; the resync is done.
    const caughtUp = applyReports(device, [report(8, 'downloading', { progress: 60 })], TARGET, at(3));
    expect(caughtUp).toMatchObject({
      resyncAt: null,
      tracking: { status: 'downloading', progress: 60, twinVersion: 8, phase: 'download' },
    });
    expect(needsTwinRead(caughtUp, TIMEOUTS, ms(3))).toBe(false);
  });

  test.each([
    ['the version it names', '2.0.0', 'the device already runs 2.0.0'],
    ["the rollout's version when it names none", '', `the device already runs ${FIRMWARE.version}`],
  ])('alreadyInstalled: skipped, with %s', (_what, fwVersion, detail) => {
    const device = answer(started(), { kind: 'alreadyInstalled', fwVersion }, 2);
    expect(device).toEqual({
      tracking: expect.objectContaining({ state: 'skipped', phase: 'done', error: null }),
      invoke: null,
      resyncAt: null,
    });
    expect(last(device)).toEqual({ time: at(2), state: 'skipped', detail });
    expect(isSettled(device)).toBe(true);
  });

  test('invalid: failed at once as invalidRequest, naming the field the device refused', () => {
    const device = answer(started(), { kind: 'invalid', field: 'sha256', message: 'must be 64 hex digits' }, 2);
    expect(device.tracking).toMatchObject({ state: 'failed', phase: 'done' });
    expect(device.tracking.error).toEqual({ code: 'invalidRequest', message: 'sha256: must be 64 hex digits' });
    expect(last(device)).toEqual({
      time: at(2),
      state: 'failed',
      detail: 'the device rejected the request: sha256: must be 64 hex digits',
    });
    expect(device.invoke).toBeNull();
  });

  test('a non-retryable error: failed at once with its code', () => {
    const device = answer(started(), { kind: 'error', code: 'deviceNotFound', message: 'no device thermo#7', retryable: false }, 2);
    expect(device.tracking).toMatchObject({ state: 'failed', error: { code: 'deviceNotFound', message: 'no device thermo#7' } });
    expect(last(device)).toEqual({ time: at(2), state: 'failed', detail: 'deviceNotFound: no device thermo#7' });
    expect(device.invoke).toBeNull();
  });

  test.each([
    ['offline', OFFLINE, 'offline', 'the device is offline'],
    ['busy', BUSY, 'busy', 'the device is busy (Update r0 is applying.)'],
    ['a transient error', TRANSIENT, 'methodTimeout', 'methodTimeout: no answer within 30 s'],
    ['a failed activity', invokeFailed('the worker crashed'), 'invokeFailed', 'invokeFailed: the worker crashed'],
  ])('%s: still pending, called again in 15 s, with a timeline note', (_what, outcome, kind, reason) => {
    const device = answer(started(), outcome, 2);
    expect(device.invoke).toEqual({ startedAt: at(0), attempts: 1, retryAt: at(17), lastKind: kind });
    expect(device.tracking).toMatchObject({ state: 'pending', error: null, updatedAt: at(2) });
    expect(last(device)).toEqual({ time: at(2), state: 'pending', detail: `${reason}; trying again with backoff` });
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(17));
    expect(isRetryDue(device, ms(16.999))).toBe(false);
    expect(isRetryDue(device, ms(17))).toBe(true);
    expect(needsTwinRead(device, TIMEOUTS, ms(10_000))).toBe(false);
    expect(isPastDeadline(device, TIMEOUTS, ms(10_000))).toBe(false);
  });

  test('the backoff doubles from 15 s to 10 minutes, with one note for the whole streak of the same answer', () => {
    const answers = callUntilDone(started(), () => OFFLINE, TIMEOUTS);
    const delays = answers.slice(0, -1).map(({ device, second }) => (Date.parse(device.invoke!.retryAt!) - ms(second)) / 1000);
    expect(delays).toEqual([15, 30, 60, 120, 240, 480, 600, 600, 600, 600]);
    expect(answers.map(({ second }) => second)).toEqual([0, 15, 45, 105, 225, 465, 945, 1545, 2145, 2745, 3345]);
    const final = answers.at(-1)!.device;
    expect(details(final)).toEqual([
      'planned',
      'the device is offline; trying again with backoff',
      expect.stringMatching(/^the device is offline; gave up /),
    ]);
  });

  test('timedOut once the next try would fall after offlineRetryMinutes from the first call', () => {
    const answers = callUntilDone(started(), () => OFFLINE, TIMEOUTS);
    // The 11th answer comes at 3345 s; its retry would be at 3945 s, past the 3600 s window.
    const final = answers.at(-1)!.device;
    const message = 'the device is offline; gave up after 11 attempts over 60 minutes';
    expect(final).toEqual({
      tracking: expect.objectContaining({ state: 'timedOut', phase: 'done', updatedAt: at(3345) }),
      invoke: null,
      resyncAt: null,
    });
    expect(final.tracking.error).toEqual({ code: 'offline', message });
    expect(last(final)).toEqual({ time: at(3345), state: 'timedOut', detail: message });
    expect(answers.at(-2)!.device.invoke!.retryAt).toBe(at(3345));
    // A window that ends exactly on a retry time still allows that retry.
    const exact = callUntilDone(started(), () => OFFLINE, { ...TIMEOUTS, offlineRetryMinutes: 3345 / 60 });
    expect(exact).toHaveLength(11);
    // A window shorter than the first delay: the first answer is the last.
    const short = answer(started(), BUSY, 0, { ...TIMEOUTS, offlineRetryMinutes: 0.2 });
    expect(short.tracking.error).toEqual({
      code: 'busy',
      message: 'the device is busy (Update r0 is applying.); gave up after 1 attempts over 0.2 minutes',
    });
  });

  test('a new note whenever the answer changes, none while it repeats', () => {
    const sequence = [OFFLINE, OFFLINE, BUSY, BUSY, BUSY, OFFLINE, TRANSIENT, TRANSIENT];
    const answers = callUntilDone(started(), (attempt) => sequence[attempt - 1] ?? { kind: 'accepted' }, TIMEOUTS);
    expect(answers).toHaveLength(sequence.length + 1);
    expect(details(answers.at(-1)!.device)).toEqual([
      'planned',
      'the device is offline; trying again with backoff',
      'the device is busy (Update r0 is applying.); trying again with backoff',
      'the device is offline; trying again with backoff',
      'methodTimeout: no answer within 30 s; trying again with backoff',
      'accepted the firmwareUpdate method',
    ]);
    expect(answers.at(-1)!.device.tracking).toMatchObject({ state: 'inProgress', phaseStartedAt: at(answers.at(-1)!.second) });
  });

  test('the retry window, for any window, call latency and mix of retryable answers', () => {
    const retryable = fc.constantFrom(OFFLINE, BUSY, TRANSIENT, invokeFailed('the worker crashed'));
    fc.assert(
      fc.property(
        // Up to the longest window the spec allows (a week: about 1,000 calls), mostly shorter ones.
        fc.oneof(
          { arbitrary: fc.double({ min: 0.1, max: 6 * 60, noNaN: true }), weight: 9 },
          { arbitrary: fc.constant(7 * 24 * 60), weight: 1 },
        ),
        fc.nat({ max: 40 }),
        fc.array(retryable, { minLength: 1, maxLength: 30 }),
        (offlineRetryMinutes, latency, cycle) => {
          const timeouts = { ...TIMEOUTS, offlineRetryMinutes };
          const kindOf = (outcome: InvokeOutcome): string => (outcome.kind === 'error' ? outcome.code : outcome.kind);
          const answers = callUntilDone(started(), (attempt) => cycle[(attempt - 1) % cycle.length], timeouts, latency);
          const window = T0 + offlineRetryMinutes * 60_000;
          answers.forEach(({ device, second, outcome }, i) => {
            const retryAt = ms(second) + retryDelaySeconds(i + 1) * 1000;
            if (i < answers.length - 1) {
              const expected = { startedAt: at(0), attempts: i + 1, retryAt: new Date(retryAt).toISOString(), lastKind: kindOf(outcome) };
              expect(device.invoke).toEqual(expected);
              expect(retryAt).toBeLessThanOrEqual(window);
            } else {
              expect(retryAt).toBeGreaterThan(window);
              expect(device.tracking.state).toBe('timedOut');
              const gaveUp = `gave up after ${i + 1} attempts over ${offlineRetryMinutes} minutes`;
              expect(device.tracking.error).toEqual({ code: kindOf(outcome), message: expect.stringContaining(gaveUp) });
            }
          });
          const kinds = answers.slice(0, -1).map(({ outcome }) => kindOf(outcome));
          const streaks = kinds.filter((kind, i) => i === 0 || kind !== kinds[i - 1]).length;
          const final = answers.at(-1)!.device;
          // Planned, a note per streak, the verdict; a device flapping for days overflows the timeline's cap.
          const entries = 1 + streaks + 1;
          expect(final.tracking.timeline).toHaveLength(Math.min(entries, MAX_TIMELINE_ENTRIES));
          expect(final.tracking.timelineDropped).toBe(entries - final.tracking.timeline.length);
          expect(
            details(final)
              .slice(entries > MAX_TIMELINE_ENTRIES ? 0 : 1, -1)
              .every(isNote),
          ).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('an answer for a device that is followed or settled changes nothing', () => {
    const followed = accepted();
    for (const outcome of [OFFLINE, BUSY, { kind: 'accepted' } as const, { kind: 'invalid', field: 'size', message: 'bad' } as const]) {
      expect(answer(followed, outcome, 5)).toBe(followed);
    }
    const skipped = answer(started(), { kind: 'alreadyInstalled', fwVersion: '2.1.0' }, 1);
    expect(answer(skipped, OFFLINE, 5)).toBe(skipped);
  });
});

describe('calling again, canceling', () => {
  test('callingAgain: the retry time is cleared while the call is under way; the streak and the window are kept', () => {
    const waiting = answer(started(), OFFLINE, 1);
    const calling = callingAgain(waiting);
    expect(calling.invoke).toEqual({ ...waiting.invoke, retryAt: null });
    expect(calling.tracking).toBe(waiting.tracking);
    expect([isRetryDue(calling, ms(9999)), nextWakeUp(calling, TIMEOUTS)]).toEqual([false, null]);
    // The repeated answer adds no note; its retry is counted from the window's start.
    const again = answer(calling, OFFLINE, 16);
    expect(again.invoke).toEqual({ startedAt: at(0), attempts: 2, retryAt: at(46), lastKind: 'offline' });
    expect(again.tracking.timeline).toHaveLength(2);
    const followed = accepted();
    expect(callingAgain(followed)).toBe(followed);
  });

  test('isRetryDue: only while waiting for a retry whose time has come', () => {
    const waiting = answer(started(), BUSY, 1);
    expect([15, 16, 17, 1000].map((second) => isRetryDue(waiting, ms(second)))).toEqual([false, true, true, true]);
    expect(isRetryDue(accepted(), ms(1000))).toBe(false);
    expect(isRetryDue(cancelBeforeStart(waiting, at(2)), ms(1000))).toBe(false);
  });

  test('cancelBeforeStart: canceled, no error, nothing more to wait for', () => {
    for (const device of [started(), answer(started(), OFFLINE, 1)]) {
      const canceled = cancelBeforeStart(device, at(20));
      expect(canceled).toEqual({
        tracking: expect.objectContaining({ state: 'canceled', phase: 'done', error: null }),
        invoke: null,
        resyncAt: null,
      });
      expect(last(canceled)).toEqual({
        time: at(20),
        state: 'canceled',
        detail: 'the rollout was canceled before the device took the update',
      });
      expect(nextWakeUp(canceled, TIMEOUTS)).toBeNull();
      expect([isRetryDue(canceled, ms(10_000)), needsTwinRead(canceled, TIMEOUTS, ms(10_000))]).toEqual([false, false]);
    }
    // A verdict already reached stays.
    const failed = answer(started(), { kind: 'invalid', field: 'size', message: 'bad' }, 1);
    expect(cancelBeforeStart(failed, at(20)).tracking).toBe(failed.tracking);
  });
});

describe('twin reports', () => {
  test('applied in $version order, whatever order they come in', () => {
    const unordered = [report(4, 'downloadComplete'), report(2, 'waiting'), report(3, 'downloading', { progress: 0 })];
    const device = applyReports(accepted(), unordered, TARGET, at(9));
    expect(device.tracking).toMatchObject({
      state: 'inProgress',
      status: 'downloadComplete',
      phase: 'apply',
      twinVersion: 4,
      phaseStartedAt: at(9),
    });
    expect(device.tracking.timeline.slice(2).map((entry) => [entry.twinVersion, entry.status])).toEqual([
      [2, 'waiting'],
      [3, 'downloading'],
      [4, 'downloadComplete'],
    ]);
    const statuses = ['waiting', 'downloading', 'downloadComplete', 'applying'] as const;
    const reports = [...statuses.map((status, i) => report(i + 2, status)), report(6, 'applyComplete', {}, '2.1.0')];
    const inOrder = applyReports(accepted(), reports, TARGET, at(9));
    expect(inOrder.tracking.state).toBe('succeeded');
    fc.assert(
      fc.property(fc.shuffledSubarray(reports, { minLength: reports.length }), (shuffled) => {
        expect(applyReports(accepted(), shuffled, TARGET, at(9))).toEqual(inOrder);
      }),
    );
  });

  test('a report that overtakes the method answer: the device is followed, and the late answer changes nothing', () => {
    const calling = started();
    const early = applyReports(calling, [report(2, 'waiting')], TARGET, at(1));
    expect(early).toEqual({
      tracking: expect.objectContaining({ state: 'inProgress', status: 'waiting', phase: 'download', phaseStartedAt: at(1) }),
      invoke: null,
      resyncAt: null,
    });
    expect(answer(early, { kind: 'accepted' }, 2)).toBe(early);
    expect(answer(early, OFFLINE, 2)).toBe(early);
    // While it waits for a retry (its answer was lost), a report shows it took the update.
    const waiting = answer(started(), TRANSIENT, 1);
    const working = applyReports(waiting, [report(5, 'downloading', { progress: 20 })], TARGET, at(8));
    expect(working.invoke).toBeNull();
    expect(working.tracking).toMatchObject({ state: 'inProgress', status: 'downloading', progress: 20 });
    expect(isRetryDue(working, ms(10_000))).toBe(false);
  });

  test('a report ends a pending resync', () => {
    const resyncing = afterSwitch(accepted(), at(5));
    expect(resyncing.resyncAt).toBe(at(5 + RESYNC_GRACE_SECONDS));
    expect(applyReports(resyncing, [report(2, 'waiting')], TARGET, at(6)).resyncAt).toBeNull();
  });

  test('stale, duplicate, foreign or no reports change nothing: the same object comes back', () => {
    const downloading = applyReports(accepted(), [report(5, 'downloading')], TARGET, at(3));
    expect(applyReports(downloading, [], TARGET, at(4))).toBe(downloading);
    expect(applyReports(downloading, [report(5, 'downloading'), report(4, 'applyFailed'), report(1, 'waiting')], TARGET, at(4))).toBe(
      downloading,
    );
    expect(applyReports(downloading, [report(9, 'applyComplete', { rolloutId: 'other' }, '2.1.0')], TARGET, at(4))).toBe(downloading);
    const noUpdate: TwinReport[] = [
      { twinVersion: 9, firmwareUpdate: null },
      { twinVersion: 10, currentFwVersion: '2.1.0' },
    ];
    expect(applyReports(downloading, noUpdate, TARGET, at(4))).toBe(downloading);
    // A stale report does not end a resync either: the twin is still to be read.
    const resyncing = afterSwitch(downloading, at(5));
    expect(applyReports(resyncing, [report(5, 'downloading')], TARGET, at(6))).toBe(resyncing);
    // Nor does anything change a settled device.
    const succeeded = applyReports(downloading, [report(7, 'applyComplete', {}, '2.1.0')], TARGET, at(7));
    expect(succeeded.tracking.state).toBe('succeeded');
    expect(applyReports(succeeded, [report(8, 'applyFailed', { error: { code: 'bootFailed', message: 'reset' } })], TARGET, at(8))).toBe(
      succeeded,
    );
  });
});

describe('wake-ups and twin reads', () => {
  test('afterSwitch: a followed device has its twin read after the grace unless it reports; others are left alone', () => {
    const followed = accepted();
    const switched = afterSwitch(followed, at(5));
    expect(switched).toEqual({ ...followed, resyncAt: at(5 + RESYNC_GRACE_SECONDS) });
    expect(RESYNC_GRACE_SECONDS).toBe(3);
    expect(nextWakeUp(switched, TIMEOUTS)).toBe(ms(8));
    expect(needsTwinRead(switched, TIMEOUTS, ms(7.999))).toBe(false);
    expect(needsTwinRead(switched, TIMEOUTS, ms(8))).toBe(true);
    // Not past its deadline: the read is a resync, not a timeout.
    expect(isPastDeadline(switched, TIMEOUTS, ms(8))).toBe(false);
    const invoking = answer(started(), OFFLINE, 1);
    expect(afterSwitch(invoking, at(5))).toBe(invoking);
    const calling = started();
    expect(afterSwitch(calling, at(5))).toBe(calling);
    const settled = answer(started(), { kind: 'alreadyInstalled', fwVersion: '2.1.0' }, 1);
    expect(afterSwitch(settled, at(5))).toBe(settled);
  });

  test("nextWakeUp is the phase deadline in epoch ms, moving with the device's phase", () => {
    const device = accepted();
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(31));
    const downloading = applyReports(device, [report(2, 'waiting')], TARGET, at(10));
    expect(nextWakeUp(downloading, TIMEOUTS)).toBe(ms(10 + TIMEOUTS.downloadMinutes * 60));
    const applying = applyReports(downloading, [report(3, 'downloadComplete')], TARGET, at(100));
    expect(nextWakeUp(applying, TIMEOUTS)).toBe(ms(100 + TIMEOUTS.applyMinutes * 60));
    const done = applyReports(applying, [report(4, 'applyComplete', {}, '2.1.0')], TARGET, at(200));
    expect(nextWakeUp(done, TIMEOUTS)).toBeNull();
  });

  test('nextWakeUp is the resync when one is set (the read it makes also judges the deadline), else the deadline', () => {
    const device = accepted();
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(31));
    expect(nextWakeUp({ ...device, resyncAt: at(20) }, TIMEOUTS)).toBe(ms(20));
    expect(nextWakeUp({ ...device, resyncAt: at(90) }, TIMEOUTS)).toBe(ms(90));
  });

  test('deferTwinRead: a throttled read past the deadline waits TWIN_READ_RETRY_SECONDS; no verdict is due before', () => {
    const device = accepted();
    expect(needsTwinRead(device, TIMEOUTS, ms(31))).toBe(true);
    const deferred = deferTwinRead(device, at(31));
    expect(nextWakeUp(deferred, TIMEOUTS)).toBe(ms(31 + TWIN_READ_RETRY_SECONDS));
    expect(needsTwinRead(deferred, TIMEOUTS, ms(35.999))).toBe(false);
    expect(needsTwinRead(deferred, TIMEOUTS, ms(36))).toBe(true);
  });

  test('throttled (429): called again after 1 s doubling to 30 s, never timed out for it; the offline window moves on by the wait', () => {
    const timeouts = { ...TIMEOUTS, offlineRetryMinutes: 1 };
    let device = started();
    let second = 0;
    const delays: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      device = answer(callingAgain(device), THROTTLED, second, timeouts);
      const retryAt = Date.parse(device.invoke!.retryAt!);
      delays.push((retryAt - ms(second)) / 1000);
      second = (retryAt - T0) / 1000;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30, 30, 30, 30]);
    expect(isSettled(device)).toBe(false);
    expect(device.invoke!.attempts).toBe(0);
    // 181 s of throttling later, the offline window (1 minute) starts only now.
    expect(device.invoke!.startedAt).toBe(at(second));
    device = answer(callingAgain(device), OFFLINE, second, timeouts);
    expect(device.invoke).toMatchObject({ attempts: 1, lastKind: 'offline' });
    expect(device.invoke).not.toHaveProperty('throttles');
    expect(device.tracking.timeline.filter((entry) => /429/.test(entry.detail))).toHaveLength(1);
  });

  test('isPastDeadline and needsTwinRead: from the deadline on, only for a followed device', () => {
    const device = accepted();
    expect([30, 30.999, 31, 5000].map((second) => isPastDeadline(device, TIMEOUTS, ms(second)))).toEqual([false, false, true, true]);
    expect([30.999, 31].map((second) => needsTwinRead(device, TIMEOUTS, ms(second)))).toEqual([false, true]);
    for (const other of [
      started(),
      answer(started(), OFFLINE, 1),
      answer(started(), { kind: 'invalid', field: 'size', message: 'bad' }, 1),
    ]) {
      expect([isPastDeadline(other, TIMEOUTS, ms(1e6)), needsTwinRead(other, TIMEOUTS, ms(1e6))]).toEqual([false, false]);
    }
  });

  test('the deadline follows the timeouts it is asked with', () => {
    const device = accepted();
    expect(nextWakeUp(device, TIMEOUTS)).toBe(ms(31));
    expect(nextWakeUp(device, { ...TIMEOUTS, methodSeconds: 60 })).toBe(ms(61));
    expect(isPastDeadline(device, { ...TIMEOUTS, methodSeconds: 60 }, ms(40))).toBe(false);
    expect(needsTwinRead(device, { ...TIMEOUTS, methodSeconds: 5 }, ms(6))).toBe(true);
  });

  test('a tracker sleeping until nextWakeUp misses nothing: something is due exactly from the wake-up on (random lives)', () => {
    type Step =
      | { kind: 'answer'; outcome: InvokeOutcome }
      | { kind: 'report'; twinVersion: number; status: FirmwareUpdateStatus; currentFwVersion?: string }
      | { kind: 'switch' }
      | { kind: 'deferRead' }
      | { kind: 'cancel' };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant('answer' as const),
        outcome: fc.constantFrom<InvokeOutcome>(
          { kind: 'accepted' },
          { kind: 'current', state: null },
          { kind: 'alreadyInstalled', fwVersion: '2.1.0' },
          { kind: 'invalid', field: 'size', message: 'bad' },
          { kind: 'error', code: 'hubRejected', message: 'no', retryable: false },
          OFFLINE,
          BUSY,
          TRANSIENT,
          THROTTLED,
        ),
      }),
      fc.record(
        {
          kind: fc.constant('report' as const),
          twinVersion: fc.integer({ min: 1, max: 12 }),
          status: fc.constantFrom(...FIRMWARE_UPDATE_STATUSES),
          currentFwVersion: fc.constantFrom('2.1.0', '1.0.0'),
        },
        { requiredKeys: ['kind', 'twinVersion', 'status'] },
      ),
      fc.constant({ kind: 'switch' as const }),
      fc.constant({ kind: 'deferRead' as const }),
      fc.constant({ kind: 'cancel' as const }),
    );
    const timeoutsArb = fc.record({
      methodSeconds: fc.integer({ min: 5, max: 300 }),
      offlineRetryMinutes: fc.double({ min: 0.5, max: 120, noNaN: true }),
      downloadMinutes: fc.integer({ min: 1, max: 60 }),
      applyMinutes: fc.integer({ min: 1, max: 60 }),
    });
    fc.assert(
      fc.property(timeoutsArb, fc.array(fc.tuple(fc.nat({ max: 4000 }), stepArb), { maxLength: 25 }), (timeouts, steps) => {
        let device = started();
        let second = 0;
        const check = (d: TrackedDevice): void => {
          const wake = nextWakeUp(d, timeouts);
          const callUnderWay = d.invoke !== null && d.invoke.retryAt === null;
          expect(wake === null).toBe(isSettled(d) || callUnderWay);
          for (const t of wake === null ? [ms(second), ms(second + 1e6)] : [wake - 1, wake, wake + 1, wake + 1e6]) {
            const due = isRetryDue(d, t) || needsTwinRead(d, timeouts, t);
            expect(due).toBe(wake !== null && t >= wake);
            // Retries are for devices being invoked, twin reads for followed ones.
            expect(isRetryDue(d, t) && needsTwinRead(d, timeouts, t)).toBe(false);
            // Past the deadline the twin is read, at the resync when one is set (its read judges the deadline).
            if (isPastDeadline(d, timeouts, t) && (d.resyncAt === null || Date.parse(d.resyncAt) <= t))
              expect(needsTwinRead(d, timeouts, t)).toBe(true);
          }
        };
        for (const [elapsed, step] of steps) {
          second += elapsed;
          const before = device;
          switch (step.kind) {
            case 'answer':
              device = applyInvokeOutcome(callingAgain(device), step.outcome, at(second), timeouts, FIRMWARE.version);
              break;
            case 'report':
              device = applyReports(device, [report(step.twinVersion, step.status, {}, step.currentFwVersion)], TARGET, at(second));
              break;
            case 'switch':
              device = afterSwitch(device, at(second));
              break;
            case 'deferRead':
              if (needsTwinRead(device, timeouts, ms(second))) device = deferTwinRead(device, at(second));
              break;
            case 'cancel':
              if (device.invoke !== null) device = cancelBeforeStart(device, at(second));
              break;
          }
          if (isSettled(before)) expect(device.tracking).toBe(before.tracking);
          if (isSettled(device)) expect([device.invoke, device.resyncAt]).toEqual([null, null]);
          check(device);
        }
      }),
      { numRuns: 500 },
    );
  });
});
