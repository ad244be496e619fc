import type { PathMatcher, UndecodableParameter } from './Router';

type Segment = { literal: string } | { parameter: string; optional: boolean };

/**
 * A fixed path of `/`-separated segments, for the emulated service APIs: literal segments match
 * exactly as written (case included), `{name}` matches one non-empty segment and a final `{name?}`
 * may be left out. A pattern that ends in `/` matches with or without that slash.
 */
export class PathPattern implements PathMatcher {
  private readonly segments: Segment[];
  private readonly trailingSlashOptional: boolean;

  constructor(readonly pattern: string) {
    this.trailingSlashOptional = pattern.length > 1 && pattern.endsWith('/');
    const body = this.trailingSlashOptional ? pattern.slice(0, -1) : pattern;
    this.segments = body.split('/').map((text, index, all) => parseSegment(text, pattern, index === all.length - 1));
  }

  match(path: string): Record<string, string> | undefined {
    const bound = this.bind(path);
    return bound && !bound.undecodable ? bound.values : undefined;
  }

  undecodableParameter(path: string): UndecodableParameter | undefined {
    return this.bind(path)?.undecodable;
  }

  private bind(path: string): { values: Record<string, string>; undecodable?: UndecodableParameter } | undefined {
    const written = (this.trailingSlashOptional && path.length > 1 ? path.replace(/\/$/, '') : path).split('/');
    if (written.length > this.segments.length) return undefined;
    const values: Record<string, string> = {};
    let undecodable: UndecodableParameter | undefined;
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const text = written[i];
      if ('literal' in segment) {
        if (text !== segment.literal) return undefined;
      } else if (text === undefined) {
        if (!segment.optional) return undefined;
      } else if (text === '') {
        return undefined;
      } else {
        try {
          values[segment.parameter] = decodeURIComponent(text);
        } catch {
          undecodable ??= { parameter: segment.parameter, text };
        }
      }
    }
    return { values, ...(undecodable ? { undecodable } : {}) };
  }
}

function parseSegment(text: string, pattern: string, isLast: boolean): Segment {
  const parameter = /^\{(\w+)(\?)?\}$/.exec(text);
  if (!parameter) {
    if (/[{}]/.test(text)) throw new Error(`Invalid path pattern '${pattern}': '${text}' is neither a literal nor a {parameter}.`);
    return { literal: text };
  }
  if (parameter[2] && !isLast) throw new Error(`Invalid path pattern '${pattern}': only the last segment may be optional.`);
  return { parameter: parameter[1], optional: parameter[2] === '?' };
}
