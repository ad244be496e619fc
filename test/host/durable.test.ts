import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../support/hubFixture';
import { DurableHttp, type InstanceStatus } from './support/durableHttp';
import { HostProcess } from './support/HostProcess';

describe('Durable Functions (test/host/apps/durable-app, real durable-functions and DurableClient)', () => {
  const host = new HostProcess('durable-app');
  const df = new DurableHttp(host);

  beforeAll(() => host.start(), 30000);
  afterAll(() => host.dispose());

  test('activity sequence; check-status URLs point at this host; history through the client', async () => {
    const started = await df.start('hello');
    expect(started.statusQueryGetUri).toBe(
      `${host.endpoint.baseUrl}/runtime/webhooks/durabletask/instances/${started.id}?taskHub=FleetwaveTestHub&connection=Storage`,
    );
    expect(started.location).toBe(started.statusQueryGetUri);
    expect(started.sendEventPostUri).toContain(`/instances/${started.id}/raiseEvent/{eventName}?taskHub=FleetwaveTestHub`);
    const done = await df.waitFor(started.id);
    expect(done).toMatchObject({ name: 'hello', runtimeStatus: 'Completed', output: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'] });
    const viaClient = (await df.client('status', started.id, { history: 'true' }, { method: 'GET' })).body as InstanceStatus & {
      history: Record<string, unknown>[];
    };
    expect(viaClient.runtimeStatus).toBe('Completed');
    expect(viaClient.history.map((e) => e.EventType)).toEqual([
      'ExecutionStarted',
      'TaskCompleted',
      'TaskCompleted',
      'TaskCompleted',
      'ExecutionCompleted',
    ]);
    expect(viaClient.history[1]).toMatchObject({ FunctionName: 'sayHello', Result: 'Hello Tokyo!' });
    expect(existsSync(join(host.dataDir, 'durable', 'FleetwaveTestHub.sqlite'))).toBe(true);
  });

  test('fan-out/fan-in, waited for by waitForCompletionOrCreateCheckStatusResponse', async () => {
    const res = await fetch(host.url('/api/run/fanOut'), { method: 'POST', body: '60' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 60, sum: 60 * 61 });
  });

  test('inputs and results of every JSON type reach activities and come back unchanged', async () => {
    const done = await df.run('inputs', { some: 'input' });
    expect(done.output).toMatchObject({
      echoed: ['text', 42, 1.5, true, null, { nested: ['a', 1] }, [1, 2]],
      described: { type: 'string', input: 'a string', instanceId: done.instanceId },
      input: { some: 'input' },
      isReplaying: false,
    });
  });

  test('host.json maxConcurrentActivityFunctions bounds how many activities run at once', async () => {
    const done = await df.run('probeConcurrency', 40);
    expect(done.output).toBeGreaterThanOrEqual(2);
    expect(done.output).toBeLessThanOrEqual(8);
  });

  test('retry options: retried until success, and the last error once attempts run out', async () => {
    const succeeded = await df.run('withRetry', { key: 'r1', failures: 2, attempts: 3 });
    expect(succeeded.output).toEqual({ key: 'r1', attempts: 3 });
    const exhausted = await df.run('withRetry', { key: 'r2', failures: 5, attempts: 3 });
    expect(exhausted.output).toEqual({ failedWith: 'Error: flaky failure 3 for r2', name: 'TaskFailedError' });
    const parallel = await df.run('retryInParallel', 'rp');
    expect(parallel.output).toEqual({
      a: { key: 'rp-a', attempts: 3 },
      doubled: 42,
      b: { key: 'rp-b', attempts: 2 },
      after: 'Hello after retries!',
    });
    const history = (await df.status(parallel.instanceId, '?showHistory=true')).body.historyEvents!;
    expect(history.filter((e) => e.EventType === 'TaskFailed')).toHaveLength(3);
    expect(history.filter((e) => e.EventType === 'TimerFired')).toHaveLength(3);
  });

  test('a failing activity surfaces as TaskFailedError with its error type', async () => {
    const done = await df.run('activityFailure');
    expect(done.output).toEqual({ name: 'TaskFailedError', message: 'TypeError: always fails: boom', errorType: 'TypeError' });
  });

  test('a failing orchestrator: Failed with its message; 500 only when asked', async () => {
    const done = await df.run('failing');
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toBe("Orchestrator function 'failing' failed: kaboom");
    expect((await df.status(done.instanceId)).httpStatus).toBe(200);
    expect((await df.status(done.instanceId, '?returnInternalServerErrorOnFailure=true')).httpStatus).toBe(500);
    const res = await fetch(host.url('/api/run/failing'), { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ runtimeStatus: 'Failed' });
  });

  test('sub-orchestrations: generated and explicit ids, failures, in parallel', async () => {
    const done = await df.run('parent', undefined, 'parent-1');
    const output = done.output as {
      first: { parent: string; self: string; greeting: string };
      second: { self: string };
      failure: string;
      parallel: string[];
    };
    expect(output.first).toMatchObject({ greeting: 'Hello one!', parent: 'parent-1' });
    expect(output.second.self).toBe('parent-1-child-two');
    expect(output.failure).toBe('Error: child failed on purpose (three)');
    expect(output.parallel).toEqual(['Hello p1!', 'Hello p2!', 'Hello p3!']);
    const child = (await df.status('parent-1-child-two')).body;
    expect(child).toMatchObject({ name: 'child', runtimeStatus: 'Completed', input: { tag: 'two' } });
  });

  test('durable timers and external events raised through the DurableClient; custom status', async () => {
    const { id } = await df.start('timerThenEvent', { delayMs: 200, timeoutMs: 30000 });
    const waiting = await df.waitFor(id, (s) => (s.customStatus as { phase?: string } | null)?.phase === 'waiting for approval');
    expect(waiting.runtimeStatus).toBe('Running');
    expect((await df.client('raise', id, { event: 'approve' }, { body: JSON.stringify({ user: 'ann' }) })).status).toBe(202);
    const done = await df.waitFor(id);
    expect(done.output).toMatchObject({ outcome: 'approved', by: { user: 'ann' } });
    expect((done.output as { waitedMs: number }).waitedMs).toBeGreaterThanOrEqual(200);
    expect(done.customStatus).toEqual({ phase: 'approved' });
    const timedOut = await df.run('timerThenEvent', { delayMs: 10, timeoutMs: 150 });
    expect(timedOut.output).toMatchObject({ outcome: 'timed out' });
  });

  test('external events raised before the orchestrator waits are buffered, in order', async () => {
    const { id, sendEventPostUri } = await df.start('bufferedEvents');
    const raise = (name: string, data: unknown) =>
      fetch(sendEventPostUri.replace('{eventName}', name), { method: 'POST', body: JSON.stringify(data) });
    for (const [name, data] of [
      ['first', 1],
      ['second', 2],
      ['x', 'x1'],
      ['x', 'x2'],
    ] as const)
      expect((await raise(name, data)).status).toBe(202);
    const done = await df.waitFor(id);
    expect(done.output).toEqual([1, 2, ['x1', 'x2']]);
  });

  test('continueAsNew restarts the instance with new input until done', async () => {
    const done = await df.run('counterLoop', { count: 0, max: 5, seen: [] });
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ count: 5, max: 5, seen: [32, 32, 32, 32, 32] });
    expect(done.customStatus).toEqual({ count: 5 });
    const history = (await df.status(done.instanceId, '?showHistory=true')).body.historyEvents!;
    expect(history[0]).toMatchObject({ EventType: 'ExecutionStarted', Input: { count: 4, max: 5, seen: [32, 32, 32, 32] } });
  });

  test('suspend, resume and terminate through the DurableClient', async () => {
    const { id } = await df.start('waitForever');
    await df.waitFor(id, (s) => s.runtimeStatus === 'Running');
    expect((await df.client('suspend', id, { reason: 'pause' })).status).toBe(202);
    await df.waitFor(id, (s) => s.runtimeStatus === 'Suspended');
    expect((await df.client('raise', id, { event: 'release' }, { body: '"while suspended"' })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await df.status(id)).body.runtimeStatus).toBe('Suspended');
    expect((await df.client('resume', id, { reason: 'go on' })).status).toBe(202);
    expect((await df.waitFor(id)).output).toEqual({ released: 'while suspended' });

    const other = await df.start('waitForever');
    await df.waitFor(other.id, (s) => s.runtimeStatus === 'Running');
    expect((await df.client('terminate', other.id, { reason: 'enough' })).status).toBe(202);
    const terminated = await df.waitFor(other.id);
    expect(terminated).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough' });
    // Finished instances answer 410 (the client resolves); unknown ones 404 (the client rejects).
    expect((await df.client('raise', other.id, { event: 'release' }, { body: '1' })).status).toBe(202);
    expect((await fetch(df.api(`/instances/${other.id}/terminate?reason=again`), { method: 'POST' })).status).toBe(410);
    expect((await fetch(df.api('/instances/nobody/raiseEvent/x'), { method: 'POST', body: '1' })).status).toBe(404);
    expect((await df.client('terminate', 'nobody', { reason: 'x' })).status).toBe(500);
  });

  test('entities: signals and calls from orchestrations, signals between entities, client signal and read', async () => {
    const key = `k${Date.now()}`;
    const done = await df.run('entityUser', key);
    expect(done.output).toEqual({ afterAdd: 8, value: 8, failure: true });
    expect((await df.client('readEntity', key, { entity: 'counter' }, { method: 'GET' })).body).toEqual({ exists: true, state: 8 });
    await eventually(async () =>
      expect((await df.client('readEntity', key, { entity: 'audit' }, { method: 'GET' })).body).toEqual({
        exists: true,
        state: [{ from: key, value: 8 }],
      }),
    );
    expect((await df.client('signal', key, { entity: 'counter', op: 'add' }, { body: '10' })).status).toBe(202);
    await eventually(async () =>
      expect((await df.client('readEntity', key, { entity: 'counter' }, { method: 'GET' })).body).toEqual({ exists: true, state: 18 }),
    );
    expect((await fetch(df.api(`/entities/counter/${key}`))).status).toBe(200);
    await df.client('signal', key, { entity: 'counter', op: 'delete' });
    await eventually(async () =>
      expect((await df.client('readEntity', key, { entity: 'counter' }, { method: 'GET' })).body).toEqual({ exists: false, state: null }),
    );
    expect((await df.client('readEntity', 'never-used', { entity: 'counter' }, { method: 'GET' })).body).toEqual({
      exists: false,
      state: null,
    });
  });

  test('newGuid is deterministic across replays', async () => {
    const done = await df.run('deterministicIds');
    const { a, b, same } = done.output as { a: string; b: string; same: boolean };
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(same).toBe(false);
    expect(b).not.toBe(a);
  });

  test('queries: getStatusBy/getStatusAll through the client, paging through the API', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await df.run('hello', ['x'], `query-${i}`)).instanceId);
    const completed = (await df.client('statusBy', '', { runtimeStatus: 'Completed', from }, { method: 'GET' })).body as {
      instanceId: string;
    }[];
    expect(completed.map((s) => s.instanceId)).toEqual(expect.arrayContaining(ids));
    const all = (await df.client('statusAll', '', {}, { method: 'GET' })).body as string[];
    expect(all).toEqual(expect.arrayContaining(ids));
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const res: Response = await fetch(df.api(`/instances?instanceIdPrefix=query-&top=2`), {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      const page = (await res.json()) as InstanceStatus[];
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((s) => s.instanceId));
      token = res.headers.get('x-ms-continuation-token');
    } while (token);
    expect(seen).toEqual(ids);
  });

  test('purge one instance and purge by filter', async () => {
    const done = await df.run('hello', ['p'], 'purge-me');
    expect((await df.client('purge', done.instanceId, {}, { method: 'DELETE' })).body).toEqual({ instancesDeleted: 1 });
    expect((await df.status('purge-me')).httpStatus).toBe(404);
    expect((await df.client('purge', 'purge-me', {}, { method: 'DELETE' })).body).toEqual({ instancesDeleted: 0 });
    await df.run('failing', undefined, 'purge-failed');
    const purged = (await df.client('purgeBy', '', { runtimeStatus: 'Failed' }, { method: 'DELETE' })).body as { instancesDeleted: number };
    expect(purged.instancesDeleted).toBeGreaterThanOrEqual(1);
    expect((await df.status('purge-failed')).httpStatus).toBe(404);
  });

  test('the documented HTTP API: start with an id, conflicts, bad names, rewind', async () => {
    const res = await fetch(df.api('/orchestrators/waitForever/api-1'), { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(df.api('/instances/api-1?taskHub=FleetwaveTestHub&connection=Storage'));
    expect(await res.json()).toMatchObject({ id: 'api-1' });
    expect((await fetch(df.api('/orchestrators/waitForever/api-1'), { method: 'POST' })).status).toBe(409);
    expect((await fetch(df.api('/orchestrators/noSuchOrchestrator'), { method: 'POST' })).status).toBe(400);
    expect((await fetch(df.api('/orchestrators/hello'), { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await fetch(df.api('/instances/api-1?taskHub=OtherHub'))).status).toBe(404);
    const running = await df.status('api-1');
    expect(running.httpStatus).toBe(202);
    expect((await df.client('rewind', 'api-1')).body).toEqual({ error: expect.stringContaining('only supported on failed') });
    await fetch(df.api('/instances/api-1/raiseEvent/release'), { method: 'POST', body: '"done"' });
    expect((await df.waitFor('api-1')).output).toEqual({ released: 'done' });
    const restarted = await fetch(df.api('/instances/api-1/restart'), { method: 'POST' });
    expect(restarted.status).toBe(202);
    const newId = ((await restarted.json()) as { id: string }).id;
    expect(newId).not.toBe('api-1');
    expect((await df.status(newId)).body).toMatchObject({ name: 'waitForever', runtimeStatus: expect.stringMatching(/Pending|Running/) });
    expect((await fetch(df.api('/instances/api-1/restart?restartWithNewInstanceId=false'), { method: 'POST' })).status).toBe(202);
    expect((await df.status('api-1')).body.runtimeStatus).toMatch(/Pending|Running/);
    const waited = await fetch(df.api('/orchestrators/hello?timeout=10&pollingInterval=1'), { method: 'POST', body: '["wait"]' });
    expect(waited.status).toBe(200);
    expect(await waited.json()).toEqual(['Hello wait!']);
  });

  test("the durableClient binding carries this host's task hub and URLs", async () => {
    const payload = (await df.client('payload', 'some-id', {}, { method: 'GET' })).body as Record<string, string>;
    const instance = `${host.endpoint.baseUrl}/runtime/webhooks/durabletask/instances/some-id`;
    expect(payload).toMatchObject({
      id: 'some-id',
      statusQueryGetUri: `${instance}?taskHub=FleetwaveTestHub&connection=Storage`,
      terminatePostUri: `${instance}/terminate?reason={text}&taskHub=FleetwaveTestHub&connection=Storage`,
      purgeHistoryDeleteUri: `${instance}?taskHub=FleetwaveTestHub&connection=Storage`,
      suspendPostUri: `${instance}/suspend?reason={text}&taskHub=FleetwaveTestHub&connection=Storage`,
    });
  });

  test('non-durable functions run next to durable ones', async () => {
    expect(await (await fetch(host.url('/api/ping'))).text()).toBe('pong');
  });
});
