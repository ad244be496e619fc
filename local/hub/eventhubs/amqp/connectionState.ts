import type { Sender } from 'rhea';
import { isWithinScope } from '../../authentication/sharedAccessSignature';

/**
 * What the endpoint knows about one AMQP connection: the audiences its CBS tokens cover (until
 * they expire) and the links replies go to, by link name, as request/response nodes address them.
 */
export class ConnectionState {
  private readonly tokens = new Map<string, number>();
  readonly replyLinks = new Map<string, Sender>();

  /** Records a put-token for an audience such as sb://host:port/hub/ConsumerGroups/$default/Partitions/0. */
  authorize(audience: string, expiresAtMs: number): void {
    this.tokens.set(entityPathOf(audience), expiresAtMs);
  }

  /** True when a live token's audience is the entity path itself or a parent of it. */
  isAuthorized(entityPath: string, nowMs = Date.now()): boolean {
    const path = entityPathOf(entityPath);
    for (const [audience, expiresAt] of this.tokens) {
      if (expiresAt > nowMs && isWithinScope(path, audience)) return true;
    }
    return false;
  }
}

/** The path part of an audience or address, lower-cased: Event Hubs names are case-insensitive. */
export function entityPathOf(audienceOrAddress: string): string {
  const withoutScheme = audienceOrAddress.replace(/^[a-z]+:\/\/[^/]*\/?/i, '');
  return withoutScheme.replace(/\/+$/, '').toLowerCase();
}
