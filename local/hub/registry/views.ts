import { serviceTwinSections, twinEtag } from '../twin';
import type { DeviceIdentity, DeviceRecord } from './deviceRecord';

/** The device identity as GET /devices/{id} returns it. */
export function deviceView(record: DeviceRecord): DeviceIdentity {
  return record.identity;
}

/** Rendered twins by record: records are replaced on every change, so an entry never goes stale. */
const twinViews = new WeakMap<DeviceRecord, Record<string, unknown>>();

/**
 * The twin as GET /twins/{id} and SELECT * queries return it. Rendered once per record version
 * (queries page through every twin); callers must not mutate it.
 */
export function twinView(record: DeviceRecord): Record<string, unknown> {
  let view = twinViews.get(record);
  if (!view) twinViews.set(record, (view = renderTwin(record)));
  return view;
}

function renderTwin(record: DeviceRecord): Record<string, unknown> {
  const id = record.identity;
  return {
    deviceId: id.deviceId,
    etag: twinEtag(record.twin.version),
    deviceEtag: id.etag,
    status: id.status,
    statusReason: id.statusReason,
    statusUpdateTime: id.statusUpdatedTime,
    connectionState: id.connectionState,
    lastActivityTime: id.lastActivityTime,
    cloudToDeviceMessageCount: id.cloudToDeviceMessageCount,
    authenticationType: id.authentication.type,
    x509Thumbprint: id.authentication.x509Thumbprint,
    modelId: '',
    version: record.twin.version,
    ...serviceTwinSections(record.twin),
    capabilities: id.capabilities,
  };
}
