/**
 * Event Hub trigger on IoT Hub's built-in endpoint: turns twin-change events into `twinReport`
 * events on the trackers (batch orchestrations) that follow the devices. A device's report names
 * its tracker (`iothubDM.firmwareUpdate.tracker`, the instance id the rollout sent with the
 * method), checked to be a batch of the report's rollout: no lookup table. All the reports of one
 * Event Hub batch for one tracker go in ONE raise, listing for each its device, the reported
 * section's $version, the report and firmware.currentFwVersion if the patch has it; a tracker's
 * share of a batch thus costs one raise and one orchestration episode, however many devices.
 *
 * IoT Hub routes a twin change as: body = the patch as sent ({"version", "properties":
 * {"reported": {..., "$metadata", "$version"}}}), application properties hubName, deviceId,
 * operationTimestamp, iothub-message-schema = twinChangeNotification, opType = updateTwin, and
 * system properties iothub-connection-device-id, iothub-message-source = twinChangeEvents,
 * iothub-enqueuedtime. The Functions host hands a batch over as the bodies (JSON already parsed,
 * or text/bytes) with per-event arrays in the trigger metadata (systemPropertiesArray,
 * propertiesArray, enqueuedTimeUtcArray).
 *
 * Ignored (counted, never fatal): telemetry and other sources, module twins, replaceTwin, patches
 * without a firmware update or rolloutId, reports without a tracker (a device agent that does not
 * echo it: its tracker reads the twin at the phase deadline instead), and download progress
 * between tenths (isProgressOnly).
 * Malformed events and events for instances that do not exist (a rollout purged, a device that is
 * no target) are logged and skipped. Only a failure to reach the Durable API fails the batch, so
 * the trigger's retry policy delivers it again (duplicates are dropped by $version).
 */
import { app } from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { isRecord } from '../../../contracts/guards';
import { logEvent } from '../logging';
import { EVENT } from '../orchestrators/contracts';
import type { TwinReportEvent, TwinReportsEvent } from '../orchestrators/contracts';
import {
  eventReportOf,
  isProgressOnly,
  isValidDeviceId,
  isValidRolloutId,
  parseBatchInstanceId,
  reportedRolloutId,
  twinReportOf,
} from '../rollout';
import { mapBounded } from '../mapBounded';
import { IOTHUB_EVENTS_CONNECTION, IOTHUB_EVENTS_CONSUMER_GROUP, IOTHUB_EVENTS_NAME } from '../settings';

export type ClassifiedEvent =
  | { kind: 'report'; deviceId: string; rolloutId: string; instanceId: string; event: TwinReportEvent }
  | { kind: 'ignored'; reason: string; deviceId?: string }
  | { kind: 'malformed'; problem: string; deviceId?: string };

/** How many trackers are raised to at once. */
export const RAISE_CONCURRENCY = 16;

/** One event of a batch: its body and the host's per-event metadata. */
export function classifyEvent(body: unknown, systemProperties: unknown, properties: unknown, enqueuedTime?: unknown): ClassifiedEvent {
  const system = record(systemProperties);
  const application = record(properties);
  const source = system['iothub-message-source'];
  if (source !== undefined ? source !== 'twinChangeEvents' : application['iothub-message-schema'] !== 'twinChangeNotification') {
    return { kind: 'ignored', reason: `not a twin change (${String(source ?? application['iothub-message-schema'] ?? 'unknown source')})` };
  }
  const deviceId = system['iothub-connection-device-id'] ?? application.deviceId;
  if (typeof deviceId !== 'string' || !isValidDeviceId(deviceId))
    return { kind: 'malformed', problem: 'no valid device id in the event properties' };
  if (system['iothub-connection-module-id'] !== undefined || application.moduleId !== undefined)
    return { kind: 'ignored', reason: 'a module twin', deviceId };
  if (application.opType !== undefined && application.opType !== 'updateTwin')
    return { kind: 'ignored', reason: `opType ${String(application.opType)}`, deviceId };

  const decoded = decodeBody(body);
  if (!decoded.ok) return { kind: 'malformed', problem: decoded.problem, deviceId };
  const reported = record(record(decoded.value).properties).reported;
  if (reported === undefined) return { kind: 'ignored', reason: 'no reported properties in the patch', deviceId };
  const rolloutId = reportedRolloutId(reported);
  if (rolloutId === null) return { kind: 'ignored', reason: 'no firmware update with a rolloutId in the patch', deviceId };
  if (!isValidRolloutId(rolloutId))
    return { kind: 'malformed', problem: `rolloutId ${JSON.stringify(rolloutId)} is not one this app issues`, deviceId };
  const parsed = twinReportOf(reported);
  if (!parsed.ok) return { kind: 'malformed', problem: parsed.problem, deviceId };
  const update = parsed.value.firmwareUpdate;
  if (update === undefined || update === null) return { kind: 'ignored', reason: 'no firmware update in the patch', deviceId };
  if (isProgressOnly(update)) return { kind: 'ignored', reason: 'download progress', deviceId };
  const tracker = update.tracker;
  if (tracker === undefined || tracker === null) return { kind: 'ignored', reason: 'no tracker in the report', deviceId };
  if (parseBatchInstanceId(tracker)?.rolloutId !== rolloutId) {
    return { kind: 'malformed', problem: `tracker ${JSON.stringify(tracker)} is not a batch of rollout ${rolloutId}`, deviceId };
  }

  const event: TwinReportEvent = { deviceId, twinVersion: parsed.value.twinVersion, firmwareUpdate: eventReportOf(update) };
  if (parsed.value.currentFwVersion !== undefined) event.currentFwVersion = parsed.value.currentFwVersion;
  const time = enqueuedTimeOf(enqueuedTime, system['iothub-enqueuedtime']);
  if (time !== undefined) event.enqueuedTime = time;
  return { kind: 'report', deviceId, rolloutId, instanceId: tracker, event };
}

