/**
 * IoT Hub events as the local hub's router makes them (local/hub: updateTwin for the patch body,
 * twinChangeEvent / telemetryEvent for the event), numbered like the built-in endpoint numbers
 * them, and handed over the way the Functions host's Event Hubs trigger hands a batch to a Node
 * function with cardinality many: the bodies as the handler's argument (JSON parsed, or text, or
 * bytes) and per-event metadata arrays in triggerMetadata.
 */
import type { NewEvent } from '../../../local/hub/eventhubs/eventData';
import { telemetryEvent } from '../../../local/hub/eventhubs/routing/telemetryEvent';
import { twinChangeEvent } from '../../../local/hub/eventhubs/routing/twinChangeEvent';
import type { JsonObject } from '../../../local/hub/twin';
import { emptyTwin } from '../../../local/hub/twin';
import { updateTwin } from '../../../local/hub/twin/twinOperations';
import type { TwinState } from '../../../local/hub/twin';

export const HUB = 'fleetwave-hub';

/** A device's twin on the hub side: each patch gives the change event IoT Hub routes for it. */
export class TwinOnHub {
  private state: TwinState = emptyTwin();
  private clock = Date.parse('2025-01-01T00:00:00.000Z');

  constructor(readonly deviceId: string) {}

  /** The device patches its reported properties (as azure-iot-device's twin.properties.reported.update). */
  reported(patch: JsonObject): NewEvent {
    return this.change({ reported: patch });
  }

  /** The service patches tags or desired properties. */
  service(patch: { tags?: JsonObject; desired?: JsonObject }): NewEvent {
    return this.change(patch);
  }

  get reportedVersion(): number {
    return this.state.reported.version;
  }

  private change(patch: { tags?: JsonObject; desired?: JsonObject; reported?: JsonObject }): NewEvent {
    this.clock += 1000;
    const now = new Date(this.clock).toISOString();
    const result = updateTwin(this.state, patch, now);
    this.state = result.state;
    return twinChangeEvent(
      { deviceId: this.deviceId, opType: 'updateTwin', body: result.notification, operationTimestamp: now },
      HUB,
      now,
      '638000000000000000',
    );
  }
}

export function telemetry(deviceId: string, body: unknown): NewEvent {
  return telemetryEvent({
    deviceId,
    body: Buffer.from(JSON.stringify(body)),
    properties: { kind: 'reading' },
    systemProperties: {},
    enqueuedTime: '2025-01-01T00:00:00.000Z',
  });
}

export type BodyForm = 'json' | 'text' | 'bytes';

export interface TriggerBatch {
  messages: unknown[];
  triggerMetadata: Record<string, unknown>;
}

/** A batch as the host delivers it. */
export function hostBatch(events: NewEvent[], form: BodyForm = 'json', firstSequenceNumber = 100): TriggerBatch {
  const enqueued = events.map(
    (event, i) =>
      new Date(
        typeof event.annotations['iothub-enqueuedtime'] === 'number'
          ? event.annotations['iothub-enqueuedtime']
          : Date.parse('2025-01-01T00:00:00.000Z') + i,
      ),
  );
  const messages = events.map((event) => {
    if (form === 'bytes') return event.body;
    const text = event.body.toString('utf8');
    if (form === 'text') return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  });
  return {
    messages,
    triggerMetadata: {
      systemPropertiesArray: events.map((event, i) => ({
        ...event.annotations,
        'x-opt-sequence-number': firstSequenceNumber + i,
        'x-opt-offset': String(firstSequenceNumber + i),
        'x-opt-enqueued-time': enqueued[i].toISOString(),
        'x-opt-partition-key': event.partitionKey,
      })),
      propertiesArray: events.map((event) => ({ ...event.properties })),
      enqueuedTimeUtcArray: enqueued.map((time) => time.toISOString()),
      sequenceNumberArray: events.map((_, i) => firstSequenceNumber + i),
      offsetArray: events.map((_, i) => String(firstSequenceNumber + i)),
      partitionKeyArray: events.map((event) => event.partitionKey),
      partitionContext: { eventHubName: 'fleetwave-hub', consumerGroup: 'fleetwave', partitionId: '0' },
    },
  };
}
