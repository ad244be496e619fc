import type { TelemetryMessage } from '../../device/deviceContext';
import type { AmqpScalar, NewEvent } from '../eventData';

/** How IoT Hub stamps a message from a device that authenticated with a SAS token. */
const DEVICE_SAS_AUTH_METHOD = JSON.stringify({ scope: 'device', type: 'sas', issuer: 'iothub', acceptingIpFilterRule: null });

/** Telemetry system properties (as topics.ts names them) that travel in the AMQP properties section. */
const AMQP_PROPERTY_OF = {
  'message-id': 'messageId',
  'correlation-id': 'correlationId',
  'user-id': 'userId',
  to: 'to',
  'content-type': 'contentType',
  'content-encoding': 'contentEncoding',
} as const satisfies Record<string, keyof NewEvent['amqpProperties']>;

/**
 * A device-to-cloud message as the built-in endpoint carries it ("Create and read IoT Hub
 * messages"): the body as sent, the application properties as sent, the system properties in
 * the AMQP properties section, and the anti-spoofing annotations IoT Hub stamps.
 * `iothub-enqueuedtime` is ms since the epoch (see twinChangeEvent). No hub name: IoT Hub adds none
 * to telemetry (user-id is whatever the device set).
 */
export function telemetryEvent(message: TelemetryMessage, generationId?: string): NewEvent {
  const system = message.systemProperties;
  const amqpProperties: NewEvent['amqpProperties'] = {};
  for (const [name, field] of Object.entries(AMQP_PROPERTY_OF)) {
    if (system[name] !== undefined) amqpProperties[field] = system[name];
  }
  const expiry = system['absolute-expiry-time'] === undefined ? NaN : Date.parse(system['absolute-expiry-time']);
  if (!Number.isNaN(expiry)) amqpProperties.absoluteExpiryTime = expiry;

  const annotations: Record<string, AmqpScalar> = {
    'iothub-connection-device-id': message.deviceId,
    'iothub-connection-auth-method': DEVICE_SAS_AUTH_METHOD,
    'iothub-enqueuedtime': Date.parse(message.enqueuedTime),
    'iothub-message-source': 'Telemetry',
  };
  if (generationId !== undefined) annotations['iothub-connection-auth-generation-id'] = generationId;
  if (system['interface-id'] !== undefined) annotations['iothub-interface-id'] = system['interface-id'];
  return {
    body: message.body,
    properties: { ...message.properties },
    annotations,
    amqpProperties,
    partitionKey: message.deviceId,
  };
}
