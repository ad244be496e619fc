import type { TwinState } from '../twin';

export type DeviceStatus = 'enabled' | 'disabled';
export type AuthenticationType = 'sas' | 'selfSigned' | 'certificateAuthority' | 'none';

/** A device identity as the registry REST API serves it. */
export interface DeviceIdentity {
  deviceId: string;
  generationId: string;
  etag: string;
  connectionState: 'Connected' | 'Disconnected';
  status: DeviceStatus;
  statusReason: string | null;
  connectionStateUpdatedTime: string;
  statusUpdatedTime: string;
  lastActivityTime: string;
  cloudToDeviceMessageCount: number;
  authentication: {
    symmetricKey: { primaryKey: string | null; secondaryKey: string | null };
    x509Thumbprint: { primaryThumbprint: string | null; secondaryThumbprint: string | null };
    type: AuthenticationType;
  };
  capabilities: { iotEdge: boolean };
}

/** What the registry keeps per device: identity and twin, persisted together. */
export interface DeviceRecord {
  identity: DeviceIdentity;
  twin: TwinState;
  /** Bumped on every identity change; the device etag is derived from it. */
  identityVersion: number;
}

/** .NET's DateTime.MinValue, which IoT Hub reports for times that never happened. */
export const NEVER = '0001-01-01T00:00:00Z';

export function deviceEtag(identityVersion: number): string {
  return Buffer.from(String(identityVersion)).toString('base64');
}
