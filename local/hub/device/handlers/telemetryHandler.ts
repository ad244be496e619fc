import type { DeviceTopicHandler } from '../deviceContext';
import { parsePropertyBag } from '../topics';

/** `devices/<id>/messages/events/<property bag>`: device-to-cloud telemetry, handed to routing. */
export const telemetryHandler: DeviceTopicHandler<'telemetry'> = ({ deviceId, payload, services }, { propertyBag }) => {
  const { properties, systemProperties } = parsePropertyBag(propertyBag);
  services.onTelemetry({ deviceId, body: payload, properties, systemProperties, enqueuedTime: new Date().toISOString() });
};
