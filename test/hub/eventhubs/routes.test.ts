import { DEFAULT_ROUTES, parseRoutes } from '../../../local/hub/eventhubs/routing/routes';

describe('routes', () => {
  test('DEFAULT_ROUTES send both sources to the built-in events endpoint', () => {
    expect(DEFAULT_ROUTES.map(({ source, endpoint, enabled }) => ({ source, endpoint, enabled }))).toEqual([
      { source: 'DeviceMessages', endpoint: 'events', enabled: true },
      { source: 'TwinChangeEvents', endpoint: 'events', enabled: true },
    ]);
  });

  test('parseRoutes reads names case-insensitively, with aliases and spaces', () => {
    expect(parseRoutes('DeviceMessages,TwinChangeEvents')).toEqual(DEFAULT_ROUTES);
    expect(parseRoutes(' telemetry , twinChangeEvents ').map((r) => r.source)).toEqual(['DeviceMessages', 'TwinChangeEvents']);
    expect(parseRoutes('TWINCHANGEEVENTS').map((r) => r.source)).toEqual(['TwinChangeEvents']);
    expect(parseRoutes('devicemessages').map((r) => r.source)).toEqual(['DeviceMessages']);
  });

  test('a source named twice yields one route', () => {
    expect(parseRoutes('telemetry,DeviceMessages').map((r) => r.source)).toEqual(['DeviceMessages']);
  });

  test('an empty spec means no routes', () => {
    expect(parseRoutes('')).toEqual([]);
    expect(parseRoutes('  ')).toEqual([]);
  });

  test('an unknown name is an error naming it and the valid ones', () => {
    expect(() => parseRoutes('DeviceMessages,Lifecycle')).toThrow(
      "Unknown route source 'Lifecycle'; valid: DeviceMessages (or telemetry), TwinChangeEvents.",
    );
    expect(() => parseRoutes('DeviceMessages,')).toThrow("Unknown route source ''");
  });
});
