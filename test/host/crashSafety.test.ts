import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/hubFixture';
import { DurableHttp } from './support/durableHttp';
import { HostProcess } from './support/HostProcess';

/** How many activity executions the crash app has traced for an instance, by input. */
function executions(traceDir: string, instanceId: string): Map<number, number> {
  const counts = new Map<number, number>();
  let text = '';
  try {
    text = readFileSync(join(traceDir, 'executions.log'), 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    const [id, n] = line.split(' ');
    if (id === instanceId) counts.set(Number(n), (counts.get(Number(n)) ?? 0) + 1);
  }
  return counts;
}

describe('crash safety: kill -9 the host, start it again, every orchestration carries on', () => {
  const traceDir = mkdtempSync(join(tmpdir(), 'fleetwave-crash-trace-'));
  const host = new HostProcess('crash-app', { CRASH_TRACE_DIR: traceDir });
  const df = new DurableHttp(host);
  const restart = async () => {
    await host.crash();
    await host.start();
  };

  beforeAll(() => host.start(), 30000);
  afterAll(async () => {
    await host.dispose();
    rmSync(traceDir, { recursive: true, force: true });
  });

  test('a fan-out of 200 activities survives kill -9 at several moments; each activity ran at least once', async () => {
    expect(await df.startDirect('fanOut', 200, 'fan-200')).toBe('fan-200');
    // Crash with about a quarter done, again at about two thirds, and once more right after a restart.
    for (const threshold of [50, 130]) {
      await eventually(() => expect(executions(traceDir, 'fan-200').size).toBeGreaterThanOrEqual(threshold), 20000, 5);
      await restart();
    }
    await restart();
    const done = await df.waitFor('fan-200', undefined, 30000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ count: 200, sumOfSquares: (200 * 201 * 401) / 6 });
    const ran = executions(traceDir, 'fan-200');
    expect([...ran.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const history = (await df.status('fan-200', '?showHistory=true')).body.historyEvents!;
    expect(history.filter((e) => e.EventType === 'TaskCompleted')).toHaveLength(200);
  });

  test('an orchestration awaiting an external event and a timer: event raised, then kill -9 before the timer fires', async () => {
    const id = await df.startDirect('eventAndTimer', { timerMs: 1500 });
    await df.waitFor(id, (s) => s.runtimeStatus === 'Running');
    const raised = await fetch(df.api(`/instances/${id}/raiseEvent/approve`), { method: 'POST', body: JSON.stringify({ by: 'ann' }) });
    expect(raised.status).toBe(202);
    await restart();
    const done = await df.waitFor(id, undefined, 20000);
    expect(done).toMatchObject({
      runtimeStatus: 'Completed',
      output: { approvedBy: { by: 'ann' }, waitedAtLeastMs: true, after: 1000000 },
    });
  });

  test('an orchestration awaiting an external event and a timer: kill -9 while both wait, then the timer fires and the event comes after the restart', async () => {
    const id = await df.startDirect('eventAndTimer', { timerMs: 300 });
    await df.waitFor(id, (s) => s.runtimeStatus === 'Running');
    await host.crash();
    // The timer's time passes while the host is down: it fires at start-up.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await host.start();
    await eventually(async () => {
      const history = (await df.status(id, '?showHistory=true')).body.historyEvents!;
      expect(history.map((e) => e.EventType)).toContain('TimerFired');
    }, 10000);
    expect((await df.status(id)).body.runtimeStatus).toBe('Running');
    await fetch(df.api(`/instances/${id}/raiseEvent/approve`), { method: 'POST', body: '"bob"' });
    const done = await df.waitFor(id, undefined, 20000);
    expect(done.output).toMatchObject({ approvedBy: 'bob', waitedAtLeastMs: true });
  });
});
