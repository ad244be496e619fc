import type { HostFunction } from '../../catalog/HostFunction';
import { Router } from '../../../http/Router';
import { RouteTemplate } from './RouteTemplate';

/** Functions' HTTP routes under the route prefix, most specific first. */
export class HttpRouter extends Router<HostFunction> {
  constructor(
    functions: HostFunction[],
    readonly routePrefix: string,
  ) {
    super(
      functions
        .filter((fn) => fn.triggerKind === 'http')
        .map((fn) => ({ path: new RouteTemplate(routeTemplateOf(fn, routePrefix)), target: fn, ...methodsOf(fn) }))
        .sort((a, b) => comparePrecedence(a.path.precedence, b.path.precedence) || a.path.template.localeCompare(b.path.template)),
    );
  }

  /** The full route template of an HTTP function (route prefix included). */
  static templateOf(fn: HostFunction, routePrefix: string): string {
    return routeTemplateOf(fn, routePrefix);
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
