import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableEngine } from '../../local/host/durable/engine/DurableEngine';
import { DurableFunctionSet } from '../../local/host/durable/engine/DurableFunctionSet';
import { executionStartedMessage } from '../../local/host/durable/engine/OrchestrationEpisode';
import { pendingInstance } from '../../local/host/durable/persistence/records';
import { TaskHubStore } from '../../local/host/durable/persistence/TaskHubStore';
import { TaskHubClient } from '../../local/host/durable/TaskHubClient';
import { HostLogger } from '../../local/host/HostLogger';
import { FunctionInvoker } from '../../local/host/worker/FunctionInvoker';
import { HookRegistry } from '../../local/host/worker/HookRegistry';

/**
 * The engine's results are group-committed: they wait in a batch until the next turn of the event
 * loop. A client reading the task hub in between must still see them.
 */
describe('task hub reads see writes still waiting in the group commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-taskhub-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a status and history read in the same turn as an episode's result see the result", async () => {
    const store = new TaskHubStore(join(dir, 'hub.sqlite'));
    // An instance of an orchestrator the app no longer has: its first episode fails it without invoking anything.
    const now = Date.now();
    const instance = pendingInstance({ instanceId: 'gone-fn', name: 'Removed', version: null, executionId: 'e1', input: null, now });
    const started = JSON.stringify(executionStartedMessage(instance, now));
    store.commitNow({
      upsertInstances: [instance],
      addMessages: [{ instanceId: 'gone-fn', executionId: null, visibleAt: now, body: started }],
    });
    const logs: string[] = [];
    const logger = new HostLogger('Information', (_, line) => logs.push(line));
    const functions = new DurableFunctionSet([]);
    const invoker = new FunctionInvoker(() => undefined, new HookRegistry(), logger);
    const limits = { maxConcurrentActivityFunctions: 1, maxConcurrentOrchestratorFunctions: 1, maxConcurrentEntityFunctions: 1 };
    const engine = new DurableEngine(store, functions, invoker, limits, logger);
    const client = new TaskHubClient(store, engine, functions);

    // Queued before the engine starts, so it runs after the episode has handed in its result and before that result's commit.
    const sameTurnAsResult = new Promise<void>((resolve) => setImmediate(resolve));
    engine.start();
    await sameTurnAsResult;
    const read = { status: client.getInstance('gone-fn')?.runtimeStatus, history: client.history('gone-fn') };

    await engine.stop();
    expect(read.status).toBe('Failed');
    expect(read.history.length).toBeGreaterThan(0);
    expect(read.history).toEqual(client.history('gone-fn'));
    expect(logs).toEqual([]);
    store.close();
  });
});