export interface BatchSummary {
  events: number;
  forwarded: number;
  ignored: number;
  malformed: number;
  /** Events for instances that do not exist. */
  vanished: number;
  /** Events the Durable API could not take (the batch is failed for a retry). */
  failed: number;
}

export async function twinChanges(messages: unknown, context: InvocationContext): Promise<BatchSummary> {
  const bodies = Array.isArray(messages) ? messages : [messages];
  const metadata = context.triggerMetadata ?? {};
  const systemArray = arrayOf(metadata.systemPropertiesArray);
  const propertiesArray = arrayOf(metadata.propertiesArray);
  const enqueuedArray = arrayOf(metadata.enqueuedTimeUtcArray);
  const summary: BatchSummary = { events: bodies.length, forwarded: 0, ignored: 0, malformed: 0, vanished: 0, failed: 0 };

  const byInstance = new Map<string, Report[]>();
  bodies.forEach((body, index) => {
    let classified: ClassifiedEvent;
    try {
      classified = classifyEvent(body, systemArray[index], propertiesArray[index], enqueuedArray[index]);
    } catch (error) {
      classified = { kind: 'malformed', problem: error instanceof Error ? error.message : String(error) };
    }
    if (classified.kind === 'report') {
      const list = byInstance.get(classified.instanceId) ?? [];
      list.push(classified);
      byInstance.set(classified.instanceId, list);
    } else if (classified.kind === 'ignored') {
      summary.ignored += 1;
    } else {
      summary.malformed += 1;
      logEvent(context, 'warn', 'twinChange.malformed', { deviceId: classified.deviceId, problem: classified.problem, index });
    }
  });

  if (byInstance.size > 0) {
    const client = df.getClient(context);
    await mapBounded([...byInstance.values()], RAISE_CONCURRENCY, (reports) => raise(client, context, reports, summary));
  }

  logEvent(context, summary.failed > 0 ? 'error' : 'info', 'twinChange.batch', { ...summary });
  if (summary.failed > 0)
    throw new Error(`${summary.failed} of ${summary.events} twin-change events could not be raised; the batch is retried`);
  return summary;
}

type Report = Extract<ClassifiedEvent, { kind: 'report' }>;

/** One tracker's reports of the batch (at least one), in one event. */
async function raise(client: DurableClient, context: InvocationContext, reports: Report[], summary: BatchSummary): Promise<void> {
  const { rolloutId, instanceId } = reports[0];
  const fields = { rolloutId, tracker: instanceId, devices: new Set(reports.map((r) => r.deviceId)).size, reports: reports.length };
  const event: TwinReportsEvent = { reports: reports.map((r) => r.event) };
  try {
    await client.raiseEvent(instanceId, EVENT.twinReport, event);
    summary.forwarded += reports.length;
    logEvent(context, 'debug', 'twinChange.forwarded', fields);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/No instance with ID/i.test(message)) {
      summary.vanished += reports.length;
      logEvent(context, 'warn', 'twinChange.noInstance', { ...fields, instanceId });
    } else {
      summary.failed += reports.length;
      logEvent(context, 'error', 'twinChange.raiseFailed', { ...fields, error: message });
    }
  }
}

function decodeBody(body: unknown): { ok: true; value: unknown } | { ok: false; problem: string } {
  let value = body;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) value = Buffer.from(value).toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, problem: 'the body is not JSON' };
    }
  }
  return isRecord(value) ? { ok: true, value } : { ok: false, problem: 'the body is not a JSON object' };
}

function enqueuedTimeOf(fromHost: unknown, fromHub: unknown): string | undefined {
  for (const candidate of [fromHost, fromHub]) {
    const time =
      candidate instanceof Date
        ? candidate.getTime()
        : typeof candidate === 'number'
          ? candidate
          : typeof candidate === 'string'
            ? Date.parse(candidate)
            : NaN;
    if (Number.isFinite(time)) return new Date(time).toISOString();
  }
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

app.eventHub('twinChanges', {
  connection: IOTHUB_EVENTS_CONNECTION,
  eventHubName: `%${IOTHUB_EVENTS_NAME}%`,
  consumerGroup: `%${IOTHUB_EVENTS_CONSUMER_GROUP}%`,
  cardinality: 'many',
  extraInputs: [df.input.durableClient()],
  retry: { strategy: 'exponentialBackoff', maxRetryCount: 5, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 1 } },
  handler: twinChanges,
});
