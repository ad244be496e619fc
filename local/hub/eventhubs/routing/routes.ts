/** IoT Hub routing sources this emulator produces events for (names as in the IoT Hub routing API). */
export type RouteSource = 'DeviceMessages' | 'TwinChangeEvents';

/** A route to the built-in Event Hub-compatible endpoint, which IoT Hub names 'events'. */
export interface MessageRoute {
  name: string;
  source: RouteSource;
  endpoint: 'events';
  enabled: boolean;
}

function routeToEvents(source: RouteSource): MessageRoute {
  return { name: `${source}ToEvents`, source, endpoint: 'events', enabled: true };
}

/**
 * Both sources to the built-in endpoint. IoT Hub's fallback route alone carries only
 * DeviceMessages; twin change events need a route of their own, which hubs fleetwave manages have.
 */
export const DEFAULT_ROUTES: readonly MessageRoute[] = [routeToEvents('DeviceMessages'), routeToEvents('TwinChangeEvents')];

const SOURCE_BY_NAME: Record<string, RouteSource> = {
  devicemessages: 'DeviceMessages',
  telemetry: 'DeviceMessages',
  twinchangeevents: 'TwinChangeEvents',
};

/**
 * Parses a CLI route list such as `DeviceMessages,TwinChangeEvents` (names case-insensitive;
 * `telemetry` means DeviceMessages). An empty spec means no routes: nothing reaches the endpoint.
 */
export function parseRoutes(spec: string): MessageRoute[] {
  if (spec.trim() === '') return [];
  const sources = new Set<RouteSource>();
  for (const item of spec.split(',')) {
    const source = SOURCE_BY_NAME[item.trim().toLowerCase()];
    if (source === undefined) {
      throw new Error(`Unknown route source '${item.trim()}'; valid: DeviceMessages (or telemetry), TwinChangeEvents.`);
    }
    sources.add(source);
  }
  return [...sources].map(routeToEvents);
}
