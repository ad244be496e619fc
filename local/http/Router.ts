/** A route parameter whose text in the path is not valid percent-encoding, as written. */
export interface UndecodableParameter {
  parameter: string;
  text: string;
}

/** How a route recognises its paths: a Functions route template, or a fixed PathPattern. */
export interface PathMatcher {
  /** The route values (URL-decoded) for a request path without query, or undefined when it doesn't match. */
  match(path: string): Record<string, string> | undefined;
  /** The parameter that keeps the path from matching only because it is not valid percent-encoding. */
  undecodableParameter(path: string): UndecodableParameter | undefined;
}

export interface Route<T> {
  path: PathMatcher;
  /** Upper-case methods; undefined accepts every method. */
  methods?: readonly string[];
  /** What the caller routes to: a handler, a function, a table row. */
  target: T;
}

export type RouteMatch<T> =
  | { kind: 'found'; route: Route<T>; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | ({ kind: 'undecodableParameter'; route: Route<T> } & UndecodableParameter)
  | { kind: 'notFound' };

/**
 * Method and path dispatch, the first route in table order winning. A path that matches only as
 * written (a parameter is not valid percent-encoding) is judged after every path that decodes, so
 * that the error can name the parameter rather than answer 404.
 */
export class Router<T> {
  constructor(readonly routes: readonly Route<T>[]) {}

  match(method: string, path: string): RouteMatch<T> {
    const verb = method.toUpperCase();
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = route.path.match(path);
      if (!params) continue;
      if (accepts(route, verb)) return { kind: 'found', route, params };
      route.methods?.forEach((m) => allowed.add(m));
    }
    if (allowed.size > 0) return { kind: 'methodNotAllowed', allowed: [...allowed] };
    for (const route of this.routes) {
      const undecodable = route.path.undecodableParameter(path);
      if (!undecodable) continue;
      if (accepts(route, verb)) return { kind: 'undecodableParameter', route, ...undecodable };
      route.methods?.forEach((m) => allowed.add(m));
    }
    return allowed.size > 0 ? { kind: 'methodNotAllowed', allowed: [...allowed] } : { kind: 'notFound' };
  }
}

function accepts<T>(route: Route<T>, method: string): boolean {
  return !route.methods || route.methods.includes(method);
}
