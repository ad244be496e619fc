import { grants, type SharedAccessPolicy } from './accessPolicies';
import { isExpired, isSignedWith, parseSas, type ParsedSas } from './sharedAccessSignature';

export type EventHubTokenCheck = { ok: true; token: ParsedSas } | { ok: false; reason: string };

/**
 * SAS tokens for the Event Hub-compatible endpoint. IoT Hub accepts its own policies there (those
 * granting ServiceConnect), but Event Hubs clients sign with the key's text as UTF-8 bytes, not
 * with the base64-decoded key the IoT Hub SDKs use.
 */
export class EventHubAuthenticator {
  private readonly keys: Map<string, Buffer[]>;

  constructor(policies: SharedAccessPolicy[]) {
    this.keys = new Map(
      policies
        .filter((policy) => grants(policy, 'ServiceConnect'))
        .map((policy) => [policy.keyName, [policy.primaryKey, policy.secondaryKey].map((key) => Buffer.from(key, 'utf8'))]),
    );
  }

  check(tokenText: string | undefined, nowMs = Date.now()): EventHubTokenCheck {
    const token = parseSas(tokenText);
    if (typeof token === 'string') return { ok: false, reason: token };
    if (!token.skn) return { ok: false, reason: 'The token names no shared access policy (skn).' };
    const keys = this.keys.get(token.skn);
    if (!keys) return { ok: false, reason: `Shared access policy '${token.skn}' does not exist or does not grant ServiceConnect.` };
    if (isExpired(token, nowMs)) return { ok: false, reason: `The token expired at ${new Date(token.se * 1000).toISOString()}.` };
    if (!keys.some((key) => isSignedWith(token, key)))
      return { ok: false, reason: `The token signature does not match policy '${token.skn}'.` };
    return { ok: true, token };
  }
}
