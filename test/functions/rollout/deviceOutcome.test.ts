import fc from 'fast-check';
import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import { FIRMWARE_UPDATE_STATUSES } from '../../../contracts/firmwareUpdate';
import {
  MAX_TIMELINE_ENTRIES,
  applyReport,
  expirePhase,
  isTerminalDeviceState,
  markAccepted,
  phaseDeadline,
  phaseOf,
  phaseTimeoutSeconds,
  recordNote,
  settle,
  startTracking,
} from '../../../functions/src/rollout';
import type { DeviceTracking, TwinReport } from '../../../functions/src/rollout';
import { twinReportAt } from '../support/fixtures';

const TARGET = { rolloutId: 'fw-2-1', fwVersion: '2.1.0' };
const TIMEOUTS = { methodSeconds: 30, offlineRetryMinutes: 60, downloadMinutes: 30, applyMinutes: 15 };
const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString();

function fw(status: FirmwareUpdateStatus, extra: Partial<FirmwareUpdateReport> = {}): FirmwareUpdateReport {
  return {
    status,
    rolloutId: TARGET.rolloutId,
    fwVersion: TARGET.fwVersion,
    fwPackageUri: 'https://fw.example.com/2.1.0.bin',
    error: null,
    startedWaitingTime: null,
    startedDownloadingTime: null,
    downloadCompleteTime: null,
    startedApplyingImage: null,
    lastFirmwareUpdate: null,
    ...extra,
  };
}

const report = (
  twinVersion: number,
  status: FirmwareUpdateStatus,
  extra: Partial<FirmwareUpdateReport> = {},
  currentFwVersion?: string,
): TwinReport => twinReportAt(twinVersion, fw(status, extra), currentFwVersion);

function accepted(): DeviceTracking {
  return markAccepted(startTracking('thermo#7', at(0)), at(1));
}

function feed(start: DeviceTracking, reports: readonly TwinReport[]): DeviceTracking {
  return reports.reduce((tracking, r, i) => applyReport(tracking, r, TARGET, at(10 + i)), start);
}

describe('phaseOf and deadlines', () => {
  test.each([
    [null, 'accept'],
    ['waiting', 'download'],
    ['downloading', 'download'],
    ['downloadComplete', 'apply'],
    ['applying', 'apply'],
    ['applyComplete', 'done'],
    ['downloadFailed', 'done'],
    ['applyFailed', 'done'],
  ] as const)('%s → %s', (status, phase) => {
    expect(phaseOf(status)).toBe(phase);
  });

  test('phase timeouts come from the spec', () => {
    expect(phaseTimeoutSeconds('accept', TIMEOUTS)).toBe(30);
    expect(phaseTimeoutSeconds('download', TIMEOUTS)).toBe(1800);
    expect(phaseTimeoutSeconds('apply', TIMEOUTS)).toBe(900);
    expect(phaseTimeoutSeconds('done', TIMEOUTS)).toBeNull();
  });

  test('deadline runs from the start of the phase, in epoch milliseconds', () => {
    expect(phaseDeadline(startTracking('d', at(0)), TIMEOUTS)).toBeNull();
    const tracking = accepted();
    expect(phaseDeadline(tracking, TIMEOUTS)).toBe(Date.parse(at(31)));
    const downloading = applyReport(tracking, report(5, 'downloading'), TARGET, at(40));
    expect(downloading.phase).toBe('download');
    expect(phaseDeadline(downloading, TIMEOUTS)).toBe(Date.parse(at(40)) + 1800_000);
    expect(phaseDeadline(settle(downloading, 'canceled', at(50), 'canceled'), TIMEOUTS)).toBeNull();
  });
});

