import type { PathMatcher, UndecodableParameter } from '../../../http/Router';
import { createConstraint, type RouteConstraint } from './routeConstraints';

interface RouteParameter {
  name: string;
  constraints: RouteConstraint[];
  optional: boolean;
  defaultValue?: string;
  catchAll: boolean;
}

type Part = { literal: string } | { parameter: RouteParameter };

/** A path segment, decoded; as written when it is not valid percent-encoding. */
interface PathSegment {
  text: string;
  decoded: boolean;
}

interface Binding {
  values: Record<string, string>;
  undecodable?: UndecodableParameter;
}

interface Segment {
  parts: Part[];
  /** Matches one path segment; groups in parameter order. */
  pattern: RegExp;
  parameters: RouteParameter[];
}

/**
 * An ASP.NET Core route template, as Functions HTTP routes are written: literal segments
 * (case-insensitive), {param}, {param?}, {param=default}, {param:int}, {param:regex(…)},
 * several parameters in one segment ({name}.{ext}) and a final catch-all {*rest}.
 */
export class RouteTemplate implements PathMatcher {
  private readonly segments: Segment[];
  /** Lower sorts first: more specific routes win, as in ASP.NET's inbound precedence. */
  readonly precedence: string;

  constructor(readonly template: string) {
    const trimmed = template.replace(/^~?\/+/, '').replace(/\/+$/, '');
    this.segments =
      trimmed === '' ? [] : trimmed.split('/').map((text, index, all) => parseSegment(text, template, index === all.length - 1));
    this.precedence = this.segments.map(segmentPrecedence).join('');
  }

  /** The route values for a request path (without query), or undefined when it doesn't match. */
  match(path: string): Record<string, string> | undefined {
    const binding = this.bind(path);
    return binding && !binding.undecodable ? binding.values : undefined;
  }

  /**
   * The first parameter that keeps a path from matching only because its text is not valid
   * percent-encoding (`%E0%A4%A`, `%zz`); undefined when the path matches or differs otherwise.
   */
  undecodableParameter(path: string): UndecodableParameter | undefined {
    return this.bind(path)?.undecodable;
  }

  /**
   * Matches a path. Segments that do not decode are matched as written, so that the parameter
   * they would fill can be named; constraints then judge the text as written.
   */
  private bind(path: string): Binding | undefined {
    const pathSegments = splitPath(path);
    const binding: Binding = { values: {} };
    const { values } = binding;
    const bindValue = (parameter: RouteParameter, { text, decoded }: PathSegment): boolean => {
      if (!parameter.constraints.every((accept) => accept(text))) return false;
      if (!decoded) binding.undecodable ??= { parameter: parameter.name, text };
      values[parameter.name] = text;
      return true;
    };
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const only = segment.parameters.length === 1 && segment.parts.length === 1 ? segment.parameters[0] : undefined;
      if (only?.catchAll) {
        // A catch-all is optional: it may match nothing at all.
        const rest = pathSegments.slice(i);
        if (rest.length === 0) {
          if (only.defaultValue !== undefined) values[only.name] = only.defaultValue;
        } else if (!bindValue(only, { text: rest.map((part) => part.text).join('/'), decoded: rest.every((part) => part.decoded) })) {
          return undefined;
        }
        return binding;
      }
      if (i >= pathSegments.length) {
        // Missing trailing segments are fine only for optional or defaulted parameters.
        if (!only || (!only.optional && only.defaultValue === undefined)) return undefined;
        if (only.defaultValue !== undefined) values[only.name] = only.defaultValue;
        continue;
      }
      const pathSegment = pathSegments[i];
      const match = segment.pattern.exec(pathSegment.text);
      if (!match) return undefined;
      for (let p = 0; p < segment.parameters.length; p++) {
        const parameter = segment.parameters[p];
        const written = match[p + 1];
        if (written === undefined || written === '') {
          if (parameter.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
          continue;
        }
        // In a segment that does not decode as a whole, a parameter's own part may still decode.
        if (!bindValue(parameter, pathSegment.decoded ? { text: written, decoded: true } : decodeSegment(written))) return undefined;
      }
    }
    return pathSegments.length <= this.segments.length ? binding : undefined;
  }
}

