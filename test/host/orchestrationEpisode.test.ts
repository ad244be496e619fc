import { EventType, historyEvent, type HistoryEvent } from '../../local/host/durable/protocol/historyEvents';
import type { InboxMessage } from '../../local/host/durable/engine/inboxMessages';
import { OrchestrationEpisode, type EpisodeInput } from '../../local/host/durable/engine/OrchestrationEpisode';
import { ActionType, type OrchestratorAction, type OrchestratorState } from '../../local/host/durable/protocol/orchestratorActions';
import type { RetryState } from '../../local/host/durable/engine/retryPolicy';
import type { InstanceRecord, MessageRecord } from '../../local/host/durable/persistence/records';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function instance(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId: 'i1',
    name: 'orch',
    version: null,
    executionId: 'e1',
    runtimeStatus: 'Running',
    input: null,
    output: null,
    customStatus: null,
    createdAt: NOW,
    lastUpdatedAt: NOW,
    completedAt: null,
    parentInstanceId: null,
    parentExecutionId: null,
    parentTaskId: null,
    historyLength: 0,
    nextEventId: 0,
    actionsDone: 0,
    ...overrides,
  };
}

let nextMessageId = 1;
function message(body: InboxMessage, executionId: string | null = 'e1'): MessageRecord {
  return { id: nextMessageId++, instanceId: 'i1', executionId, visibleAt: NOW, body: JSON.stringify(body) };
}

function event(type: EventType, fields: Partial<HistoryEvent>): MessageRecord {
  return message({ kind: 'event', event: historyEvent(type, fields, NOW) });
}

function episode(overrides: Partial<EpisodeInput>): OrchestrationEpisode {
  return new OrchestrationEpisode({
    now: NOW,
    instance: instance(),
    history: [],
    messages: [],
    retries: new Map(),
    lookupInstance: () => undefined,
    orchestratorName: (name) => name,
    ...overrides,
  });
}

const activity = (functionName: string): OrchestratorAction => ({ actionType: ActionType.CallActivity, functionName, input: '"x"' });
const state = (actions: OrchestratorAction[], extra: Partial<OrchestratorState> = {}): OrchestratorState => ({
  isDone: false,
  actions: [actions],
  ...extra,
});
const appended = (run: OrchestrationEpisode, outcome: OrchestratorState) =>
  run.complete({ kind: 'state', state: outcome }).history.events.map((e) => JSON.parse(e) as HistoryEvent);

