import { EventEmitter } from 'node:events';
import type { TelemetryMessage } from '../../device/deviceContext';
import type { TwinChange } from '../../registry/DeviceRegistry';
import type { NewEvent, StoredEvent } from '../eventData';
import type { EventLog } from '../persistence/EventLog';
import { partitionFor } from './partitioner';
import type { MessageRoute, RouteSource } from './routes';
import { telemetryEvent } from './telemetryEvent';
import { twinChangeEvent } from './twinChangeEvent';

export interface EventRouterOptions {
  hubName: string;
  routes: readonly MessageRoute[];
  now?: () => number;
  /** The device's generation id, stamped as iothub-connection-auth-generation-id when known. */
  generationIdOf?: (deviceId: string) => string | undefined;
}

export interface EventRouterEvents {
  /** An event is durable; the AMQP layer pushes it to live receivers of that partition. */
  appended: [partitionId: string, event: StoredEvent];
  /** Events were numbered but could not be stored (the log's commit failed). */
  lost: [error: Error, event: StoredEvent];
}

/**
 * Turns hub happenings into events on the built-in endpoint: only sources with an enabled route
 * are appended (once, however many routes name them, as IoT Hub delivers once per endpoint), to
 * the device's partition, and announced once the log has committed them.
 */
export class EventRouter extends EventEmitter<EventRouterEvents> {
  private readonly routed: ReadonlySet<RouteSource>;
  private readonly hubName: string;
  private readonly now: () => number;
  private readonly generationIdOf: (deviceId: string) => string | undefined;

  constructor(
    private readonly log: EventLog,
    options: EventRouterOptions,
  ) {
    super();
    this.hubName = options.hubName;
    this.now = options.now ?? Date.now;
    this.generationIdOf = options.generationIdOf ?? (() => undefined);
    this.routed = new Set(options.routes.filter((route) => route.enabled && route.endpoint === 'events').map((route) => route.source));
  }

  routeTwinChange(change: TwinChange): StoredEvent | undefined {
    if (!this.routed.has('TwinChangeEvents')) return undefined;
    const nowMs = this.now();
    const event = twinChangeEvent(change, this.hubName, new Date(nowMs).toISOString(), this.generationIdOf(change.deviceId));
    return this.append(event, nowMs);
  }

  routeTelemetry(message: TelemetryMessage): StoredEvent | undefined {
    if (!this.routed.has('DeviceMessages')) return undefined;
    return this.append(telemetryEvent(message, this.generationIdOf(message.deviceId)), this.now());
  }

  private append(event: NewEvent, nowMs: number): StoredEvent {
    const partitionId = String(partitionFor(event.partitionKey, this.log.partitionIds.length));
    const stored = this.log.append(partitionId, event, nowMs);
    this.log.afterCommit((error) => (error ? this.emit('lost', error, stored) : this.emit('appended', partitionId, stored)));
    return stored;
  }
}
