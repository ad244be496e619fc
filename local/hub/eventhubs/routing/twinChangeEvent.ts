import { randomUUID } from 'node:crypto';
import type { TwinChange } from '../../registry/DeviceRegistry';
import type { AmqpScalar, NewEvent } from '../eventData';

/**
 * The event IoT Hub routes for a twin change ("IoT Hub non-telemetry event schemas", device twin
 * change events): the change body as JSON, the common application properties, and system
 * properties with `iothub-message-source: twinChangeEvents`. `iothub-enqueuedtime` is ms since the
 * epoch (an AMQP timestamp on IoT Hub, which @azure/event-hubs 6 hands out as a number).
 * correlation-id is a fresh id per event and user-id the hub name, as the schema documents.
 */
export function twinChangeEvent(change: TwinChange, hubName: string, enqueuedTime: string, generationId?: string): NewEvent {
  const annotations: Record<string, AmqpScalar> = {
    'iothub-connection-device-id': change.deviceId,
    'iothub-enqueuedtime': Date.parse(enqueuedTime),
    'iothub-message-source': 'twinChangeEvents',
  };
  if (generationId !== undefined) annotations['iothub-connection-auth-generation-id'] = generationId;
  return {
    body: Buffer.from(JSON.stringify(change.body), 'utf8'),
    properties: {
      hubName,
      deviceId: change.deviceId,
      operationTimestamp: change.operationTimestamp,
      'iothub-message-schema': 'twinChangeNotification',
      opType: change.opType,
    },
    annotations,
    amqpProperties: {
      correlationId: randomUUID(),
      userId: hubName,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
    },
    partitionKey: change.deviceId,
  };
}
