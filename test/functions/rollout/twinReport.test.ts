import fc from 'fast-check';
import { FIRMWARE_UPDATE_STATUSES } from '../../../contracts/firmwareUpdate';
import type { FirmwareUpdateReport, FirmwareUpdateStatus } from '../../../contracts/firmwareUpdate';
import {
  applyReport,
  eventReportOf,
  isProgressOnly,
  markAccepted,
  parseFirmwareUpdateReport,
  parseTwinReportEvent,
  parseTwinReportsEvent,
  reportedRolloutId,
  startTracking,
  twinReportOf,
} from '../../../functions/src/rollout';
import { deviceReport } from '../support/fixtures';

describe('twin reports', () => {
  test('a report as the device agent writes it (no error property) reads with error null', () => {
    const parsed = parseFirmwareUpdateReport(deviceReport('waiting'));
    expect(parsed).toEqual({
      ok: true,
      value: expect.objectContaining({
        status: 'waiting',
        rolloutId: 'r1',
        fwVersion: '2.1.0',
        error: null,
        startedWaitingTime: '2025-01-01T00:00:05.000Z',
      }),
    });
  });

  test('missing optional fields are normalised, a malformed progress dropped', () => {
    const parsed = parseFirmwareUpdateReport({ status: 'downloading', rolloutId: 'r1', fwVersion: '2', progress: 140 });
    expect(parsed).toEqual({
      ok: true,
      value: {
        status: 'downloading',
        rolloutId: 'r1',
        fwVersion: '2',
        fwPackageUri: '',
        error: null,
        startedWaitingTime: null,
        startedDownloadingTime: null,
        downloadCompleteTime: null,
        startedApplyingImage: null,
        lastFirmwareUpdate: null,
      },
    });
  });

  test.each([
    [null, /must be an object/],
    [{ status: 'done', rolloutId: 'r', fwVersion: '1' }, /status must be one of waiting/],
    [{ status: 'waiting', fwVersion: '1' }, /rolloutId must be a non-empty string/],
    [{ status: 'waiting', rolloutId: 'r', fwVersion: 7 }, /fwVersion must be a non-empty string/],
    [{ status: 'applyFailed', rolloutId: 'r', fwVersion: '1', error: 'bad' }, /error must be null or \{code, message\}/],
  ])('%j is refused: %s', (value, problem) => {
    const parsed = parseFirmwareUpdateReport(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  test('a reported section: $version, the update (or its deletion), the running version', () => {
    expect(
      twinReportOf({ $version: 4, iothubDM: { firmwareUpdate: deviceReport('applyComplete') }, firmware: { currentFwVersion: '2.1.0' } }),
    ).toEqual({
      ok: true,
      value: { twinVersion: 4, firmwareUpdate: expect.objectContaining({ status: 'applyComplete' }), currentFwVersion: '2.1.0' },
    });
    expect(twinReportOf({ $version: 5, iothubDM: { firmwareUpdate: null } })).toEqual({
      ok: true,
      value: { twinVersion: 5, firmwareUpdate: null },
    });
    expect(twinReportOf({ $version: 6, battery: 3 })).toEqual({ ok: true, value: { twinVersion: 6 } });
    expect(twinReportOf({ iothubDM: {} })).toMatchObject({ ok: false, problem: expect.stringMatching(/\$version/) });
    expect(twinReportOf({ $version: -1 })).toMatchObject({ ok: false });
  });

  test('the rollout a patch names, without judging the rest', () => {
    expect(reportedRolloutId({ iothubDM: { firmwareUpdate: { rolloutId: 'fw-1', status: '???' } } })).toBe('fw-1');
    expect(reportedRolloutId({ iothubDM: { firmwareUpdate: null } })).toBeNull();
    expect(reportedRolloutId({ firmware: {} })).toBeNull();
    expect(reportedRolloutId('x')).toBeNull();
  });

  test('download progress between tenths is progress only; the transition and tenths are not', () => {
    expect(isProgressOnly(deviceReport('downloading', { progress: 37 }))).toBe(true);
    expect(isProgressOnly(deviceReport('downloading', { progress: 0 }))).toBe(false);
    expect(isProgressOnly(deviceReport('downloading', { progress: 40 }))).toBe(false);
    expect(isProgressOnly(deviceReport('downloading'))).toBe(false);
    expect(isProgressOnly(deviceReport('applying', { progress: 37 }))).toBe(false);
  });

  test('the twinReport event payload is checked again in the orchestration', () => {
    expect(parseTwinReportEvent({ twinVersion: 3, firmwareUpdate: deviceReport('waiting'), currentFwVersion: '1.0.0' })).toEqual({
      ok: true,
      value: { twinVersion: 3, firmwareUpdate: expect.objectContaining({ status: 'waiting' }), currentFwVersion: '1.0.0' },
    });
    expect(parseTwinReportEvent({ twinVersion: 3, enqueuedTime: '2025-01-01T12:00:01.250Z' })).toEqual({
      ok: true,
      value: { twinVersion: 3, enqueuedTime: '2025-01-01T12:00:01.250Z' },
    });
    expect(parseTwinReportEvent({ twinVersion: 3, enqueuedTime: 'soon' })).toEqual({ ok: true, value: { twinVersion: 3 } });
    expect(parseTwinReportEvent({ twinVersion: 1.5 })).toMatchObject({ ok: false });
    expect(parseTwinReportEvent({ twinVersion: 2, firmwareUpdate: { status: 'x' } })).toMatchObject({ ok: false });
    expect(parseTwinReportEvent([])).toEqual({ ok: false, problem: 'the report must be an object' });
  });

  test("a twinReport event lists reports of the tracker's devices, each with its device id; a bad one is named and left out", () => {
    const waiting = { deviceId: 'thermo#7', twinVersion: 2, firmwareUpdate: deviceReport('waiting') };
    const downloading = { deviceId: 'b', twinVersion: 3, firmwareUpdate: deviceReport('downloading') };
    expect(parseTwinReportsEvent({ reports: [waiting, downloading] })).toEqual({
      reports: [
        { deviceId: 'thermo#7', report: { twinVersion: 2, firmwareUpdate: expect.objectContaining({ status: 'waiting' }) } },
        { deviceId: 'b', report: { twinVersion: 3, firmwareUpdate: expect.objectContaining({ status: 'downloading' }) } },
      ],
      problems: [],
    });
    expect(parseTwinReportsEvent({ reports: [] })).toEqual({ reports: [], problems: [] });
    const anonymous = { twinVersion: 4, firmwareUpdate: deviceReport('waiting') };
    const mixed = [
      waiting,
      { deviceId: 'b', twinVersion: 'x' },
      anonymous,
      { ...waiting, deviceId: 'a/b' },
      { ...waiting, deviceId: 7 },
      'junk',
    ];
    expect(parseTwinReportsEvent({ reports: mixed })).toEqual({
      reports: [{ deviceId: 'thermo#7', report: expect.objectContaining({ twinVersion: 2 }) }],
      problems: [
        'reports[1]: twinVersion must be a non-negative integer',
        'reports[2]: deviceId must be a device id',
        'reports[3]: deviceId must be a device id',
        'reports[4]: deviceId must be a device id',
        'reports[5]: deviceId must be a device id',
      ],
    });
  });

  test.each([
    ['a string', 'nonsense'],
    ['null', null],
    ['an array', []],
    ['a bare report', { deviceId: 'a', twinVersion: 2, firmwareUpdate: deviceReport('waiting') }],
    ['reports that are no list', { reports: 'many' }],
  ])('an event that is not {reports: [...]} is one problem: %s', (_what, value) => {
    expect(parseTwinReportsEvent(value)).toEqual({ reports: [], problems: ['the event must be {reports: [...]}'] });
  });
});

describe('the tracker a report names', () => {
  test('a tracker key is kept as the device echoed it; none stays none', () => {
    const parsed = parseFirmwareUpdateReport(deviceReport('waiting', { tracker: 'fw-2:w0:b3:e1' }));
    expect(parsed).toMatchObject({ ok: true, value: { tracker: 'fw-2:w0:b3:e1' } });
    const untracked = parseFirmwareUpdateReport(deviceReport('waiting'));
    expect(untracked.ok && 'tracker' in untracked.value).toBe(false);
    // null is how the agent clears an earlier update's tracker from the twin: read as none.
    const cleared = parseFirmwareUpdateReport({ ...deviceReport('waiting'), tracker: null });
    expect(cleared.ok && 'tracker' in cleared.value).toBe(false);
    expect(cleared.ok).toBe(true);
    expect(twinReportOf({ $version: 3, iothubDM: { firmwareUpdate: deviceReport('waiting', { tracker: 'r1:w0:b0' }) } })).toMatchObject({
      ok: true,
      value: { firmwareUpdate: { tracker: 'r1:w0:b0' } },
    });
  });

  test.each([
    ['empty', ''],
    ['with a space', 'has space'],
    ['with a slash', 'a/b'],
    ['starting with #', '#1'],
    ['starting with :', ':w0:b0'],
    ['of 201 characters', 'x'.repeat(201)],
    ['a number', 42],
  ])('a malformed tracker (%s) is named as the problem', (_what, tracker) => {
    const expected = { ok: false, problem: 'iothubDM.firmwareUpdate.tracker must be a tracker key as the rollout sent it' };
    expect(parseFirmwareUpdateReport({ ...deviceReport('waiting'), tracker })).toEqual(expected);
    expect(twinReportOf({ $version: 3, iothubDM: { firmwareUpdate: { ...deviceReport('waiting'), tracker } } })).toEqual(expected);
  });
});

describe('the report a twinReport event carries', () => {
  const full = (status: FirmwareUpdateStatus, extra: Partial<FirmwareUpdateReport> = {}): FirmwareUpdateReport => ({
    status,
    rolloutId: 'r1',
    fwVersion: '2.1.0',
    fwPackageUri: 'https://fw.example.com/thermo-x/2.1.0.bin',
    tracker: 'r1:w0:b0',
    error: null,
    startedWaitingTime: '2025-01-01T00:00:01.000Z',
    startedDownloadingTime: '2025-01-01T00:00:02.000Z',
    downloadCompleteTime: '2025-01-01T00:00:03.000Z',
    startedApplyingImage: '2025-01-01T00:00:04.000Z',
    lastFirmwareUpdate: '2025-01-01T00:00:05.000Z',
    ...extra,
  });

  test.each([
    ['waiting', {}, { startedWaitingTime: '2025-01-01T00:00:01.000Z' }],
    ['downloading', { progress: 40 }, { progress: 40, startedDownloadingTime: '2025-01-01T00:00:02.000Z' }],
    ['downloadComplete', {}, { downloadCompleteTime: '2025-01-01T00:00:03.000Z' }],
    ['applying', {}, { startedApplyingImage: '2025-01-01T00:00:04.000Z' }],
    ['applyComplete', {}, { lastFirmwareUpdate: '2025-01-01T00:00:05.000Z' }],
    [
      'downloadFailed',
      { error: { code: 'hashMismatch', message: 'sha256 differs' } },
      { error: { code: 'hashMismatch', message: 'sha256 differs' } },
    ],
    ['applyFailed', { error: { code: 'bootFailed', message: 'watchdog' } }, { error: { code: 'bootFailed', message: 'watchdog' } }],
    ['applying', { startedApplyingImage: null }, {}],
  ] as const)('%s %j keeps status, rollout, version, progress, error and its own time only: %j', (status, extra, kept) => {
    expect(eventReportOf(full(status, extra))).toStrictEqual({ status, rolloutId: 'r1', fwVersion: '2.1.0', ...kept });
  });

  test('read back, it gives the same verdict, state and timeline as the whole report (any status, any tracking)', () => {
    const target = { rolloutId: 'r1', fwVersion: '2.1.0' };
    const time = fc.option(fc.constantFrom('2025-01-01T00:00:01.000Z', '2025-01-01T00:00:09.500Z'), { nil: null });
    const reportArb = fc.record({
      status: fc.constantFrom(...FIRMWARE_UPDATE_STATUSES),
      rolloutId: fc.constantFrom('r1', 'r2'),
      fwVersion: fc.constantFrom('2.1.0', '2.0.0'),
      fwPackageUri: fc.constant('https://fw.example.com/x.bin'),
      progress: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      error: fc.option(fc.record({ code: fc.constantFrom('network' as const, 'installFailed' as const), message: fc.string() }), {
        nil: null,
      }),
      startedWaitingTime: time,
      startedDownloadingTime: time,
      downloadCompleteTime: time,
      startedApplyingImage: time,
      lastFirmwareUpdate: time,
    });
    const planned = startTracking('d', '2025-01-01T00:00:00.000Z');
    const accepted = markAccepted(planned, '2025-01-01T00:00:01.000Z');
    const downloading = applyReport(
      accepted,
      { twinVersion: 2, firmwareUpdate: deviceReport('downloading') },
      target,
      '2025-01-01T00:00:02.000Z',
    );
    const currentFwVersionArb = fc.option(fc.constantFrom('2.1.0', '1.0.0'), { nil: undefined });
    fc.assert(
      fc.property(
        reportArb,
        fc.constantFrom(planned, accepted, downloading),
        currentFwVersionArb,
        (generated, tracking, currentFwVersion) => {
          const { progress, ...rest } = generated;
          const parsed = parseFirmwareUpdateReport(progress === undefined ? rest : generated);
          if (!parsed.ok) throw new Error(parsed.problem);
          const whole = parsed.value;
          // The event travels as JSON, and the tracker parses it again.
          const carried = parseFirmwareUpdateReport(JSON.parse(JSON.stringify(eventReportOf(whole))));
          if (!carried.ok) throw new Error(carried.problem);
          const extra = currentFwVersion === undefined ? {} : { currentFwVersion };
          const now = '2025-01-01T00:00:10.000Z';
          expect(applyReport(tracking, { twinVersion: 7, firmwareUpdate: carried.value, ...extra }, target, now)).toEqual(
            applyReport(tracking, { twinVersion: 7, firmwareUpdate: whole, ...extra }, target, now),
          );
          expect(isProgressOnly(carried.value)).toBe(isProgressOnly(whole));
        },
      ),
      { numRuns: 500 },
    );
  });
});
