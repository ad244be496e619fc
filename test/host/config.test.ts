import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHostJson } from '../../local/host/config/hostJson';
import { applyToEnvironment, readLocalSettings } from '../../local/host/config/localSettings';
import { connectionSetting, resolveBinding, resolveSettingReferences } from '../../local/host/config/resolveSettings';

describe('host.json', () => {
  test('defaults are the Functions host defaults', () => {
    const config = parseHostJson({ version: '2.0' });
    expect(config.routePrefix).toBe('api');
    expect(config.logLevel).toBe('Information');
    expect(config.durableTask.hubName).toBe('TestHubName');
    expect(config.durableTask.maxConcurrentActivityFunctions).toBeGreaterThanOrEqual(10);
    expect(config.eventHubs).toEqual({
      maxEventBatchSize: 100,
      minEventBatchSize: 1,
      maxWaitMs: 60_000,
      initialOffset: { type: 'fromStart' },
      clientRetry: { mode: 'exponential', delayMs: 800, maxDelayMs: 60_000, maxRetries: 3, tryTimeoutMs: 60_000 },
    });
  });

  test('Event Hubs clientRetryOptions: mode, delays and try timeout as .NET time spans, checked', () => {
    const retry = (clientRetryOptions: Record<string, unknown>) =>
      parseHostJson({ extensions: { eventHubs: { clientRetryOptions } } }).eventHubs.clientRetry;
    expect(retry({ Mode: 'Fixed', delay: '00:00:02', maxDelay: '00:00:30', maxRetries: 5, tryTimeout: '00:00:10' })).toEqual({
      mode: 'fixed',
      delayMs: 2000,
      maxDelayMs: 30_000,
      maxRetries: 5,
      tryTimeoutMs: 10_000,
    });
    expect(retry({ maxRetries: 0 })).toMatchObject({ mode: 'exponential', delayMs: 800, maxRetries: 0 });
    expect(() => retry({ mode: 'linear' })).toThrow(/clientRetryOptions\.mode must be exponential or fixed, not "linear"/);
    expect(() => retry({ delay: '800ms' })).toThrow(/clientRetryOptions\.delay must be a positive time span/);
    expect(() => retry({ maxRetries: -1 })).toThrow(/clientretryoptions\.maxretries/);
  });

  test('Event Hubs batching: minEventBatchSize and maxWaitTime (a .NET time span), checked against each other', () => {
    const batching = (eventHubs: Record<string, unknown>) => parseHostJson({ extensions: { eventHubs } }).eventHubs;
    expect(batching({ maxEventBatchSize: 100, minEventBatchSize: 50, maxWaitTime: '00:00:00.100' })).toMatchObject({
      minEventBatchSize: 50,
      maxWaitMs: 100,
    });
    expect(batching({ maxWaitTime: '1.02:03:04.5' }).maxWaitMs).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
    expect(() => batching({ maxEventBatchSize: 10, minEventBatchSize: 11 })).toThrow(
      /minEventBatchSize \(11\) must not exceed maxEventBatchSize \(10\)/,
    );
    for (const bad of ['100ms', '00:00:60', '00:00:00', ''])
      expect(() => batching({ maxWaitTime: bad })).toThrow(/maxWaitTime must be a positive time span/);
  });

  test('keys are read case-insensitively; an empty route prefix and extension v4 batch size work', () => {
    const config = parseHostJson({
      Extensions: {
        HTTP: { RoutePrefix: '/' },
        DurableTask: { HubName: 'Fleet', MaxConcurrentActivityFunctions: 3, maxConcurrentOrchestratorFunctions: '2' },
        eventHubs: { eventProcessorOptions: { maxBatchSize: 7 }, initialOffsetOptions: { type: 'FromEnd' } },
      },
      Logging: { LogLevel: { Default: 'warning' } },
      functions: ['a', 'b'],
    });
    expect(config.routePrefix).toBe('');
    expect(config.durableTask).toMatchObject({
      hubName: 'Fleet',
      maxConcurrentActivityFunctions: 3,
      maxConcurrentOrchestratorFunctions: 2,
    });
    expect(config.eventHubs).toMatchObject({ maxEventBatchSize: 7, initialOffset: { type: 'fromEnd' } });
    expect(config.logLevel).toBe('Warning');
    expect(config.functionAllowList).toEqual(['a', 'b']);
  });

  test('invalid values are rejected with the path of the field', () => {
    expect(() => parseHostJson({ extensions: { durableTask: { maxConcurrentActivityFunctions: 0 } } })).toThrow(
      /extensions\.durabletask\.maxconcurrentactivityfunctions/,
    );
    expect(() => parseHostJson({ logging: { logLevel: { default: 'Loud' } } })).toThrow(/must be one of Trace/);
  });
});

describe('local.settings.json and app settings', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fleetwave-settings-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('Values go into the environment unless the environment already has them', () => {
    writeFileSync(
      join(dir, 'local.settings.json'),
      JSON.stringify({ IsEncrypted: false, Values: { A: 'from-file', B: 2, C: 'same' }, Host: { LocalHttpPort: 7072 } }),
    );
    const settings = readLocalSettings(dir);
    expect(settings).toEqual({ values: { A: 'from-file', B: '2', C: 'same' }, localHttpPort: 7072 });
    const env: NodeJS.ProcessEnv = { A: 'from-env', C: 'same' };
    expect(applyToEnvironment(settings.values, env)).toEqual(['A']);
    expect(env).toEqual({ A: 'from-env', B: '2', C: 'same' });
  });

  test('a missing file is no settings; an encrypted one is refused', () => {
    expect(readLocalSettings(dir)).toEqual({ values: {} });
    writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: true, Values: {} }));
    expect(() => readLocalSettings(dir)).toThrow(/encrypted/);
  });

  test('%SETTING% references resolve in binding properties, not in names or types', () => {
    const env = { HUB: 'telemetry', GROUP: '$Default' };
    expect(resolveSettingReferences('%HUB%-x-%GROUP%', env)).toBe('telemetry-x-$Default');
    expect(resolveSettingReferences('100%% sure', env)).toBe('100% sure');
    expect(
      resolveBinding({ type: 'eventHubTrigger', direction: 'in', name: '%HUB%', eventHubName: '%HUB%', connection: 'CONN' }, env),
    ).toEqual({
      type: 'eventHubTrigger',
      direction: 'in',
      name: '%HUB%',
      eventHubName: 'telemetry',
      connection: 'CONN',
    });
    expect(() => resolveBinding({ type: 'timerTrigger', direction: 'in', schedule: '%NOPE%' }, env)).toThrow(
      /property 'schedule': '%NOPE%' does not resolve/,
    );
    expect(connectionSetting('CONN', { CONN: 'Endpoint=sb://x' })).toBe('Endpoint=sb://x');
    expect(() => connectionSetting('CONN', {})).toThrow(/connection setting 'CONN' is not defined/);
  });
});
