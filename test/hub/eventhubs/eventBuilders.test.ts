import type { TelemetryMessage } from '../../../local/hub/device/deviceContext';
import { telemetryEvent } from '../../../local/hub/eventhubs/routing/telemetryEvent';
import { twinChangeEvent } from '../../../local/hub/eventhubs/routing/twinChangeEvent';
import type { TwinChange } from '../../../local/hub/registry/DeviceRegistry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('twinChangeEvent', () => {
  const change: TwinChange = {
    deviceId: 'dev-1',
    opType: 'updateTwin',
    body: {
      version: 7,
      tags: { site: 'berlin' },
      properties: { reported: { fw: '1.2.0', $metadata: { $lastUpdated: '2024-05-01T10:00:00.000Z' }, $version: 4 } },
    },
    operationTimestamp: '2024-05-01T10:00:00.000Z',
  };

  test('builds the documented twin change event', () => {
    const event = twinChangeEvent(change, 'my-hub', '2024-05-01T10:00:00.120Z', '638000000000000000');
    expect(event).toEqual({
      body: Buffer.from(JSON.stringify(change.body), 'utf8'),
      properties: {
        hubName: 'my-hub',
        deviceId: 'dev-1',
        operationTimestamp: '2024-05-01T10:00:00.000Z',
        'iothub-message-schema': 'twinChangeNotification',
        opType: 'updateTwin',
      },
      annotations: {
        'iothub-connection-device-id': 'dev-1',
        'iothub-enqueuedtime': Date.UTC(2024, 4, 1, 10, 0, 0, 120),
        'iothub-message-source': 'twinChangeEvents',
        'iothub-connection-auth-generation-id': '638000000000000000',
      },
      amqpProperties: {
        correlationId: expect.stringMatching(UUID),
        userId: 'my-hub',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
      },
      partitionKey: 'dev-1',
    });
    expect(JSON.parse(event.body.toString('utf8'))).toEqual(change.body);
  });

  test('leaves out the generation id when not given, carries replaceTwin, and ids each event', () => {
    const replace: TwinChange = { ...change, opType: 'replaceTwin' };
    const first = twinChangeEvent(replace, 'my-hub', '2024-05-01T10:00:00.000Z');
    const second = twinChangeEvent(replace, 'my-hub', '2024-05-01T10:00:00.000Z');
    expect(first.annotations).not.toHaveProperty('iothub-connection-auth-generation-id');
    expect(first.properties.opType).toBe('replaceTwin');
    expect(first.amqpProperties.correlationId).not.toBe(second.amqpProperties.correlationId);
  });
});

describe('telemetryEvent', () => {
  const message: TelemetryMessage = {
    deviceId: 'dev-2',
    body: Buffer.from([0x01, 0xff, 0x00]),
    properties: { alert: 'true', 'iothub-creation-time-utc': '2024-05-01T09:59:59Z' },
    systemProperties: {
      'message-id': 'msg-1',
      'correlation-id': 'corr-1',
      'user-id': 'user-1',
      to: '/devices/dev-2/messages/events',
      'content-type': 'application/json',
      'content-encoding': 'utf-8',
      'absolute-expiry-time': '2024-05-02T00:00:00.000Z',
      'interface-id': 'dtmi:com:example:Thermostat;1',
    },
    enqueuedTime: '2024-05-01T10:00:00.500Z',
  };

  test('maps every system property and stamps the documented annotations', () => {
    expect(telemetryEvent(message, '638000000000000001')).toEqual({
      body: message.body,
      properties: { alert: 'true', 'iothub-creation-time-utc': '2024-05-01T09:59:59Z' },
      annotations: {
        'iothub-connection-device-id': 'dev-2',
        'iothub-connection-auth-method': '{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}',
        'iothub-connection-auth-generation-id': '638000000000000001',
        'iothub-enqueuedtime': Date.UTC(2024, 4, 1, 10, 0, 0, 500),
        'iothub-message-source': 'Telemetry',
        'iothub-interface-id': 'dtmi:com:example:Thermostat;1',
      },
      amqpProperties: {
        messageId: 'msg-1',
        correlationId: 'corr-1',
        userId: 'user-1',
        to: '/devices/dev-2/messages/events',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        absoluteExpiryTime: Date.UTC(2024, 4, 2),
      },
      partitionKey: 'dev-2',
    });
  });

  test('a bare message gets no AMQP properties and no optional annotations', () => {
    const bare: TelemetryMessage = {
      deviceId: 'dev-3',
      body: Buffer.from('x'),
      properties: {},
      systemProperties: {},
      enqueuedTime: '2024-05-01T10:00:00.000Z',
    };
    const event = telemetryEvent(bare);
    expect(event.amqpProperties).toEqual({});
    expect(Object.keys(event.annotations).sort()).toEqual([
      'iothub-connection-auth-method',
      'iothub-connection-device-id',
      'iothub-enqueuedtime',
      'iothub-message-source',
    ]);
    expect(event.properties).toEqual({});
  });

  test('an unparseable expiry time is left out rather than stored as NaN', () => {
    const odd: TelemetryMessage = { ...message, systemProperties: { 'absolute-expiry-time': 'soon' } };
    expect(telemetryEvent(odd).amqpProperties).toEqual({});
  });

  test('copies the application properties instead of sharing them', () => {
    const event = telemetryEvent(message);
    event.properties.alert = 'changed';
    expect(message.properties.alert).toBe('true');
  });
});
