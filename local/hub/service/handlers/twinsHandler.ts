import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import type { ServiceTwinPatch } from '../../registry/DeviceRegistry';
import { twinView } from '../../registry/views';
import type { Route } from '../serviceContext';

/** Device twins: GET, PATCH (merge) and PUT (replace) /twins/{id}. */
export const twinRoutes: Route[] = [
  {
    method: 'GET',
    path: '/twins/{id}',
    anyOf: ['ServiceConnect', 'RegistryRead'],
    style: 'nested',
    operation: 'twinReads',
    handle({ params, services }) {
      return { status: 200, body: twinView(services.registry.require(params.id, 'nested')) };
    },
  },
  {
    method: 'PATCH',
    path: '/twins/{id}',
    anyOf: ['ServiceConnect', 'RegistryWrite'],
    style: 'nested',
    operation: 'twinUpdates',
    handle({ params, headers, body, services }) {
      const record = services.registry.updateTwin(params.id, writableParts(body), headers['if-match']);
      return { status: 200, body: twinView(record) };
    },
  },
  {
    method: 'PUT',
    path: '/twins/{id}',
    anyOf: ['ServiceConnect', 'RegistryWrite'],
    style: 'nested',
    operation: 'twinUpdates',
    handle({ params, headers, body, services }) {
      const record = services.registry.replaceTwin(params.id, writableParts(body), headers['if-match']);
      return { status: 200, body: twinView(record) };
    },
  },
];

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
