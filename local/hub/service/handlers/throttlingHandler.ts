import type { Route } from '../serviceContext';

/**
 * GET /fleetwave/throttling — emulator-only, IoT Hub has no such route: what the throttles decided
 * since start, per operation (passed, shaped, rejected), for benchmarks. Any service policy may
 * read it; it costs nothing.
 */
export const throttlingRoutes: Route[] = [
  {
    method: 'GET',
    path: '/fleetwave/throttling',
    anyOf: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
    style: 'legacy',
    operation: null,
    handle({ services }) {
      return { status: 200, body: services.throttles?.stats() ?? { throttling: null } };
    },
  },
];
