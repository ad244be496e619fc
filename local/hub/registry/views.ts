import { serviceTwinSections, twinEtag } from '../twin';
import type { DeviceIdentity, DeviceRecord } from './deviceRecord';

/** The device identity as GET /devices/{id} returns it. */
export function deviceView(record: DeviceRecord): DeviceIdentity {
  return record.identity;
}

/** The twin as GET /twins/{id} and SELECT * queries return it. */
export function twinView(record: DeviceRecord): Record<string, unknown> {
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
