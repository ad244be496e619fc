/** A small but realistic fleet of device twins, shaped exactly like IoT Hub's query results. */

interface TwinOptions {
  status?: 'enabled' | 'disabled';
  connectionState?: 'Connected' | 'Disconnected';
  authenticationType?: 'sas' | 'selfSigned';
  iotEdge?: boolean;
  tags?: Record<string, unknown>;
  desired?: Record<string, unknown>;
  reported?: Record<string, unknown>;
}

function twin(deviceId: string, options: TwinOptions): Record<string, unknown> {
  const desired = options.desired ?? {};
  const reported = options.reported ?? {};
  return {
    deviceId,
    etag: 'AAAAAAAAAAc=',
    deviceEtag: 'Njc2MzYzMjQ5',
    status: options.status ?? 'enabled',
    statusUpdateTime: '0001-01-01T00:00:00Z',
    connectionState: options.connectionState ?? 'Disconnected',
    lastActivityTime: '2024-05-01T10:00:00.0000000Z',
    cloudToDeviceMessageCount: 0,
    authenticationType: options.authenticationType ?? 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    modelId: '',
    version: 4,
    tags: options.tags ?? {},
    properties: {
      desired: { ...desired, $metadata: { $lastUpdated: '2024-05-01T09:00:00.0000000Z' }, $version: 2 },
      reported: { ...reported, $metadata: { $lastUpdated: '2024-05-01T09:30:00.0000000Z' }, $version: 7 },
    },
    capabilities: { iotEdge: options.iotEdge ?? false },
  };
}

export const FLEET: Record<string, unknown>[] = [
  twin('thermo-001', {
    connectionState: 'Connected',
    tags: { location: { region: 'US', plant: 'Redmond43' }, deviceType: 'thermostat', criticality: 3 },
    desired: { telemetryConfig: { configId: 'cfg-1', sendFrequencyInSecs: 300 }, firmware: { version: '2.1.0' } },
    reported: {
      telemetryConfig: { configId: 'cfg-1', sendFrequencyInSecs: 300, status: 'Success' },
      firmware: { version: '2.1.0', updateStatus: 'current' },
      connectivity: { type: 'wifi' },
      batteryLevel: 87,
    },
  }),
  twin('thermo-002', {
    tags: { location: { region: 'US', plant: 'Redmond43' }, deviceType: 'thermostat', criticality: 1 },
    desired: { telemetryConfig: { configId: 'cfg-2', sendFrequencyInSecs: 60 }, firmware: { version: '2.1.0' } },
    reported: {
      telemetryConfig: { configId: 'cfg-1', sendFrequencyInSecs: 300, status: 'Pending' },
      firmware: { version: '2.0.5', updateStatus: 'downloading' },
      connectivity: { type: 'cellular' },
      batteryLevel: 15,
    },
  }),
  twin('pump-001', {
    connectionState: 'Connected',
    tags: { location: { region: 'EU', plant: 'Dublin1' }, deviceType: 'pump', criticality: 5, labels: ['critical', 'outdoor'] },
    desired: { telemetryConfig: { configId: 'cfg-3', sendFrequencyInSecs: 30 } },
    reported: {
      telemetryConfig: { configId: 'cfg-3', sendFrequencyInSecs: 30, status: 'Error' },
      firmware: { version: '1.9.0', updateStatus: 'failed' },
      connectivity: { type: 'wired' },
      batteryLevel: null,
    },
  }),
  twin('pump-002', {
    status: 'disabled',
    tags: { location: { region: 'EU', plant: 'Dublin1' }, deviceType: 'pump', criticality: 5 },
    reported: { firmware: { version: '2.1.0', updateStatus: 'current' }, connectivity: { type: 'wired' } },
  }),
  twin('gateway-01', {
    connectionState: 'Connected',
    iotEdge: true,
    authenticationType: 'selfSigned',
    tags: { location: { region: 'APAC' }, deviceType: 'gateway' },
    // A number where the rest of the fleet has a string: comparisons against strings are undefined.
    reported: { telemetryConfig: { status: 'Success' }, firmware: { version: 3 } },
  }),
  twin('sensor-new', {}),
  twin("o'brien-sensor", {
    tags: { location: { region: 'US', plant: 'Plant "7"' }, deviceType: 'sensor', criticality: 2 },
    reported: {
      telemetryConfig: { status: 'Success' },
      firmware: { version: '2.1.0-beta', updateStatus: 'current' },
      batteryLevel: 50.5,
    },
  }),
  twin('legacy-01', {
    tags: { location: { region: null }, deviceType: 'sensor', criticality: 2 },
    reported: {
      telemetryConfig: { status: 'Pending' },
      firmware: { version: '10.0.0', updateStatus: 'current' },
      connectivity: { type: 'wifi' },
      batteryLevel: 0,
    },
  }),
];

export const ALL_IDS = FLEET.map((row) => row.deviceId as string);
