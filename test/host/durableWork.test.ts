import { emptyWork } from '../../local/host/durable/engine/DurableWorkCounters';
import { eventually } from '../support/hubFixture';
import { DurableHttp } from './support/durableHttp';
import { HostProcess } from './support/HostProcess';

type Counts = Record<string, number>;

interface WorkReport {
  since: string;
  byKind: Record<string, Counts>;
  totals: Counts;
  billableActions: number;
}

const NONE: Counts = { ...emptyWork(), billableActions: 0 };

/** An orchestration that runs one activity: 2 episodes (start, result), 1 start + 1 activity × 2 = 3 billable actions. */
const ONE_ACTIVITY: Counts = {
  ...NONE,
  episodes: 2,
  executionsStarted: 1,
  activitiesScheduled: 1,
  activitiesCompleted: 1,
  billableActions: 3,
};

describe('durable work counters (GET /admin/durable/work on test/host/apps/durable-app)', () => {
  const host = new HostProcess('durable-app');
  const df = new DurableHttp(host);

  beforeAll(() => host.start(), 30000);
  afterAll(() => host.dispose());

  async function work(): Promise<WorkReport> {
    const res = await fetch(host.url('/admin/durable/work'));
    expect(res.status).toBe(200);
    return (await res.json()) as WorkReport;
  }

  async function reset(): Promise<WorkReport> {
    const res = await fetch(host.url('/admin/durable/work/reset'), { method: 'POST' });
    expect(res.status).toBe(200);
    return (await res.json()) as WorkReport;
  }

  test('an orchestration doing known work is counted exactly, per kind, with its billable actions', async () => {
    await reset();
    const key = `w${Date.now()}`;
    const { id } = await df.start('knownWork', { key, round: 0 });
    await df.waitFor(id, (s) => s.customStatus === 'waiting for go');
    expect((await fetch(df.api(`/instances/${id}/raiseEvent/go`), { method: 'POST', body: '"now"' })).status).toBe(202);
    const done = await df.waitFor(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { greeting: `Hello ${key}!`, go: 'now', before: 0 } });
    // The two signals of the last episode before continue-as-new run once the entity gets to them.
    await eventually(async () => {
      expect((await df.client('readEntity', key, { entity: 'counter' }, { method: 'GET' })).body).toEqual({ exists: true, state: 3 });
    });

    // knownWork, one new message per episode (each step waits for the one before):
    //   start → 3 activities → 2 timers → child → event 'go' → callEntity get → 2 signals + continue-as-new;
    //   the new execution returns.
    //   Episodes: start, 3 activity results, 2 timers fired, child result, 'go', entity result, new execution = 10.
    //   Billable (the documented rule, DurableWorkCounters.billableActions): 2 executions started (start, continue-as-new)
    //   + 3 activities × 2 (start, result) + 2 timers fired + 1 external event + 1 entity call result + 1 sub-orchestration
    //   result = 13.
    const knownWork: Counts = {
      ...NONE,
      episodes: 10,
      executionsStarted: 2,
      continuedAsNew: 1,
      activitiesScheduled: 3,
      activitiesCompleted: 3,
      timersCreated: 2,
      timersFired: 2,
      subOrchestrationsStarted: 1,
      subOrchestrationsCompleted: 1,
      eventsRaised: 1,
      eventsSent: 3,
      entityCallResults: 1,
      billableActions: 13,
    };
    // child: start (schedules sayHello), sayHello's result = 2 episodes; billable 1 start + 1 activity × 2 = 3.
    const child = ONE_ACTIVITY;
    // counter: the call ('get', alone), then both signals, written together, in one batch = 2 episodes; 3 operations = 3.
    const counter: Counts = { ...NONE, episodes: 2, entityOperations: 3, billableActions: 3 };
    const report = await work();
    expect(report).toEqual({
      since: expect.any(String),
      byKind: { '@counter': counter, child, knownWork },
      totals: Object.fromEntries(Object.keys(NONE).map((field) => [field, knownWork[field] + child[field] + counter[field]])),
      billableActions: 19,
    });
    expect(report.totals).toMatchObject({ episodes: 14, activitiesScheduled: 4, entityOperations: 3, billableActions: 19 });
  });

  test('failed activities, suspend and resume are counted too', async () => {
    await reset();
    expect((await df.run('activityFailure')).output).toMatchObject({ name: 'TaskFailedError' });
    const { id } = await df.start('waitForever');
    await df.waitFor(id, (s) => s.customStatus === 'waiting');
    expect((await df.client('suspend', id, { reason: 'pause' })).status).toBe(202);
    await df.waitFor(id, (s) => s.runtimeStatus === 'Suspended');
    expect((await df.client('resume', id, { reason: 'go on' })).status).toBe(202);
    await df.waitFor(id, (s) => s.runtimeStatus === 'Running');
    expect((await fetch(df.api(`/instances/${id}/raiseEvent/release`), { method: 'POST', body: '1' })).status).toBe(202);
    expect((await df.waitFor(id)).output).toEqual({ released: 1 });
    // activityFailure: start, alwaysFails's failure = 2 episodes; 1 start + 1 activity × 2 = 3 billable actions.
    // waitForever: start, 'release' = 2 episodes (suspend and resume reach no orchestrator code); 1 start + 2 control
    // requests + 1 external event = 4.
    expect((await work()).byKind).toEqual({
      activityFailure: { ...NONE, episodes: 2, executionsStarted: 1, activitiesScheduled: 1, activitiesFailed: 1, billableActions: 3 },
      waitForever: { ...NONE, episodes: 2, executionsStarted: 1, eventsRaised: 1, controlRequests: 2, billableActions: 4 },
    });
  });

  test('reset zeroes every counter and restarts the clock; other methods are refused', async () => {
    await df.run('hello', ['x']);
    const before = await work();
    // hello with one name: start + sayHello (start, result) = 3 billable actions in 2 episodes.
    expect(before.byKind.hello).toEqual(ONE_ACTIVITY);
    const resetAt = Date.now();
    const zero = await reset();
    expect(zero).toEqual({ since: expect.any(String), byKind: {}, totals: NONE, billableActions: 0 });
    expect(Date.parse(zero.since)).toBeGreaterThanOrEqual(resetAt - 1);
    expect(Date.parse(zero.since)).toBeGreaterThan(Date.parse(before.since));
    expect(await work()).toEqual(zero);

    const wrong = await fetch(host.url('/admin/durable/work'), { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await fetch(host.url('/admin/durable/work/reset'))).status).toBe(405);
  });

  test('the host logs a one-line summary when it shuts down', async () => {
    await reset();
    await df.run('hello', ['y']);
    await host.stop();
    expect(await host.waitForOutput(/Durable work since \S+: 3 billable actions \(hello 3\); 2 episodes, 1 activities/)).toBeTruthy();
  });
});