describe('applyReport', () => {
  test('a full successful update, with a timeline entry per status', () => {
    const final = feed(accepted(), [
      report(2, 'waiting', { startedWaitingTime: '2025-01-01T11:59:59.000Z' }),
      report(3, 'downloading', { progress: 10 }),
      report(4, 'downloading', { progress: 60 }),
      report(5, 'downloadComplete'),
      report(6, 'applying'),
      report(7, 'applyComplete', { lastFirmwareUpdate: '2025-01-01T12:00:20.000Z' }, '2.1.0'),
    ]);
    expect(final.state).toBe('succeeded');
    expect(final.phase).toBe('done');
    expect(final.error).toBeNull();
    expect(final.currentFwVersion).toBe('2.1.0');
    expect(final.twinVersion).toBe(7);
    expect(final.timeline.map((e) => [e.state, e.status ?? null, e.detail])).toEqual([
      ['pending', null, 'planned'],
      ['inProgress', null, 'accepted the firmwareUpdate method'],
      ['inProgress', 'waiting', 'waiting to download'],
      ['inProgress', 'downloading', 'downloading (10 %)'],
      ['inProgress', 'downloadComplete', 'download complete'],
      ['inProgress', 'applying', 'applying the image'],
      ['succeeded', 'applyComplete', 'applied; running 2.1.0'],
    ]);
    expect(final.timeline[2]).toMatchObject({ time: at(10), twinVersion: 2, deviceTime: '2025-01-01T11:59:59.000Z' });
    expect(final.timeline[6]).toMatchObject({ time: at(15), deviceTime: '2025-01-01T12:00:20.000Z' });
    expect('deviceTime' in final.timeline[3]).toBe(false);
  });

  test("a report's IoT Hub enqueued time goes on its timeline entry, next to the device's own time", () => {
    const next = applyReport(accepted(), { ...report(2, 'waiting'), enqueuedTime: '2025-01-01T12:00:01.250Z' }, TARGET, at(10));
    expect(next.timeline[next.timeline.length - 1]).toMatchObject({ status: 'waiting', time: at(10), hubTime: '2025-01-01T12:00:01.250Z' });
    const fromTwin = applyReport(next, report(3, 'downloading'), TARGET, at(11));
    expect('hubTime' in fromTwin.timeline[fromTwin.timeline.length - 1]).toBe(false);
  });

  test('progress updates the tracking without a timeline entry', () => {
    const first = applyReport(accepted(), report(3, 'downloading', { progress: 10 }), TARGET, at(10));
    const second = applyReport(first, report(4, 'downloading', { progress: 60 }), TARGET, at(11));
    expect(second.progress).toBe(60);
    expect(second.twinVersion).toBe(4);
    expect(second.updatedAt).toBe(at(11));
    expect(second.timeline).toHaveLength(first.timeline.length);
    expect(applyReport(second, report(5, 'downloadComplete'), TARGET, at(12)).progress).toBeNull();
  });

  test('ignores duplicates and stale reports by twin $version, returning the same object', () => {
    const downloading = applyReport(accepted(), report(5, 'downloading', { progress: 50 }), TARGET, at(10));
    expect(applyReport(downloading, report(5, 'downloading', { progress: 50 }), TARGET, at(11))).toBe(downloading);
    expect(applyReport(downloading, report(5, 'applyFailed'), TARGET, at(11))).toBe(downloading);
    expect(applyReport(downloading, report(4, 'waiting'), TARGET, at(11))).toBe(downloading);
    expect(applyReport(downloading, report(Number.NaN, 'applying'), TARGET, at(11))).toBe(downloading);
  });

  test('out-of-order and duplicated delivery ends where in-order delivery does', () => {
    const reports = [
      report(2, 'waiting'),
      report(3, 'downloading'),
      report(4, 'downloadComplete'),
      report(5, 'applying'),
      report(6, 'applyComplete', {}, '2.1.0'),
    ];
    const inOrder = feed(accepted(), reports);
    expect(inOrder.state).toBe('succeeded');
    fc.assert(
      fc.property(
        fc.shuffledSubarray(reports, { minLength: reports.length }),
        fc.array(fc.nat({ max: 4 }), { maxLength: 5 }),
        (order, dupes) => {
          const final = feed(accepted(), [...order, ...dupes.map((i) => reports[i])]);
          expect([final.state, final.status, final.twinVersion, final.error]).toEqual([
            inOrder.state,
            inOrder.status,
            inOrder.twinVersion,
            inOrder.error,
          ]);
          // Timeline entries only ever move forward in twin version, one per applied report at most.
          const versions = final.timeline.flatMap((e) => (e.twinVersion === undefined ? [] : [e.twinVersion]));
          expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
        },
      ),
    );
  });

  test('ignores reports of another rollout, another version, or without firmwareUpdate', () => {
    const tracking = accepted();
    expect(applyReport(tracking, { twinVersion: 9, firmwareUpdate: fw('applyFailed', { rolloutId: 'other' }) }, TARGET, at(5))).toBe(
      tracking,
    );
    expect(applyReport(tracking, { twinVersion: 9, firmwareUpdate: fw('applyComplete', { fwVersion: '3.0.0' }) }, TARGET, at(5))).toBe(
      tracking,
    );
    expect(applyReport(tracking, { twinVersion: 9, firmwareUpdate: null }, TARGET, at(5))).toBe(tracking);
    expect(applyReport(tracking, { twinVersion: 9, currentFwVersion: '2.1.0' }, TARGET, at(5))).toBe(tracking);
    // An ignored report does not raise the version bar for ours.
    expect(applyReport(tracking, report(3, 'waiting'), TARGET, at(6)).status).toBe('waiting');
  });

  test.each([
    ['downloadFailed', { code: 'hashMismatch', message: 'sha256 differs' }, 'downloadFailed: hashMismatch: sha256 differs'],
    ['applyFailed', { code: 'bootFailed', message: 'watchdog reset' }, 'applyFailed: bootFailed: watchdog reset'],
  ] as const)('%s fails with the device error code', (status, error, detail) => {
    const final = applyReport(accepted(), report(4, status, { error }), TARGET, at(9));
    expect(final.state).toBe('failed');
    expect(final.error).toEqual(error);
    expect(final.phase).toBe('done');
    expect(final.timeline.at(-1)).toMatchObject({ state: 'failed', status, detail });
  });

  test('a failure status without an error still fails, with the status as code', () => {
    expect(applyReport(accepted(), report(4, 'applyFailed'), TARGET, at(9)).error).toEqual({
      code: 'applyFailed',
      message: 'the device reported applyFailed without an error',
    });
  });

  test('applyComplete needs currentFwVersion equal to the target from the same report', () => {
    // The version reported before the update is the old one and must not count.
    const before = feed(accepted(), [report(2, 'waiting', {}, '1.9.0'), report(3, 'downloadComplete')]);
    const applyStarted = before.phaseStartedAt;
    const awaiting = applyReport(before, report(7, 'applyComplete'), TARGET, at(30));
    expect(awaiting.state).toBe('inProgress');
    expect(awaiting.phase).toBe('apply');
    expect(awaiting.timeline.at(-1)?.detail).toBe('applied; waiting for the device to report its firmware version');
    // The final twin read (same status, newer $version) settles it, with its own timeline entry.
    const settled = applyReport(awaiting, report(8, 'applyComplete', {}, '2.1.0'), TARGET, at(32));
    expect(settled.state).toBe('succeeded');
    expect(settled.timeline.at(-1)).toMatchObject({ state: 'succeeded', status: 'applyComplete', time: at(32) });
    // The apply deadline kept running from when the apply phase began.
    expect(applyStarted).toBe(at(11));
    expect(awaiting.phaseStartedAt).toBe(applyStarted);
  });

  test('applyComplete while running another version is a versionMismatch failure', () => {
    const final = applyReport(accepted(), report(7, 'applyComplete', {}, '1.9.0'), TARGET, at(9));
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('versionMismatch');
    expect(final.error?.message).toContain('runs 1.9.0, not 2.1.0');
  });

  test('terminal states stick', () => {
    const failed = applyReport(accepted(), report(4, 'downloadFailed', { error: { code: 'network', message: 'reset' } }), TARGET, at(5));
    expect(applyReport(failed, report(9, 'applyComplete', {}, '2.1.0'), TARGET, at(6))).toBe(failed);
    expect(settle(failed, 'timedOut', at(6), 'late')).toBe(failed);
    expect(markAccepted(failed, at(6))).toBe(failed);
    expect(recordNote(failed, at(6), 'note')).toBe(failed);
  });

  test('phases only move forward: a restarted download keeps the apply deadline', () => {
    const applying = feed(accepted(), [report(2, 'downloading'), report(3, 'downloadComplete')]);
    expect(applying.phase).toBe('apply');
    const restarted = applyReport(applying, report(4, 'downloading'), TARGET, at(30));
    expect(restarted.phase).toBe('apply');
    expect(restarted.phaseStartedAt).toBe(applying.phaseStartedAt);
    expect(restarted.status).toBe('downloading');
  });

  test('a report that overtakes the method answer starts the device', () => {
    const early = applyReport(startTracking('d', at(0)), report(2, 'waiting'), TARGET, at(3));
    expect(early.state).toBe('inProgress');
    expect(early.phase).toBe('download');
    expect(early.phaseStartedAt).toBe(at(3));
    const answered = markAccepted(early, at(4));
    expect(answered.phase).toBe('download');
    expect(answered.phaseStartedAt).toBe(at(3));
    expect(answered.timeline.at(-1)?.detail).toBe('accepted the firmwareUpdate method');
  });

  test('the timeline is capped at its newest entries, counting the dropped ones', () => {
    const statuses: FirmwareUpdateStatus[] = ['waiting', 'downloading'];
    const reports = Array.from({ length: 120 }, (_, i) => report(i + 2, statuses[i % 2]));
    const final = feed(accepted(), reports);
    expect(final.timeline).toHaveLength(MAX_TIMELINE_ENTRIES);
    expect(final.timelineDropped).toBe(2 + 120 - MAX_TIMELINE_ENTRIES);
    expect(final.timeline.at(-1)?.twinVersion).toBe(121);
  });

  test('never leaves the known states and never loses a terminal verdict (random report streams)', () => {
    const reportArb = fc.record({
      twinVersion: fc.integer({ min: 1, max: 30 }),
      status: fc.constantFrom(...FIRMWARE_UPDATE_STATUSES),
      rolloutId: fc.constantFrom(TARGET.rolloutId, 'other'),
      currentFwVersion: fc.option(fc.constantFrom('2.1.0', '1.9.0'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(reportArb, { maxLength: 40 }), (stream) => {
        let tracking = accepted();
        let terminalAt: DeviceTracking | undefined;
        for (const r of stream) {
          tracking = applyReport(
            tracking,
            {
              twinVersion: r.twinVersion,
              firmwareUpdate: fw(r.status, { rolloutId: r.rolloutId }),
              ...(r.currentFwVersion ? { currentFwVersion: r.currentFwVersion } : {}),
            },
            TARGET,
            at(20),
          );
          if (terminalAt !== undefined) expect(tracking).toBe(terminalAt);
          else if (isTerminalDeviceState(tracking.state)) terminalAt = tracking;
        }
        if (tracking.state === 'succeeded') expect(tracking.status).toBe('applyComplete');
        if (tracking.state === 'failed') expect(tracking.error).not.toBeNull();
      }),
    );
  });
});

describe('orchestration verdicts', () => {
  test('startTracking and markAccepted', () => {
    const start = startTracking('thermo#7', at(0));
    expect(start).toMatchObject({
      deviceId: 'thermo#7',
      state: 'pending',
      status: null,
      phase: 'accept',
      phaseStartedAt: null,
      twinVersion: null,
    });
    const acceptedTracking = markAccepted(start, at(1));
    expect(acceptedTracking).toMatchObject({ state: 'inProgress', phase: 'accept', phaseStartedAt: at(1), updatedAt: at(1) });
  });

  test('recordNote adds an audit entry without changing state', () => {
    const noted = recordNote(startTracking('d', at(0)), at(5), 'device offline; retrying in 30 s');
    expect(noted.state).toBe('pending');
    expect(noted.timeline.at(-1)).toEqual({ time: at(5), state: 'pending', detail: 'device offline; retrying in 30 s' });
  });

  test.each(['failed', 'timedOut', 'skipped', 'canceled'] as const)('settle as %s', (outcome) => {
    const error = outcome === 'failed' ? { code: 'invalidRequest', message: 'fwPackageUri: unreachable' } : null;
    const settled = settle(accepted(), outcome, at(9), `settled ${outcome}`, error);
    expect(settled).toMatchObject({ state: outcome, phase: 'done', error, updatedAt: at(9) });
    expect(settled.timeline.at(-1)).toEqual({ time: at(9), state: outcome, detail: `settled ${outcome}` });
  });

  test('expirePhase names the phase and the last status', () => {
    expect(expirePhase(accepted(), at(40)).error).toEqual({
      code: 'acceptTimeout',
      message: 'the accept deadline passed (no report from the device)',
    });
    const downloading = applyReport(accepted(), report(3, 'downloading'), TARGET, at(5));
    const expired = expirePhase(downloading, at(2000));
    expect(expired.state).toBe('timedOut');
    expect(expired.error).toEqual({ code: 'downloadTimeout', message: 'the download deadline passed (last status downloading)' });
  });
});