/** Path segments without empty ones at the ends. */
function splitPath(path: string): PathSegment[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/').map(decodeSegment);
}

function decodeSegment(text: string): PathSegment {
  try {
    return { text: decodeURIComponent(text), decoded: true };
  } catch {
    return { text, decoded: false };
  }
}

function parseSegment(text: string, template: string, isLast: boolean): Segment {
  const parts: Part[] = [];
  let i = 0;
  let literal = '';
  while (i < text.length) {
    const ch = text[i];
    if (ch === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      const end = findParameterEnd(text, i, template);
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ parameter: parseParameter(text.slice(i + 1, end), template) });
      i = end + 1;
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push({ literal });
  const parameters = parts.flatMap((part) => ('parameter' in part ? [part.parameter] : []));
  if (parameters.some((p) => p.catchAll) && (!isLast || parts.length > 1)) {
    throw new Error(`Invalid route template '${template}': a catch-all parameter must be the whole last segment.`);
  }
  const source = parts
    .map((part) =>
      'literal' in part
        ? escapeRegExp(part.literal)
        : part.parameter.optional || part.parameter.defaultValue !== undefined
          ? '(.*?)'
          : '(.+?)',
    )
    .join('');
  return { parts, parameters, pattern: new RegExp(`^${source}$`, 'i') };
}

function findParameterEnd(text: string, start: number, template: string): number {
  let depth = 0;
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === '}' && depth <= 0) return i;
  }
  throw new Error(`Invalid route template '${template}': unclosed '{'.`);
}

function parseParameter(body: string, template: string): RouteParameter {
  const catchAll = body.startsWith('*');
  let rest = body.replace(/^\*{1,2}/, '');
  let optional = false;
  if (rest.endsWith('?')) {
    optional = true;
    rest = rest.slice(0, -1);
  }
  let defaultValue: string | undefined;
  const nameMatch = /^[^:=]+/.exec(rest);
  if (!nameMatch) throw new Error(`Invalid route template '${template}': a parameter has no name.`);
  const name = nameMatch[0];
  rest = rest.slice(name.length);
  const constraints: RouteConstraint[] = [];
  while (rest.startsWith(':')) {
    const constraint = /^:([A-Za-z]+)(\((.*?)\))?(?=:|=|$)/.exec(rest) ?? /^:([A-Za-z]+)(\((.*)\))?/.exec(rest);
    if (!constraint) throw new Error(`Invalid route template '${template}': bad constraint in '{${body}}'.`);
    // Braces inside a constraint are doubled in templates ({{ and }}).
    const argText = constraint[3]?.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
    const args = argText === undefined ? [] : constraint[1].toLowerCase() === 'regex' ? [argText] : argText.split(',');
    try {
      constraints.push(createConstraint(constraint[1], args));
    } catch (error) {
      throw new Error(`Invalid route template '${template}': ${(error as Error).message}.`);
    }
    rest = rest.slice(constraint[0].length);
  }
  if (rest.startsWith('=')) defaultValue = rest.slice(1);
  else if (rest !== '') throw new Error(`Invalid route template '${template}': cannot parse '{${body}}'.`);
  if (optional && defaultValue !== undefined)
    throw new Error(`Invalid route template '${template}': '{${body}}' cannot be optional and have a default.`);
  return { name, constraints, optional, ...(defaultValue !== undefined ? { defaultValue } : {}), catchAll };
}

function segmentPrecedence(segment: Segment): string {
  if (segment.parameters.length === 0) return '1';
  if (segment.parts.length > 1) return '2';
  const parameter = segment.parameters[0];
  if (parameter.catchAll) return '5';
  return parameter.constraints.length > 0 ? '3' : '4';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