describe('orchestration episodes: task ids as durable-functions numbers them', () => {
  test('new actions take the next ids in order; compound actions open depth-first; events take none', () => {
    const run = episode({
      messages: [event(EventType.ExecutionStarted, { Name: 'orch' })],
      instance: instance({ runtimeStatus: 'Pending' }),
    });
    expect(run.needsOrchestrator).toBe(true);
    const events = appended(
      run,
      state([
        activity('a'),
        {
          actionType: ActionType.WhenAll,
          compoundActions: [activity('b'), { actionType: ActionType.WaitForExternalEvent, externalEventName: 'go' }, activity('c')],
        },
        { actionType: ActionType.CreateTimer, fireAt: new Date(NOW + 5000).toISOString() },
      ]),
    );
    const scheduled = events.filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated);
    expect(scheduled.map((e) => [e.EventId, e.Name ?? 'timer'])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'timer'],
    ]);
    expect(events[0].EventType).toBe(EventType.OrchestratorStarted);
    expect(events[events.length - 1].EventType).toBe(EventType.OrchestratorCompleted);
  });

  test('a failed retry attempt gets its retry timer id before any action the orchestrator schedules after resuming', () => {
    const retry: RetryState = {
      kind: 'activity',
      name: 'flaky',
      input: null,
      options: { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 3 },
      attempt: 1,
      firstAttemptAt: NOW,
      phase: 'attempt',
    };
    const run = episode({
      instance: instance({ nextEventId: 2, actionsDone: 1 }),
      // The plain completion arrives first, the failure second: the failure is still numbered first.
      messages: [
        event(EventType.TaskCompleted, { TaskScheduledId: 1, Result: '1' }),
        event(EventType.TaskFailed, { TaskScheduledId: 0, FailureDetails: { ErrorType: 'Error', ErrorMessage: 'x' } }),
      ],
      retries: new Map([[0, JSON.stringify(retry)]]),
    });
    const effects = run.complete({
      kind: 'state',
      state: state([{ actionType: ActionType.WhenAll, compoundActions: [activity('flaky'), activity('other')] }, activity('next')]),
    });
    const events = effects.history.events.map((e) => JSON.parse(e) as HistoryEvent);
    expect(events.slice(1, 3).map((e) => e.EventType)).toEqual([EventType.TaskFailed, EventType.TaskCompleted]);
    expect(events.find((e) => e.EventType === EventType.TimerCreated)).toMatchObject({
      EventId: 2,
      FireAt: new Date(NOW + 100).toISOString(),
    });
    expect(events.find((e) => e.EventType === EventType.TaskScheduled)).toMatchObject({ EventId: 3, Name: 'next' });
    expect(effects.write.putRetries).toEqual([expect.objectContaining({ pendingId: 2 })]);
    expect(JSON.parse(effects.write.putRetries![0].state)).toMatchObject({ phase: 'timer', attempt: 1 });
    expect(effects.wakeAt).toEqual([NOW + 100]);
  });

  test('a retry timer with attempts left schedules the next attempt under the next id; the last one does not', () => {
    const waiting: RetryState = {
      kind: 'activity',
      name: 'flaky',
      input: '{"k":1}',
      options: { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 2 },
      attempt: 1,
      firstAttemptAt: NOW,
      phase: 'timer',
    };
    const next = episode({
      instance: instance({ nextEventId: 5, actionsDone: 1 }),
      messages: [event(EventType.TimerFired, { TimerId: 4 })],
      retries: new Map([[4, JSON.stringify(waiting)]]),
    });
    const effects = next.complete({ kind: 'state', state: state([activity('flaky')]) });
    expect(effects.activities).toEqual([{ instanceId: 'i1', executionId: 'e1', taskId: 5, name: 'flaky', input: '{"k":1}' }]);
    const exhausted = episode({
      instance: instance({ nextEventId: 7, actionsDone: 1 }),
      messages: [event(EventType.TimerFired, { TimerId: 6 })],
      retries: new Map([[6, JSON.stringify({ ...waiting, attempt: 2 })]]),
    });
    const done = exhausted.complete({ kind: 'state', state: state([activity('flaky')]) });
    expect(done.activities).toEqual([]);
    expect(done.write.deleteRetries).toEqual([{ instanceId: 'i1', pendingId: 6 }]);
  });

  test('events that arrive while suspended wait in the inbox and are delivered after a resume', () => {
    const held = event(EventType.EventRaised, { Name: 'go', Input: '1' });
    const suspended = episode({ instance: instance({ runtimeStatus: 'Suspended' }), messages: [held] });
    expect(suspended.needsOrchestrator).toBe(false);
    expect(suspended.complete().write.deleteMessages).toEqual([]);
    const resumed = episode({
      instance: instance({ runtimeStatus: 'Suspended' }),
      messages: [held, message({ kind: 'resume', reason: 'ok' }, null)],
    });
    expect(resumed.needsOrchestrator).toBe(true);
    expect(resumed.payload()).toContain('"Name":"go"');
  });

  test('completion notifies the parent; continue-as-new starts a fresh execution keeping only signals', () => {
    const child = episode({
      instance: instance({ parentInstanceId: 'p', parentExecutionId: 'pe', parentTaskId: 9 }),
      messages: [event(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '2' })],
    });
    const done = child.complete({ kind: 'state', state: state([activity('a')], { isDone: true, output: { ok: true } }) });
    expect(done.write.upsertInstances![0]).toMatchObject({ runtimeStatus: 'Completed', output: '{"ok":true}' });
    const toParent = done.write.addMessages!.find((m) => m.instanceId === 'p')!;
    expect(toParent.executionId).toBe('pe');
    expect(JSON.parse(toParent.body)).toMatchObject({
      kind: 'event',
      event: { EventType: EventType.SubOrchestrationInstanceCompleted, TaskScheduledId: 9, Result: '{"ok":true}' },
    });

    const looping = episode({
      instance: instance({ nextEventId: 1, actionsDone: 1 }),
      messages: [event(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '1' })],
    });
    const next = looping.complete({
      kind: 'state',
      state: state(
        [
          activity('a'),
          { actionType: ActionType.SignalEntity, instanceId: '@counter@k', operation: 'add', input: 1 },
          { actionType: ActionType.ContinueAsNew, input: '{"n":2}' },
        ],
        { isDone: true },
      ),
    });
    const record = next.write.upsertInstances![0];
    expect(record).toMatchObject({ runtimeStatus: 'Running', input: '{"n":2}', historyLength: 0, nextEventId: 0, actionsDone: 0 });
    expect(record.executionId).not.toBe('e1');
    expect(next.history.reset).toBe(true);
    expect(next.write.addMessages!.map((m) => m.instanceId)).toEqual(['@counter@k', 'i1']);
  });
});
