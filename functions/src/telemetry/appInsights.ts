/**
 * logEvent's events as Application Insights traces whose customDimensions carry the event's fields.
 *
 * The Functions host forwards what context.log writes as a trace's message only, with no custom
 * properties, so its copy can be searched but not filtered or grouped by rollout, wave or device.
 * When APPLICATIONINSIGHTS_CONNECTION_STRING is set (Azure sets it on a Function App connected to
 * Application Insights), each event is also sent through the applicationinsights package, with
 * `event` and every field as a custom dimension. Unset (the local stack, tests), the package is not
 * even loaded.
 *
 * The client is isolated (`useGlobalProviders: false`): it sends what trackTrace is given and
 * nothing else: no http, console, exception or Azure SDK instrumentation, no live or standard
 * metrics, all of which the host already reports for every invocation. With no active span to
 * take an operation id from, a trace names its invocation by `InvocationId`, the custom dimension
 * the host's own traces carry, and its function as operation_Name.
 */
import { app } from '@azure/functions';
import type { Disposable, InvocationContext } from '@azure/functions';
import { rootCertificates } from 'node:tls';
import type { KnownSeverityLevel, TelemetryClient } from 'applicationinsights';
import type { LogFields, LogLevel } from '../logging';
import { appInsightsConnectionSetting } from '../settings';

export interface AppInsightsSetup {
  connectionString: string;
  /** A PEM CA to trust besides the public roots, for an ingestion endpoint of our own (tests). */
  ca?: string;
}

const SEVERITY: Record<LogLevel, `${KnownSeverityLevel}`> = { debug: 'Verbose', info: 'Information', warn: 'Warning', error: 'Error' };

/** An attribute the exporter turns into the operation_Name tag instead of a custom dimension. */
const OPERATION_NAME = 'ai.operation.name';

/** Undefined until the first event decides from the app settings; 'off' when not set up. */
let state: { client: TelemetryClient; terminateHook: Disposable } | 'off' | undefined;

/** Sets the client up; the first event does it from the app settings when nothing else has. */
export function startAppInsights(setup: AppInsightsSetup): void {
  if (state !== undefined && state !== 'off') throw new Error('Application Insights is already set up; stop it first.');
  // Loaded only when used: the package and its OpenTelemetry SDK take seconds to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TelemetryClient } = require('applicationinsights') as typeof import('applicationinsights');
  const client = new TelemetryClient(setup.connectionString, { useGlobalProviders: false });
  if (setup.ca !== undefined) {
    const tlsOptions = { ca: [...rootCertificates, setup.ca] };
    client.config.azureMonitorOpenTelemetryOptions = {
      azureMonitorExporterOptions: { connectionString: setup.connectionString, tlsOptions },
    };
  }
  client.initialize();
  // Traces still queued when the worker stops (scale-in, restart) are sent, not dropped.
  state = { client, terminateHook: app.hook.appTerminate(() => stopAppInsights()) };
}

/** Resolves once what is queued has been posted and answered (or has failed). */
export async function flushAppInsights(): Promise<void> {
  if (typeof state === 'object') await state.client.flush();
}

/** Flushes and shuts the client down; the next event decides again from the app settings. */
export async function stopAppInsights(): Promise<void> {
  const running = state;
  state = undefined;
  if (typeof running !== 'object') return;
  running.terminateHook.dispose();
  await running.client.flush();
  await running.client.shutdown();
}

/** One trace for one event; `message` is the line the host got. Nothing when not set up. */
export function trackLogEvent(context: InvocationContext, level: LogLevel, event: string, fields: LogFields, message: string): void {
  const client = clientFor(context);
  if (client === null) return;
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) properties[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  Object.assign(properties, { event, InvocationId: context.invocationId, [OPERATION_NAME]: context.functionName });
  client.trackTrace({ message, severity: SEVERITY[level], properties });
}

/** A bad setting is written once with the invocation's logs and leaves the traces off, not the app. */
function clientFor(context: InvocationContext): TelemetryClient | null {
  if (state === undefined) {
    state = 'off';
    try {
      const connectionString = appInsightsConnectionSetting();
      if (connectionString !== null) startAppInsights({ connectionString });
    } catch (error) {
      context.error(`Application Insights traces are off: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return state === 'off' ? null : state.client;
}
