import {
  applyPatch,
  desiredPatchForDevice,
  deviceTwinView,
  emptyTwin,
  serviceTwinSections,
  twinEtag,
  updateTwin,
  type JsonObject,
} from '../../../local/hub/twin';
import { T1, T2 } from './twinTestUtils';

const twin = updateTwin(
  applyPatch(emptyTwin(), 'reported', { batteryLevel: 55, telemetryConfig: { status: 'success' } }, T1).state,
  { tags: { deploymentLocation: { building: '43' } }, desired: { telemetryConfig: { sendFrequency: '5m' }, list: [1, 2] } },
  T2,
).state;

describe('deviceTwinView (MQTT GET body)', () => {
  it('has both property sections with $version and no $metadata or tags', () => {
    expect(deviceTwinView(twin)).toEqual({
      desired: { telemetryConfig: { sendFrequency: '5m' }, list: [1, 2], $version: 2 },
      reported: { batteryLevel: 55, telemetryConfig: { status: 'success' }, $version: 2 },
    });
  });

  it('renders a new twin as {"desired":{"$version":1},"reported":{"$version":1}}', () => {
    expect(JSON.stringify(deviceTwinView(emptyTwin()))).toBe('{"desired":{"$version":1},"reported":{"$version":1}}');
  });

  it('returns copies the caller may change', () => {
    const view = deviceTwinView(twin);
    (view.desired.telemetryConfig as JsonObject).sendFrequency = 'changed';
    (view.desired.list as number[]).push(3);
    expect(twin.desired.properties).toEqual({ telemetryConfig: { sendFrequency: '5m' }, list: [1, 2] });
  });
});

describe('serviceTwinSections (GET /twins/{id})', () => {
  it('has tags and both sections with values, then $metadata, then $version', () => {
    const sections = serviceTwinSections(twin);
    expect(sections).toEqual({
      tags: { deploymentLocation: { building: '43' } },
      properties: {
        desired: {
          telemetryConfig: { sendFrequency: '5m' },
          list: [1, 2],
          $metadata: {
            $lastUpdated: T2,
            $lastUpdatedVersion: 2,
            telemetryConfig: { $lastUpdated: T2, $lastUpdatedVersion: 2, sendFrequency: { $lastUpdated: T2, $lastUpdatedVersion: 2 } },
            list: { $lastUpdated: T2, $lastUpdatedVersion: 2 },
          },
          $version: 2,
        },
        reported: {
          batteryLevel: 55,
          telemetryConfig: { status: 'success' },
          $metadata: {
            $lastUpdated: T1,
            batteryLevel: { $lastUpdated: T1 },
            telemetryConfig: { $lastUpdated: T1, status: { $lastUpdated: T1 } },
          },
          $version: 2,
        },
      },
    });
    expect(Object.keys(sections.properties.desired)).toEqual(['telemetryConfig', 'list', '$metadata', '$version']);
  });

  it('leaves tags out while the twin has none, as IoT Hub does', () => {
    expect(serviceTwinSections(emptyTwin())).not.toHaveProperty('tags');
    const cleared = applyPatch(applyPatch(emptyTwin(), 'tags', { a: 1 }, T1).state, 'tags', { a: null }, T2).state;
    expect(serviceTwinSections(cleared)).not.toHaveProperty('tags');
  });

  it('returns copies the caller may change', () => {
    const sections = serviceTwinSections(twin);
    (sections.tags?.deploymentLocation as JsonObject).building = 'X';
    (sections.properties.desired.$metadata.list as JsonObject).$lastUpdated = 'X';
    expect(twin.tags).toEqual({ deploymentLocation: { building: '43' } });
    expect(twin.desired.metadata.children?.list.lastUpdated).toBe(T2);
  });
});

describe('desiredPatchForDevice', () => {
  it('is the patch with nulls kept and $version added', () => {
    expect(desiredPatchForDevice({ telemetrySendFrequency: '5m', route: null }, 8)).toEqual({
      telemetrySendFrequency: '5m',
      route: null,
      $version: 8,
    });
    expect(JSON.stringify(desiredPatchForDevice({ a: { b: null } }, 3))).toBe('{"a":{"b":null},"$version":3}');
  });

  it('copies the patch', () => {
    const patch = { a: { b: 1 } };
    const body = desiredPatchForDevice(patch, 2);
    (body.a as JsonObject).b = 2;
    expect(patch.a.b).toBe(1);
  });
});

describe('twinEtag', () => {
  it.each([
    [0, 'AAAAAAAAAAA='],
    [1, 'AAAAAAAAAAE='],
    [2, 'AAAAAAAAAAI='],
    [7, 'AAAAAAAAAAc='],
    [256, 'AAAAAAAAAQA='],
    [Number.MAX_SAFE_INTEGER, 'AB////////8='],
  ])('encodes version %i as %s (base64 big-endian int64)', (version, etag) => {
    expect(twinEtag(version)).toBe(etag);
    expect(Buffer.from(etag, 'base64').readBigInt64BE()).toBe(BigInt(version));
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses %p', (version) => {
    expect(() => twinEtag(version)).toThrow(RangeError);
  });
});
