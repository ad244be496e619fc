jest.mock('@azure/functions-core', () => require('./support/functionsCore').functionsCore, { virtual: true });

import { ACTIVITY_NAMES } from '../../functions/src/activities/catalog';
import type { BatchInput } from '../../functions/src/orchestrators/batch';
import { totalsOf } from '../../functions/src/rollout';
import { EventType, historyEvent } from '../../local/host/durable/protocol/historyEvents';
import { orchestrationTriggerPayload } from '../../local/host/durable/protocol/orchestrationTrigger';
import { atomicActions, topLevelActions, type OrchestratorState } from '../../local/host/durable/protocol/orchestratorActions';
import { registrations, triggerOf } from './support/functionsCore';
import type { RecordedFunction } from './support/functionsCore';

/**
 * The app as the Functions host loads it: its entry module registers every function through
 * @azure/functions (recorded here by the stand-in for the worker's @azure/functions-core), with the
 * triggers and bindings the host will read.
 */
describe('the function app', () => {
  beforeAll(() => {
    require('../../functions/src/index');
  });

  const byName = (name: string): RecordedFunction => {
    const fn = registrations.find((registration) => registration.name === name);
    if (!fn) throw new Error(`${name} is not registered`);
    return fn;
  };
  const hasDurableClient = (fn: RecordedFunction): boolean =>
    Object.values(fn.bindings).some((binding) => binding.type === 'durableClient' && binding.direction === 'in');

  test('registers every function once, by kind', () => {
    const kinds = Object.fromEntries(registrations.map((fn) => [fn.name, triggerOf(fn).type]));
    expect(kinds).toEqual({
      rollout: 'orchestrationTrigger',
      rolloutWave: 'orchestrationTrigger',
      rolloutBatch: 'orchestrationTrigger',
      resolveTargets: 'activityTrigger',
      invokeFirmwareUpdate: 'activityTrigger',
      readDeviceTwins: 'activityTrigger',
      rolloutControl: 'entityTrigger',
      rolloutLedger: 'entityTrigger',
      deviceShard: 'entityTrigger',
      rolloutCatalog: 'entityTrigger',
      hubBudget: 'entityTrigger',
      createRollout: 'httpTrigger',
      listRollouts: 'httpTrigger',
      getRollout: 'httpTrigger',
      listRolloutDevices: 'httpTrigger',
      getRolloutDevice: 'httpTrigger',
      pauseRollout: 'httpTrigger',
      resumeRollout: 'httpTrigger',
      retryRollout: 'httpTrigger',
      approveRollout: 'httpTrigger',
      cancelRollout: 'httpTrigger',
      dashboard: 'httpTrigger',
      dashboardAsset: 'httpTrigger',
      twinChanges: 'eventHubTrigger',
    });
    expect(registrations).toHaveLength(24);
    expect(
      registrations
        .filter((fn) => triggerOf(fn).type === 'activityTrigger')
        .map((fn) => fn.name)
        .sort(),
    ).toEqual([...ACTIVITY_NAMES].sort());
  });

  test('the HTTP API: routes under the host route prefix, function keys required, a Durable client each', () => {
    const routes = registrations
      .filter((fn) => triggerOf(fn).type === 'httpTrigger' && !fn.name.startsWith('dashboard'))
      .map((fn) => {
        const trigger = triggerOf(fn);
        expect(trigger.authLevel).toBe('function');
        expect(hasDurableClient(fn)).toBe(true);
        return `${(trigger.methods as string[]).join(',')} ${String(trigger.route)}`;
      });
    expect(routes.sort()).toEqual([
      'GET rollouts',
      'GET rollouts/{id}',
      'GET rollouts/{id}/devices',
      'GET rollouts/{id}/devices/{deviceId}',
      'POST rollouts',
      'POST rollouts/{id}/approve',
      'POST rollouts/{id}/cancel',
      'POST rollouts/{id}/pause',
      'POST rollouts/{id}/resume',
      'POST rollouts/{id}/retry',
    ]);
  });

  test('the dashboard: its page, script and style sheet anonymous (the same for all, no data; a reload has no key in its URL)', () => {
    const page = triggerOf(byName('dashboard'));
    const asset = triggerOf(byName('dashboardAsset'));
    expect(page).toMatchObject({ route: 'dashboard', methods: ['GET', 'HEAD'], authLevel: 'anonymous' });
    expect(asset).toMatchObject({ route: 'dashboard/{file}', methods: ['GET', 'HEAD'], authLevel: 'anonymous' });
  });

  test('the twin-change handler: a batch trigger on the IoT Hub built-in endpoint, from app settings, with retries', () => {
    const fn = byName('twinChanges');
    expect(triggerOf(fn)).toMatchObject({
      type: 'eventHubTrigger',
      connection: 'IOTHUB_EVENTS_CONNECTION',
      eventHubName: '%IOTHUB_EVENTS_NAME%',
      consumerGroup: '%IOTHUB_EVENTS_CONSUMER_GROUP%',
      cardinality: 'many',
    });
    expect(hasDurableClient(fn)).toBe(true);
    expect(fn.retryOptions).toMatchObject({ strategy: 'exponentialBackoff', maxRetryCount: 5 });
  });

  test('no activity talks to the Durable API: orchestrations hear from each other through their results', () => {
    const activities = registrations.filter((fn) => triggerOf(fn).type === 'activityTrigger');
    expect(activities).toHaveLength(ACTIVITY_NAMES.length);
    expect(activities.filter(hasDurableClient).map((fn) => fn.name)).toEqual([]);
  });

  test('a registered orchestrator runs when the host invokes it with a history', async () => {
    const { InvocationContext } = await import('@azure/functions');
    const handler = byName('rolloutBatch').handler as (trigger: unknown, context: unknown) => Promise<OrchestratorState>;
    const now = Date.parse('2025-01-01T00:00:00.000Z');
    const lines: string[] = [];
    const firmware = { version: '2', uri: 'https://x/y', sha256: 'a'.repeat(64), size: 1 };
    const input: BatchInput = {
      rolloutId: 'r1',
      wave: 0,
      batch: 0,
      deviceIds: ['d1', 'd2', 'd3'],
      slots: 2,
      baseline: totalsOf(),
      failureThreshold: { percent: 10, minDevices: 10, action: 'pause' },
      shardCount: 1,
      firmware,
      timeouts: { methodSeconds: 30, offlineRetryMinutes: 1, downloadMinutes: 1, applyMinutes: 1 },
    };
    const history = [
      historyEvent(EventType.OrchestratorStarted, {}, now),
      historyEvent(EventType.ExecutionStarted, { Name: 'rolloutBatch' }, now),
    ];
    const payload = orchestrationTriggerPayload({
      history: history.map((event) => JSON.stringify(event)),
      input: JSON.stringify(input),
      instanceId: 'r1:w0:b0',
      parentInstanceId: 'r1:w0',
    });
    const state = await handler(
      JSON.parse(payload),
      new InvocationContext({ functionName: 'rolloutBatch', logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')) }),
    );
    expect(state.isDone).toBe(false);
    // The first `slots` devices are called in one activity, the request naming this instance as their tracker.
    const calls = topLevelActions(state)
      .flatMap(atomicActions)
      .filter((action) => action.functionName !== undefined);
    expect(calls.map((action) => action.functionName)).toEqual(['invokeFirmwareUpdate']);
    expect(calls[0].input).toEqual({
      deviceIds: ['d1', 'd2'],
      request: { rolloutId: 'r1', fwVersion: '2', fwPackageUri: 'https://x/y', sha256: firmware.sha256, size: 1, tracker: 'r1:w0:b0' },
      responseTimeoutInSeconds: 30,
    });
    expect(lines).toEqual([expect.stringMatching(/^batch\.started .*"devices":3,"slots":2/)]);
  });
});

describe('orchestrator code', () => {
  test('loads no SDK: activities come in as types only', () => {
    jest.isolateModules(() => {
      for (const sdk of ['azure-iothub', 'azure-iot-common', '@azure/event-hubs']) {
        jest.doMock(sdk, () => {
          throw new Error(`orchestrator code loaded ${sdk}`);
        });
      }
      expect(() => {
        require('../../functions/src/orchestrators/rollout');
        require('../../functions/src/orchestrators/wave');
        require('../../functions/src/orchestrators/batch');
      }).not.toThrow();
    });
  });
});
