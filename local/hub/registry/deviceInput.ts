import { z } from 'zod';
import type { ErrorBodyStyle } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import type { AuthenticationType, DeviceStatus } from './deviceRecord';

/** IoT Hub: up to 128 ASCII alphanumerics plus - . + % _ # * ? ! ( ) , : = @ $ ' */
const DEVICE_ID = /^[A-Za-z0-9\-.+%_#*?!(),:=@$']{1,128}$/;

export function assertValidDeviceId(deviceId: unknown, style: ErrorBodyStyle = 'legacy'): asserts deviceId is string {
  if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) {
    throw IotHubErrorFactory.argumentInvalid(
      `DeviceId ${JSON.stringify(deviceId)} is invalid: it must be 1-128 characters of A-Z a-z 0-9 and - . + % _ # * ? ! ( ) , : = @ $ '`,
      style,
    );
  }
}

const base64Key = z.string().refine((key) => key === '' || isKeyOfValidLength(key), 'must be base64 of 16 to 64 bytes');

function isKeyOfValidLength(key: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return false;
  const bytes = Buffer.from(key, 'base64').length;
  return bytes >= 16 && bytes <= 64;
}

/** The writable part of a device, as PUT /devices/{id} and the bulk API accept it. */
const deviceInputSchema = z.object({
  deviceId: z.string().optional(),
  id: z.string().optional(),
  etag: z.string().nullish(),
  status: z.enum(['enabled', 'disabled']).optional(),
  statusReason: z.string().nullish(),
  authentication: z
    .object({
      type: z.enum(['sas', 'selfSigned', 'certificateAuthority', 'none']).optional(),
      symmetricKey: z.object({ primaryKey: base64Key.nullish(), secondaryKey: base64Key.nullish() }).nullish(),
      x509Thumbprint: z.object({ primaryThumbprint: z.string().nullish(), secondaryThumbprint: z.string().nullish() }).nullish(),
    })
    .nullish(),
  capabilities: z.object({ iotEdge: z.boolean().optional() }).nullish(),
});

export interface DeviceInput {
  deviceId: string;
  etag?: string;
  status?: DeviceStatus;
  statusReason?: string | null;
  authenticationType: AuthenticationType;
  primaryKey?: string;
  secondaryKey?: string;
  primaryThumbprint?: string | null;
  secondaryThumbprint?: string | null;
  iotEdge?: boolean;
}

/** Validates a device body; every problem is named in one ArgumentInvalid error. */
export function parseDeviceInput(body: unknown): DeviceInput {
  const parsed = deviceInputSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw IotHubErrorFactory.argumentInvalid(`Invalid device: ${problems.join('; ')}`);
  }
  const d = parsed.data;
  const deviceId = d.deviceId ?? d.id;
  assertValidDeviceId(deviceId);
  const auth = d.authentication;
  const input: DeviceInput = {
    deviceId,
    authenticationType: auth?.type ?? 'sas',
  };
  if (d.etag) input.etag = d.etag;
  if (d.status) input.status = d.status;
  if (d.statusReason !== undefined) input.statusReason = d.statusReason;
  if (auth?.symmetricKey?.primaryKey) input.primaryKey = auth.symmetricKey.primaryKey;
  if (auth?.symmetricKey?.secondaryKey) input.secondaryKey = auth.symmetricKey.secondaryKey;
  if (auth?.x509Thumbprint) {
    input.primaryThumbprint = auth.x509Thumbprint.primaryThumbprint ?? null;
    input.secondaryThumbprint = auth.x509Thumbprint.secondaryThumbprint ?? null;
  }
  if (d.capabilities?.iotEdge !== undefined) input.iotEdge = d.capabilities.iotEdge;
  return input;
}
