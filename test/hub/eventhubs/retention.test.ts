import { SqliteEventLog } from '../../../local/hub/eventhubs/persistence/SqliteEventLog';
import { startRetention } from '../../../local/hub/eventhubs/persistence/retention';
import { newEvent, tempDir } from './eventLogFixtures';

describe('startRetention', () => {
  const dir = tempDir();
  let log: SqliteEventLog;
  let fileCounter = 0;
  beforeEach(() => {
    log = new SqliteEventLog(dir.file(`retention-${++fileCounter}.sqlite`), 2);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
    log.close();
  });
  afterAll(() => dir.remove());

  test('purges at start and then on every interval, until stopped', () => {
    const start = 1_000_000;
    jest.useFakeTimers({ now: start });
    log.append('0', newEvent('ancient'), start - 5000);
    log.append('1', newEvent('recent'), start - 500);
    log.append('1', newEvent('fresh'), start);

    const stop = startRetention(log, 1000, 300);
    expect(log.read('0', 0, 10)).toEqual([]);
    expect(log.read('1', 0, 10).map((e) => e.properties.label)).toEqual(['recent', 'fresh']);

    jest.advanceTimersByTime(600); // now = start + 600: 'recent' (start - 500) is older than 1000 ms
    expect(log.read('1', 0, 10).map((e) => e.properties.label)).toEqual(['fresh']);

    stop();
    jest.advanceTimersByTime(5000);
    expect(log.read('1', 0, 10).map((e) => e.properties.label)).toEqual(['fresh']);
  });

  test('its timer does not keep the process alive', () => {
    const setIntervalSpy = jest.spyOn(global, 'setInterval');
    const stop = startRetention(log, 1000, 60_000);
    const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    stop();
  });
});
