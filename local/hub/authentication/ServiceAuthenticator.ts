import type { ErrorBodyStyle } from '../errors/IotHubError';
import { IotHubErrorFactory } from '../errors/IotHubErrorFactory';
import { grants, type Permission, type SharedAccessPolicy } from './accessPolicies';
import { isExpired, isSignedWith, isWithinScope, parseSas } from './sharedAccessSignature';

/**
 * Checks the SAS token of a service request (Authorization header) against the hub's shared access
 * policies and the rights the operation needs, as IoT Hub does on every request.
 */
export class ServiceAuthenticator {
  private readonly policies: Map<string, { policy: SharedAccessPolicy; keys: Buffer[] }>;

  constructor(
    private readonly hostNameOf: () => string,
    policies: SharedAccessPolicy[],
  ) {
    this.policies = new Map(
      policies.map((policy) => [
        policy.keyName,
        { policy, keys: [policy.primaryKey, policy.secondaryKey].map((k) => Buffer.from(k, 'base64')) },
      ]),
    );
  }

  /** Returns the policy the token was signed with; throws 401 otherwise. */
  authenticate(authorization: string | undefined, anyOf: Permission[], style: ErrorBodyStyle): SharedAccessPolicy {
    const token = parseSas(authorization);
    if (typeof token === 'string') throw IotHubErrorFactory.unauthorized(token, style);
    if (!token.skn) throw IotHubErrorFactory.unauthorized('The token names no shared access policy (skn).', style);
    const entry = this.policies.get(token.skn);
    if (!entry) throw IotHubErrorFactory.unauthorized(`Shared access policy '${token.skn}' does not exist.`, style);
    if (!isWithinScope(token.resource, this.hostNameOf())) {
      throw IotHubErrorFactory.unauthorized(`The token's resource '${token.resource}' is not this hub (${this.hostNameOf()}).`, style);
    }
    if (isExpired(token)) throw IotHubErrorFactory.unauthorized('The token has expired.', style);
    if (!entry.keys.some((key) => isSignedWith(token, key))) {
      throw IotHubErrorFactory.unauthorized('The token signature does not match the policy key.', style);
    }
    if (!anyOf.some((permission) => grants(entry.policy, permission))) {
      throw IotHubErrorFactory.unauthorizedAccess(
        `Authorization rule '${token.skn}' does not allow access for this operation (needs ${anyOf.join(' or ')}).`,
        style,
      );
    }
    return entry.policy;
  }
}
