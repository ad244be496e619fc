import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import { parseDeviceInput, assertValidDeviceId } from '../../registry/deviceInput';
import type { BulkImportMode } from '../../registry/DeviceRegistry';
import { deviceView } from '../../registry/views';
import type { Route } from '../serviceContext';

const MAX_BULK = 100;
const MAX_LIST = 1000;

const BULK_MODES: Record<string, BulkImportMode> = {
  create: 'create',
  update: 'update',
  updateifmatchetag: 'updateIfMatchETag',
  delete: 'delete',
  deleteifmatchetag: 'deleteIfMatchETag',
};

/** Device identities: /devices/{id}, the device list and the bulk registry API. */
export const deviceRoutes: Route[] = [
  {
    method: 'PUT',
    path: '/devices/{id}',
    anyOf: ['RegistryWrite'],
    style: 'legacy',
    operation: 'identityRegistry',
    handle({ params, headers, body, services }) {
      const input = parseDeviceInput(body);
      if (input.deviceId !== params.id) {
        throw IotHubErrorFactory.argumentInvalid(
          `The deviceId in the body (${input.deviceId}) does not match the one in the path (${params.id}).`,
        );
      }
      // Without If-Match, PUT creates; with it, PUT updates (as IoT Hub does).
      const ifMatch = headers['if-match'];
      const record = ifMatch === undefined ? services.registry.create(input) : services.registry.update(input, ifMatch);
      return { status: 200, body: deviceView(record) };
    },
  },
  {
    method: 'GET',
    path: '/devices/{id}',
    anyOf: ['RegistryRead'],
    style: 'legacy',
    operation: 'identityRegistry',
    handle({ params, services }) {
      assertValidDeviceId(params.id);
      return { status: 200, body: deviceView(services.registry.require(params.id)) };
    },
  },
  {
    method: 'DELETE',
    path: '/devices/{id}',
    anyOf: ['RegistryWrite'],
    style: 'legacy',
    operation: 'identityRegistry',
    handle({ params, headers, services }) {
      services.registry.delete(params.id, headers['if-match']);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/devices',
    anyOf: ['RegistryRead'],
    style: 'legacy',
    operation: 'identityRegistry',
    handle({ query, services }) {
      const requested = query.get('top');
      const top = requested === null ? MAX_LIST : Number(requested);
      if (!Number.isInteger(top) || top < 1 || top > MAX_LIST) {
        throw IotHubErrorFactory.argumentInvalid(`top must be an integer from 1 to ${MAX_LIST}; got '${requested}'.`);
      }
      const devices = [];
      for (const record of services.registry.list()) {
        if (devices.length === top) break;
        devices.push(deviceView(record));
      }
      return { status: 200, body: devices };
    },
  },
  {
    method: 'POST',
    path: '/devices',
    anyOf: ['RegistryWrite'],
    style: 'legacy',
    operation: 'identityRegistry',
    handle({ body, services }) {
      if (!Array.isArray(body)) throw IotHubErrorFactory.argumentInvalid('The bulk registry request body must be an array of devices.');
      if (body.length === 0) throw IotHubErrorFactory.argumentInvalid('The bulk registry request contains no devices.');
      if (body.length > MAX_BULK) throw IotHubErrorFactory.tooManyDevices(body.length, MAX_BULK);
      // Validate every entry before touching the registry, so bad input changes nothing.
      const operations = body.map((entry: unknown, index: number) => {
        const rawMode = (entry as { importMode?: unknown } | null)?.importMode;
        const mode = typeof rawMode === 'string' ? BULK_MODES[rawMode.toLowerCase()] : undefined;
        if (!mode) {
          throw IotHubErrorFactory.argumentInvalid(
            `Device ${index}: importMode ${JSON.stringify(rawMode)} is not one of ${Object.values(BULK_MODES).join(', ')}.`,
          );
        }
        return { mode, input: parseDeviceInput(entry) };
      });
      return { status: 200, body: services.registry.bulk(operations) };
    },
  },
];
