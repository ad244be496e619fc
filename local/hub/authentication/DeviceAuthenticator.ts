import { grants, type SharedAccessPolicy } from './accessPolicies';
import { isExpired, isSignedWith, parseSas } from './sharedAccessSignature';
import type { DeviceRegistry } from '../registry/DeviceRegistry';

/**
 * MQTT 3.1.1 §3.2.2.3 CONNACK return codes IoT Hub uses: 5 for every credential it does not accept
 * (a token that is malformed, expired, for another resource or wrongly signed; an unknown or
 * disabled device), as device SDK logs against the real service show; 4 only for a user name
 * that is not of IoT Hub's form; 3 for a connection over the hub's new-connection throttle.
 */
export const enum ConnectRefusal {
  ServerUnavailable = 3,
  BadUsernameOrPassword = 4,
  NotAuthorized = 5,
}

export type DeviceAuthResult = { deviceId: string } | { refusal: ConnectRefusal; reason: string };

/**
 * Verifies a device's MQTT CONNECT as IoT Hub does: client id = device id, user name
 * `<hub host>/<device id>/?api-version=…`, password a SAS token for `<host>/devices/<id>` signed with
 * the device's key (or with a hub policy that grants DeviceConnect). Unknown and disabled devices
 * are refused.
 */
export class DeviceAuthenticator {
  constructor(
    private readonly hostNameOf: () => string,
    private readonly registry: DeviceRegistry,
    private readonly policies: SharedAccessPolicy[],
  ) {}

  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): DeviceAuthResult {
    const deviceId = clientId;
    const hostName = this.hostNameOf();
    const expectedUser = `${hostName}/${deviceId}/`.toLowerCase();
    if (!username || !username.toLowerCase().startsWith(expectedUser)) {
      return refuse(ConnectRefusal.BadUsernameOrPassword, `user name must start with ${hostName}/${deviceId}/`);
    }
    const token = parseSas(password?.toString('utf8'));
    if (typeof token === 'string') return refuse(ConnectRefusal.NotAuthorized, token);
    const record = this.registry.get(deviceId);
    if (!record) return refuse(ConnectRefusal.NotAuthorized, `device ${deviceId} is not registered`);
    if (record.identity.status !== 'enabled') return refuse(ConnectRefusal.NotAuthorized, `device ${deviceId} is disabled`);
    const resource = token.resource.toLowerCase();
    if (resource !== `${hostName}/devices/${deviceId}`.toLowerCase() && resource !== hostName.toLowerCase()) {
      return refuse(ConnectRefusal.NotAuthorized, `token resource ${token.resource} does not match device ${deviceId}`);
    }
    if (isExpired(token)) return refuse(ConnectRefusal.NotAuthorized, 'token expired');
    const keys = this.keysFor(record.identity.authentication, token.skn);
    if (keys.length === 0)
      return refuse(ConnectRefusal.NotAuthorized, `no key can sign for device ${deviceId}${token.skn ? ` with policy ${token.skn}` : ''}`);
    if (!keys.some((key) => isSignedWith(token, key))) return refuse(ConnectRefusal.NotAuthorized, 'signature mismatch');
    return { deviceId };
  }

  private keysFor(
    auth: { type: string; symmetricKey: { primaryKey: string | null; secondaryKey: string | null } },
    skn: string | undefined,
  ): Buffer[] {
    if (skn) {
      const policy = this.policies.find((p) => p.keyName === skn);
      return policy && grants(policy, 'DeviceConnect') ? [policy.primaryKey, policy.secondaryKey].map((k) => Buffer.from(k, 'base64')) : [];
    }
    if (auth.type !== 'sas') return [];
    return [auth.symmetricKey.primaryKey, auth.symmetricKey.secondaryKey]
      .filter((k): k is string => !!k)
      .map((k) => Buffer.from(k, 'base64'));
  }
}

function refuse(refusal: ConnectRefusal, reason: string): DeviceAuthResult {
  return { refusal, reason };
}
