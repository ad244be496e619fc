/**
 * IoT Hub's MQTT topic names ("Communicate with an IoT hub using the MQTT protocol"). Devices
 * publish on the first group and subscribe to the second; nothing else is allowed.
 */

export type DeviceTopic =
  | { kind: 'twinGet'; requestId: string }
  | { kind: 'reportedPatch'; requestId: string }
  | { kind: 'methodResponse'; requestId: string; status: number }
  | { kind: 'telemetry'; propertyBag: string };

/** Parses a topic a device published to; undefined when devices may not publish there. */
export function parseDeviceTopic(topic: string, deviceId: string): DeviceTopic | undefined {
  if (topic.startsWith('$iothub/twin/GET/')) {
    const requestId = requestIdOf(topic, '$iothub/twin/GET/');
    return requestId === undefined ? undefined : { kind: 'twinGet', requestId };
  }
  if (topic.startsWith('$iothub/twin/PATCH/properties/reported/')) {
    const requestId = requestIdOf(topic, '$iothub/twin/PATCH/properties/reported/');
    return requestId === undefined ? undefined : { kind: 'reportedPatch', requestId };
  }
  const method = /^\$iothub\/methods\/res\/(\d{3})\/\?(.*)$/.exec(topic);
  if (method) {
    const requestId = new URLSearchParams(method[2]).get('$rid');
    return requestId ? { kind: 'methodResponse', requestId, status: Number(method[1]) } : undefined;
  }
  const eventsPrefix = `devices/${deviceId}/messages/events/`;
  if (topic.startsWith(eventsPrefix)) return { kind: 'telemetry', propertyBag: topic.slice(eventsPrefix.length) };
  return undefined;
}

function requestIdOf(topic: string, prefix: string): string | undefined {
  const rest = topic.slice(prefix.length);
  if (!rest.startsWith('?')) return undefined;
  return new URLSearchParams(rest.slice(1)).get('$rid') ?? undefined;
}

/** Topic filters a device may subscribe to. */
export const SUBSCRIBABLE = {
  twinResponses: '$iothub/twin/res/#',
  desiredUpdates: '$iothub/twin/PATCH/properties/desired/#',
  methods: '$iothub/methods/POST/#',
} as const;

export function cloudToDeviceFilter(deviceId: string): string {
  return `devices/${deviceId}/messages/devicebound/#`;
}

export function isSubscribable(filter: string, deviceId: string): boolean {
  return Object.values(SUBSCRIBABLE).includes(filter as never) || filter === cloudToDeviceFilter(deviceId);
}

export const replyTopics = {
  twinResponse: (status: number, requestId: string, version?: number) =>
    `$iothub/twin/res/${status}/?$rid=${requestId}${version === undefined ? '' : `&$version=${version}`}`,
  desiredPatch: (version: number) => `$iothub/twin/PATCH/properties/desired/?$version=${version}`,
  methodRequest: (methodName: string, requestId: string) => `$iothub/methods/POST/${methodName}/?$rid=${requestId}`,
};

/** Telemetry properties: `k=v&$.ct=application%2Fjson…`; `$.`-prefixed keys are system properties. */
export function parsePropertyBag(bag: string): { properties: Record<string, string>; systemProperties: Record<string, string> } {
  const properties: Record<string, string> = {};
  const systemProperties: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(bag)) {
    if (key.startsWith('$.')) systemProperties[SYSTEM_PROPERTY_NAMES[key] ?? key.slice(2)] = value;
    else properties[key] = value;
  }
  return { properties, systemProperties };
}

const SYSTEM_PROPERTY_NAMES: Record<string, string> = {
  '$.mid': 'message-id',
  '$.cid': 'correlation-id',
  '$.uid': 'user-id',
  '$.to': 'to',
  '$.exp': 'absolute-expiry-time',
  '$.ct': 'content-type',
  '$.ce': 'content-encoding',
  '$.ifid': 'interface-id',
};
