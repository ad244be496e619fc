jest.mock('@azure/functions-core', () => require('./support/functionsCore').functionsCore, { virtual: true });

import { ACTIVITY_NAMES } from '../../functions/src/activities/catalog';
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
  const hasDurableClient = (fn: RecordedFunction): boolean => Object.values(fn.bindings).some((binding) => binding.type === 'durableClient' && binding.direction === 'in');

  test('registers every function once, by kind', () => {
    const kinds = Object.fromEntries(registrations.map((fn) => [fn.name, triggerOf(fn).type]));
    expect(kinds).toEqual({
      rollout: 'orchestrationTrigger',
      rolloutWave: 'orchestrationTrigger',
      rolloutBatch: 'orchestrationTrigger',
      rolloutDevice: 'orchestrationTrigger',
      resolveTargets: 'activityTrigger',
      invokeFirmwareUpdate: 'activityTrigger',
      readDeviceTwin: 'activityTrigger',
      sendEvent: 'activityTrigger',
      rolloutControl: 'entityTrigger',
      rolloutLedger: 'entityTrigger',
      deviceShard: 'entityTrigger',
      rolloutCatalog: 'entityTrigger',
      createRollout: 'httpTrigger',
      listRollouts: 'httpTrigger',
      getRollout: 'httpTrigger',
      listRolloutDevices: 'httpTrigger',
      getRolloutDevice: 'httpTrigger',
      pauseRollout: 'httpTrigger',
      resumeRollout: 'httpTrigger',
      approveRollout: 'httpTrigger',
      cancelRollout: 'httpTrigger',
      twinChanges: 'eventHubTrigger',
    });
    expect(registrations).toHaveLength(22);
    expect(registrations.filter((fn) => triggerOf(fn).type === 'activityTrigger').map((fn) => fn.name).sort()).toEqual([...ACTIVITY_NAMES].sort());
  });

  test('the HTTP API: routes under the host route prefix, function keys required, a Durable client each', () => {
    const routes = registrations
      .filter((fn) => triggerOf(fn).type === 'httpTrigger')
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
    ]);
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

  test('only sendEvent among the activities talks to the Durable API', () => {
    expect(registrations.filter((fn) => triggerOf(fn).type === 'activityTrigger' && hasDurableClient(fn)).map((fn) => fn.name)).toEqual(['sendEvent']);
  });

  test('a registered orchestrator runs when the host invokes it with a history', async () => {
    const { InvocationContext } = await import('@azure/functions');
    const handler = byName('rolloutDevice').handler as (trigger: unknown, context: unknown) => Promise<{ isDone: boolean; actions: { functionName?: string }[][] }>;
    const now = '2025-01-01T00:00:00.000Z';
    const state = await handler(
      {
        history: [
          { EventType: 12, EventId: -1, IsPlayed: false, Timestamp: now },
          { EventType: 0, EventId: -1, IsPlayed: false, Timestamp: now, Name: 'rolloutDevice' },
        ],
        input: { rolloutId: 'r1', deviceId: 'd1', wave: 0, shardCount: 1, firmware: { version: '2', uri: 'https://x/y', sha256: 'a'.repeat(64), size: 1 }, timeouts: { methodSeconds: 30, offlineRetryMinutes: 1, downloadMinutes: 1, applyMinutes: 1 } },
        instanceId: 'r1:d:d1',
        isReplaying: false,
        parentInstanceId: 'r1:w0:b0',
        upperSchemaVersion: 0,
      },
      new InvocationContext({ functionName: 'rolloutDevice' }),
    );
    expect(state.isDone).toBe(false);
    expect(state.actions.flat().map((action) => action.functionName)).toEqual(['invokeFirmwareUpdate']);
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
        require('../../functions/src/orchestrators/device');
      }).not.toThrow();
    });
  });
});
