import type { TimelineEntry } from '../../../contracts/rolloutApi';
import { ganttBars, timelinePhases } from '../../../dashboard/src/model/timelinePhases';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const entry = (ms: number, fields: Omit<TimelineEntry, 'time' | 'detail'>): TimelineEntry => ({ time: at(ms), detail: '', ...fields });

const failedDevice: TimelineEntry[] = [
  entry(0, { state: 'pending' }),
  entry(100, { state: 'inProgress' }),
  entry(300, { state: 'inProgress', status: 'waiting', twinVersion: 3 }),
  entry(400, { state: 'inProgress', status: 'downloading', twinVersion: 4 }),
  entry(1400, { state: 'inProgress', status: 'downloadComplete', twinVersion: 6 }),
  entry(1500, { state: 'inProgress', status: 'applying', twinVersion: 7 }),
  entry(2100, { state: 'failed', status: 'applyFailed', twinVersion: 8 }),
];

test('a finished device: accept, waiting, downloading, applying (from downloadComplete), then the verdict', () => {
  const phases = timelinePhases(failedDevice, T0 + 99_999);
  expect(phases.map(({ stage, start, end, ongoing, verdict }) => [stage, start - T0, end - T0, ongoing, verdict])).toEqual([
    ['accept', 100, 300, false, undefined],
    ['waiting', 300, 400, false, undefined],
    ['downloading', 400, 1400, false, undefined],
    ['applying', 1400, 2100, false, undefined],
    ['verdict', 2100, 2100, false, 'failed'],
  ]);
});

test('a running device ends its current stage now; notes and late reports do not move it back', () => {
  const running = [
    entry(0, { state: 'pending' }),
    entry(50, { state: 'pending' }),
    entry(100, { state: 'inProgress' }),
    entry(300, { state: 'inProgress', status: 'downloading', twinVersion: 4 }),
    entry(350, { state: 'inProgress', status: 'waiting', twinVersion: 5 }),
    entry(500, { state: 'inProgress' }),
  ];
  const phases = timelinePhases(running, T0 + 900);
  expect(phases.map(({ stage, start, end, ongoing }) => [stage, start - T0, end - T0, ongoing])).toEqual([
    ['accept', 100, 300, false],
    ['downloading', 300, 900, true],
  ]);
});

test('a device settled without starting (skipped, canceled) is only its verdict; a planned one has no stages', () => {
  expect(timelinePhases([entry(0, { state: 'pending' }), entry(10, { state: 'skipped' })], T0).map((p) => [p.stage, p.verdict])).toEqual([
    ['verdict', 'skipped'],
  ]);
  expect(timelinePhases([entry(0, { state: 'pending' })], T0 + 5000)).toEqual([]);
});

test('Gantt bars are proportional to time across the whole span', () => {
  const bars = ganttBars(timelinePhases(failedDevice, T0));
  expect(bars.map((b) => [b.stage, b.durationMs, b.offsetPercent, b.widthPercent])).toEqual([
    ['accept', 200, 0, 10],
    ['waiting', 100, 10, 5],
    ['downloading', 1000, 15, 50],
    ['applying', 700, 65, 35],
    ['verdict', 0, 100, 0],
  ]);
  expect(ganttBars([])).toEqual([]);
  expect(ganttBars(timelinePhases([entry(0, { state: 'canceled' })], T0)).map((b) => [b.offsetPercent, b.widthPercent])).toEqual([[0, 0]]);
});

test('after a retry the stages are those of the latest attempt; the earlier one stays in the timeline table only', () => {
  const retried = [
    ...failedDevice,
    entry(5000, { state: 'pending', attempt: 2 }),
    entry(5100, { state: 'inProgress' }),
    entry(5300, { state: 'inProgress', status: 'downloading', twinVersion: 10 }),
  ];
  const phases = timelinePhases(retried, T0 + 6000);
  expect(phases.map(({ stage, start, end, ongoing }) => [stage, start - T0, end - T0, ongoing])).toEqual([
    ['accept', 5100, 5300, false],
    ['downloading', 5300, 6000, true],
  ]);
});

test('with stage-then-apply, downloadComplete starts the staged stage, which lasts until the device applies', () => {
  const phases = timelinePhases(failedDevice, T0 + 99_999, true);
  expect(phases.map(({ stage, start, end }) => [stage, start - T0, end - T0])).toEqual([
    ['accept', 100, 300],
    ['waiting', 300, 400],
    ['downloading', 400, 1400],
    ['staged', 1400, 1500],
    ['applying', 1500, 2100],
    ['verdict', 2100, 2100],
  ]);
});
