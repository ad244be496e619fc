import { TWIN_READ, TWIN_WRITE } from '../../authentication/accessPolicies';
import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import type { DeviceRegistry, ServiceTwinPatch } from '../../registry/DeviceRegistry';
import type { DeviceRecord } from '../../registry/deviceRecord';
import { twinView } from '../../registry/views';
import type { Route } from '../serviceContext';

/** Device twins: GET, PATCH (merge) and PUT (replace) /twins/{id}. */
export const twinRoutes: Route[] = [
  {
    method: 'GET',
    path: '/twins/{id}',
    anyOf: TWIN_READ,
    style: 'nested',
    operation: 'twinReads',
    handle({ params, services }) {
      return { status: 200, body: twinView(services.registry.require(params.id, 'nested')) };
    },
  },
  twinWrite('PATCH', (registry, id, patch, ifMatch) => registry.updateTwin(id, patch, ifMatch)),
  twinWrite('PUT', (registry, id, patch, ifMatch) => registry.replaceTwin(id, patch, ifMatch)),
];

type TwinWrite = (registry: DeviceRegistry, deviceId: string, patch: ServiceTwinPatch, ifMatch: string | undefined) => DeviceRecord;

/** A service write to /twins/{id}; the method says whether the registry merges or replaces. */
function twinWrite(method: 'PATCH' | 'PUT', write: TwinWrite): Route {
  return {
    method,
    path: '/twins/{id}',
    anyOf: TWIN_WRITE,
    style: 'nested',
    operation: 'twinUpdates',
    handle({ params, headers, body, services }) {
      return { status: 200, body: twinView(write(services.registry, params.id, writableParts(body), headers['if-match'])) };
    },
  };
}

/**
 * The service may write tags and desired properties. Other twin fields a client echoes back
 * (deviceId, etag, status…) are read-only and ignored, but reported properties are the device's
 * alone and writing them is an error.
 */
function writableParts(body: unknown): ServiceTwinPatch {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw IotHubErrorFactory.argumentInvalid('The twin patch must be a JSON object.', 'nested');
  }
  const { tags, properties } = body as { tags?: unknown; properties?: unknown };
  const patch: ServiceTwinPatch = {};
  if (tags !== undefined) patch.tags = tags as ServiceTwinPatch['tags'];
  if (properties !== undefined) {
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) {
      throw IotHubErrorFactory.argumentInvalid('properties must be an object with a desired section.', 'nested');
    }
    const { desired, reported, ...others } = properties as Record<string, unknown>;
    if (reported !== undefined) {
      throw IotHubErrorFactory.argumentInvalid('Reported properties can only be written by the device.', 'nested');
    }
    const unknown = Object.keys(others);
    if (unknown.length > 0)
      throw IotHubErrorFactory.argumentInvalid(`Unknown twin properties section(s): ${unknown.join(', ')}.`, 'nested');
    if (desired !== undefined) patch.desired = desired as ServiceTwinPatch['desired'];
  }
  return patch;
}
