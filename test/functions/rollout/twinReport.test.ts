import { isProgressOnly, parseFirmwareUpdateReport, parseTwinReportEvent, parseTwinReportsEvent, reportedRolloutId, twinReportOf } from '../../../functions/src/rollout';
import { deviceReport } from '../support/fixtures';

describe('twin reports', () => {
  test('a report as the device agent writes it (no error property) reads with error null', () => {
    const parsed = parseFirmwareUpdateReport(deviceReport('waiting'));
    expect(parsed).toEqual({ ok: true, value: expect.objectContaining({ status: 'waiting', rolloutId: 'r1', fwVersion: '2.1.0', error: null, startedWaitingTime: '2025-01-01T00:00:05.000Z' }) });
  });

  test('missing optional fields are normalised, a malformed progress dropped', () => {
    const parsed = parseFirmwareUpdateReport({ status: 'downloading', rolloutId: 'r1', fwVersion: '2', progress: 140 });
    expect(parsed).toEqual({
      ok: true,
      value: { status: 'downloading', rolloutId: 'r1', fwVersion: '2', fwPackageUri: '', error: null, startedWaitingTime: null, startedDownloadingTime: null, downloadCompleteTime: null, startedApplyingImage: null, lastFirmwareUpdate: null },
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
    expect(twinReportOf({ $version: 4, iothubDM: { firmwareUpdate: deviceReport('applyComplete') }, firmware: { currentFwVersion: '2.1.0' } })).toEqual({
      ok: true,
      value: { twinVersion: 4, firmwareUpdate: expect.objectContaining({ status: 'applyComplete' }), currentFwVersion: '2.1.0' },
    });
    expect(twinReportOf({ $version: 5, iothubDM: { firmwareUpdate: null } })).toEqual({ ok: true, value: { twinVersion: 5, firmwareUpdate: null } });
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
    expect(parseTwinReportEvent({ twinVersion: 3, enqueuedTime: '2025-01-01T12:00:01.250Z' })).toEqual({ ok: true, value: { twinVersion: 3, enqueuedTime: '2025-01-01T12:00:01.250Z' } });
    expect(parseTwinReportEvent({ twinVersion: 3, enqueuedTime: 'soon' })).toEqual({ ok: true, value: { twinVersion: 3 } });
    expect(parseTwinReportEvent({ twinVersion: 1.5 })).toMatchObject({ ok: false });
    expect(parseTwinReportEvent({ twinVersion: 2, firmwareUpdate: { status: 'x' } })).toMatchObject({ ok: false });
    expect(parseTwinReportEvent([])).toMatchObject({ ok: false });
  });

  test("a twinReport event lists a device's reports; a bare report (raised by earlier versions) is one report", () => {
    const waiting = { twinVersion: 2, firmwareUpdate: deviceReport('waiting') };
    const downloading = { twinVersion: 3, firmwareUpdate: deviceReport('downloading') };
    expect(parseTwinReportsEvent({ reports: [waiting, downloading] })).toEqual({
      reports: [expect.objectContaining({ twinVersion: 2 }), expect.objectContaining({ twinVersion: 3 })],
      problems: [],
    });
    expect(parseTwinReportsEvent(waiting)).toEqual({ reports: [expect.objectContaining({ twinVersion: 2 })], problems: [] });
    expect(parseTwinReportsEvent({ reports: [waiting, { twinVersion: 'x' }] })).toEqual({
      reports: [expect.objectContaining({ twinVersion: 2 })],
      problems: ['reports[1]: twinVersion must be a non-negative integer'],
    });
    expect(parseTwinReportsEvent('nonsense')).toEqual({ reports: [], problems: ['the event must be an object'] });
  });
});
