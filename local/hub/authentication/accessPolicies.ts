import { randomBytes } from 'node:crypto';

/** IoT Hub permissions (the rights a shared access policy grants). */
export type Permission = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';

export interface SharedAccessPolicy {
  keyName: string;
  primaryKey: string;
  secondaryKey: string;
  rights: Permission[];
}

/** Reading twins, by id or by query: either right will do. */
export const TWIN_READ: Permission[] = ['ServiceConnect', 'RegistryRead'];
/** Writing tags and desired properties: either right will do. */
export const TWIN_WRITE: Permission[] = ['ServiceConnect', 'RegistryWrite'];

/** The policies every IoT Hub is created with, with the same rights. */
const BUILT_IN_RIGHTS: Record<string, Permission[]> = {
  iothubowner: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
  service: ['ServiceConnect'],
  device: ['DeviceConnect'],
  registryRead: ['RegistryRead'],
  registryReadWrite: ['RegistryRead', 'RegistryWrite'],
};

export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

export function createBuiltInPolicies(): SharedAccessPolicy[] {
  return Object.entries(BUILT_IN_RIGHTS).map(([keyName, rights]) => ({
    keyName,
    primaryKey: generateKey(),
    secondaryKey: generateKey(),
    rights,
  }));
}

/** RegistryWrite implies RegistryRead, as in IoT Hub. */
export function grants(policy: SharedAccessPolicy, needed: Permission): boolean {
  return policy.rights.includes(needed) || (needed === 'RegistryRead' && policy.rights.includes('RegistryWrite'));
}
