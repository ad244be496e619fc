import type { HostFunction } from '../../catalog/HostFunction';
import { RouteTemplate, type UndecodableParameter } from './RouteTemplate';

export interface HttpRoute {
  fn: HostFunction;
  template: RouteTemplate;
  /** Upper-case methods; undefined accepts every method. */
  methods?: string[];
}

export type RouteMatch =
  | { kind: 'found'; route: HttpRoute; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | ({ kind: 'undecodableParameter' } & UndecodableParameter)
  | { kind: 'notFound' };

/** Functions' HTTP routes under the route prefix, most specific first. */
export class HttpRouter {
  private readonly routes: HttpRoute[];

  constructor(
    functions: HostFunction[],
    readonly routePrefix: string,
  ) {
    this.routes = functions
      .filter((fn) => fn.triggerKind === 'http')
      .map((fn) => ({ fn, template: new RouteTemplate(routeTemplateOf(fn, routePrefix)), ...methodsOf(fn) }))
      .sort(
        (a, b) => comparePrecedence(a.template.precedence, b.template.precedence) || a.template.template.localeCompare(b.template.template),
      );
  }

  /** The full route template of an HTTP function (route prefix included). */
  static templateOf(fn: HostFunction, routePrefix: string): string {
    return routeTemplateOf(fn, routePrefix);
  }

  match(method: string, path: string): RouteMatch {
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = route.template.match(path);
      if (!params) continue;
      if (!route.methods || route.methods.includes(method.toUpperCase())) return { kind: 'found', route, params };
      route.methods.forEach((m) => allowed.add(m));
    }
    if (allowed.size > 0) return { kind: 'methodNotAllowed', allowed: [...allowed] };
    // Only a path that matches nothing can hold a parameter that failed to decode.
    for (const route of this.routes) {
      const undecodable = route.template.undecodableParameter(path);
      if (undecodable) return { kind: 'undecodableParameter', ...undecodable };
    }
    return { kind: 'notFound' };
  }
}

function routeTemplateOf(fn: HostFunction, routePrefix: string): string {
  const route = typeof fn.trigger.route === 'string' && fn.trigger.route.trim() !== '' ? fn.trigger.route : fn.name;
  const path = route.replace(/^\/+/, '');
  return routePrefix ? `${routePrefix}/${path}` : path;
}

function methodsOf(fn: HostFunction): { methods?: string[] } {
  const methods = fn.trigger.methods;
  if (!Array.isArray(methods) || methods.length === 0) return {};
  return { methods: methods.map((m) => String(m).toUpperCase()) };
}

function comparePrecedence(a: string, b: string): number {
  const length = Math.max(a.length, b.length);
  return a.padEnd(length, '0').localeCompare(b.padEnd(length, '0'));
}
