import { inputId, placeProblems } from '../../../dashboard/src/model/formProblems';
import { emptyForm, rolloutRequestBody } from '../../../dashboard/src/model/rolloutForm';
import { retryRequestBody } from '../../../dashboard/src/model/retryForm';

test('the body carries what was typed: numbers as numbers, blanks left to the API defaults, non-numbers as typed', () => {
  const body = rolloutRequestBody({
    ...emptyForm(),
    version: ' 2.0.0 ',
    uri: 'https://example.com/fw.bin',
    sha256: 'ab',
    size: '1024',
    query: "tags.fleet = 'demo'",
    waves: [
      { key: 0, name: 'canary', percent: '10' },
      { key: 1, name: ' ', percent: 'lots' },
    ],
    maxConcurrency: '5',
    minDevices: '3',
  });
  expect(body).toEqual({
    firmware: { version: '2.0.0', uri: 'https://example.com/fw.bin', sha256: 'ab', size: 1024 },
    target: { query: "tags.fleet = 'demo'" },
    waves: [{ name: 'canary', percent: 10 }, { percent: 'lots' }],
    maxConcurrency: 5,
    failureThreshold: { minDevices: 3 },
    approval: 'auto',
  });
});

test('device ids are one per line, blank lines dropped; an untouched threshold is left out', () => {
  const body = rolloutRequestBody({
    ...emptyForm(),
    targetKind: 'deviceIds',
    deviceIds: 'a\n\n  b  \n',
    soakSeconds: '30',
    action: 'abort',
    approval: 'manual',
  });
  expect(body.target).toEqual({ deviceIds: ['a', 'b'] });
  expect(body.failureThreshold).toEqual({ action: 'abort' });
  expect(body).toMatchObject({ soakSeconds: 30, approval: 'manual', firmware: { size: '' } });
  expect(rolloutRequestBody(emptyForm())).not.toHaveProperty('failureThreshold');
});

test('problems go to the input they name or its nearest enclosing one; the rest to the summary', () => {
  const inputs = new Set(['firmware.sha256', 'waves[1].percent', 'target.deviceIds']);
  const placed = placeProblems(
    [
      { field: 'firmware.sha256', message: 'must be 64 hexadecimal digits' },
      { field: 'waves[1].percent', message: 'must be 100 in the last wave' },
      { field: 'waves[1].percent', message: 'must be greater than waves[0].percent' },
      { field: 'target.deviceIds[7]', message: 'duplicates target.deviceIds[2]' },
      { field: 'target', message: 'must have exactly one of query or deviceIds' },
      { field: '(body)', message: 'must be a JSON object' },
    ],
    inputs,
  );
  expect(Object.fromEntries(placed.byField)).toEqual({
    'firmware.sha256': ['must be 64 hexadecimal digits'],
    'waves[1].percent': ['must be 100 in the last wave', 'must be greater than waves[0].percent'],
    'target.deviceIds': ['duplicates target.deviceIds[2]'],
  });
  expect(placed.unplaced.map((p) => p.field)).toEqual(['target', '(body)']);
});

test('input ids are derived from field paths', () => {
  expect(inputId('waves[1].percent')).toBe('field-waves-1-percent');
  expect(inputId('firmware.sha256')).toBe('field-firmware-sha256');
});

test('an approval timeout makes the object form; a start time or any part of the window makes a schedule', () => {
  const body = rolloutRequestBody({
    ...emptyForm(),
    approval: 'manual',
    approvalTimeoutMinutes: '90',
    onTimeout: 'pause',
    startAt: ' 2026-12-24T22:00:00+01:00 ',
    windowDays: 'Sat, sun',
    windowFrom: '01:00',
    windowTo: '05:00',
    windowTimeZone: 'Europe/Berlin',
  });
  expect(body.approval).toEqual({ mode: 'manual', timeoutMinutes: 90, onTimeout: 'pause' });
  expect(body.schedule).toEqual({
    startAt: '2026-12-24T22:00:00+01:00',
    windows: [{ days: ['sat', 'sun'], from: '01:00', to: '05:00', timeZone: 'Europe/Berlin' }],
  });
  // Half a window still goes, for the API to name what is missing; nothing typed, no schedule.
  expect(rolloutRequestBody({ ...emptyForm(), windowTimeZone: 'Mars/Olympus' }).schedule).toEqual({
    windows: [{ days: [], from: '', to: '', timeZone: 'Mars/Olympus' }],
  });
  expect(rolloutRequestBody({ ...emptyForm(), approval: 'manual' })).not.toHaveProperty('schedule');
  expect(rolloutRequestBody({ ...emptyForm(), approval: 'manual' }).approval).toBe('manual');
});

test('stage-then-apply goes as true with blank numbers, else as an object of what was typed; continuous mode likewise', () => {
  const body = (values: Partial<ReturnType<typeof emptyForm>>) => rolloutRequestBody({ ...emptyForm(), ...values });
  expect(body({})).not.toHaveProperty('stageThenApply');
  expect(body({})).not.toHaveProperty('mode');
  expect(body({ stagedPercent: '50' })).not.toHaveProperty('stageThenApply');
  expect(body({ install: 'staged' }).stageThenApply).toBe(true);
  expect(body({ install: 'staged', stagedPercent: '90', stageDeadlineMinutes: 'soon' }).stageThenApply).toEqual({
    stagedPercent: 90,
    deadlineMinutes: 'soon',
  });
  expect(body({ mode: 'continuous' })).toMatchObject({ mode: 'continuous' });
  expect(body({ mode: 'continuous' })).not.toHaveProperty('continuous');
  expect(body({ mode: 'continuous', rescanMinutes: '5', until: ' 2027-01-01T00:00:00Z ' })).toMatchObject({
    mode: 'continuous',
    continuous: { rescanMinutes: 5, until: '2027-01-01T00:00:00Z' },
  });
  expect(body({ rescanMinutes: '5' })).not.toHaveProperty('continuous');
});

test('a retry body carries the ticked states and the typed error codes', () => {
  expect(retryRequestBody(['failed'], '')).toEqual({ states: ['failed'] });
  expect(retryRequestBody(['failed', 'timedOut'], ' httpError, hashMismatch  timeout ')).toEqual({
    states: ['failed', 'timedOut'],
    errorCodes: ['httpError', 'hashMismatch', 'timeout'],
  });
});

test('a signed manifest goes with the firmware when one was pasted, trimmed; blank: none', () => {
  expect(rolloutRequestBody(emptyForm()).firmware).not.toHaveProperty('manifest');
  expect(rolloutRequestBody({ ...emptyForm(), manifest: '  \n' }).firmware).not.toHaveProperty('manifest');
  expect(rolloutRequestBody({ ...emptyForm(), manifest: ' eyJh.eyJi.c2ln\n' }).firmware).toMatchObject({ manifest: 'eyJh.eyJi.c2ln' });
});
