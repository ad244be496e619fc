import { createHmac, timingSafeEqual } from 'node:crypto';

/** The fields of a `SharedAccessSignature sr=…&sig=…&se=…[&skn=…]` token, sig URL-decoded, sr as sent. */
export interface ParsedSas {
  sr: string;
  /** sr URL-decoded: the resource the token grants access to. */
  resource: string;
  sig: string;
  se: number;
  skn?: string;
}

const PREFIX = 'SharedAccessSignature ';

/** Parses a token; returns a reason string instead of throwing, so callers can word their own error. */
export function parseSas(token: string | undefined): ParsedSas | string {
  if (!token) return 'Authorization header missing';
  if (!token.startsWith(PREFIX)) return 'The token is not a SharedAccessSignature';
  const fields = new Map<string, string>();
  for (const part of token.slice(PREFIX.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `Malformed token field '${part}'`;
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (!sr || !sig || !se) return 'The token must contain sr, sig and se';
  const expiry = Number(se);
  if (!Number.isInteger(expiry)) return `Invalid token expiry '${se}'`;
  try {
    const skn = fields.get('skn');
    return {
      sr,
      resource: decodeURIComponent(sr),
      sig: decodeURIComponent(sig),
      se: expiry,
      ...(skn ? { skn: decodeURIComponent(skn) } : {}),
    };
  } catch {
    return 'The token is not correctly URL-encoded';
  }
}

/** base64 HMAC-SHA256 of `<sr>\n<se>`, as the Azure SDKs compute it. */
export function signature(key: Buffer, sr: string, se: number): string {
  return createHmac('sha256', key).update(`${sr}\n${se}`).digest('base64');
}

/**
 * True when the token was signed with `key`. The service SDK signs the raw host name while the
 * device SDK signs the URL-encoded resource, so both spellings of sr are accepted.
 */
export function isSignedWith(token: ParsedSas, key: Buffer): boolean {
  const expected = Buffer.from(token.sig);
  const candidates = new Set([token.sr, encodeURIComponent(token.resource)]);
  for (const sr of candidates) {
    const actual = Buffer.from(signature(key, sr, token.se));
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return true;
  }
  return false;
}

/**
 * True when `path` is `scope` or lies below it, by whole path segments: a token for `host/hub`
 * covers `host/hub/ConsumerGroups/…` but not `host/hub2`; an empty scope is the root and covers
 * all. Case-insensitive (host names and Event Hubs entity names are), trailing slashes ignored.
 */
export function isWithinScope(path: string, scope: string): boolean {
  const p = path.toLowerCase().replace(/\/+$/, '');
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return s === '' || p === s || p.startsWith(`${s}/`);
}

export function isExpired(token: ParsedSas, nowMs: number = Date.now()): boolean {
  return token.se * 1000 <= nowMs;
}

/** Builds a token (used by the CLI, tests and the Event Hubs side). */
export function createSas(resource: string, key: Buffer, keyName: string | undefined, ttlSeconds: number, nowMs = Date.now()): string {
  const sr = encodeURIComponent(resource);
  const se = Math.floor(nowMs / 1000) + ttlSeconds;
  const sig = encodeURIComponent(signature(key, sr, se));
  return `${PREFIX}sr=${sr}&sig=${sig}&se=${se}${keyName ? `&skn=${encodeURIComponent(keyName)}` : ''}`;
}
