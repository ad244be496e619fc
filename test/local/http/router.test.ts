import { PathPattern } from '../../../local/http/PathPattern';
import { Router } from '../../../local/http/Router';
import { RouteTemplate } from '../../../local/host/triggers/http/RouteTemplate';

describe('path patterns (the emulated service APIs: exact segments)', () => {
  // Literals match exactly as written (case included); {name} is one decoded, non-empty segment; a final {name?} may be
  // left out but not empty; a final / in the pattern is optional.
  test.each<[string, string, Record<string, string> | undefined]>([
    ['/twins/{id}/methods', '/twins/d%231/methods', { id: 'd#1' }],
    ['/twins/{id}/methods', '/twins/a%2Fb/methods', { id: 'a/b' }],
    ['/twins/{id}/methods', '/Twins/d1/methods', undefined],
    ['/twins/{id}/methods', '/twins//methods', undefined],
    ['/twins/{id}/methods', '/twins/d1/methods/', undefined],
    ['/twins/{id}/methods', '//twins/d1/methods', undefined],
    ['/twins/{id}/methods', '/twins/d1', undefined],
    ['orchestrators/{functionName}/{instanceId?}', 'orchestrators/hello', { functionName: 'hello' }],
    ['orchestrators/{functionName}/{instanceId?}', 'orchestrators/hello/id1', { functionName: 'hello', instanceId: 'id1' }],
    ['orchestrators/{functionName}/{instanceId?}', 'orchestrators/hello/', undefined],
    ['instances/', 'instances', {}],
    ['instances/', 'instances/', {}],
    ['instances/', 'instances//', undefined],
  ])('%s on %s', (pattern, path, expected) => {
    expect(new PathPattern(pattern).match(path)).toEqual(expected);
  });

  test('a parameter that is not valid percent-encoding is named, with its text as written', () => {
    const p = new PathPattern('entities/{name}/{key}');
    expect(p.match('entities/%zz/k%E0%A4%A')).toBeUndefined();
    expect(p.undecodableParameter('entities/%zz/k%E0%A4%A')).toEqual({ parameter: 'name', text: '%zz' });
    expect(p.undecodableParameter('entities/n/k')).toBeUndefined();
    expect(p.undecodableParameter('elsewhere/%zz/k')).toBeUndefined();
  });

  test('patterns it cannot read are refused, naming the pattern', () => {
    expect(() => new PathPattern('a/{id?}/b')).toThrow("Invalid path pattern 'a/{id?}/b': only the last segment may be optional.");
    expect(() => new PathPattern('files/{name}.json')).toThrow(
      "Invalid path pattern 'files/{name}.json': '{name}.json' is neither a literal nor a {parameter}.",
    );
  });
});

describe('the router (hub service API, Durable HTTP API and function routes)', () => {
  const route = (pattern: string, methods: string[] | undefined, target: string) => ({
    path: new PathPattern(pattern),
    ...(methods ? { methods } : {}),
    target,
  });
  const router = new Router([
    route('/devices/query', ['POST'], 'query'),
    route('/devices/{id}', ['GET'], 'get'),
    route('/devices/{id}', ['PUT', 'DELETE'], 'write'),
    route('/any/{id}', undefined, 'any'),
  ]);

  test('the first route in table order whose path and method match wins, with its parameters', () => {
    expect(router.match('POST', '/devices/query')).toMatchObject({ kind: 'found', route: { target: 'query' }, params: {} });
    expect(router.match('GET', '/devices/query')).toMatchObject({ kind: 'found', route: { target: 'get' }, params: { id: 'query' } });
    expect(router.match('delete', '/devices/d1')).toMatchObject({ kind: 'found', route: { target: 'write' }, params: { id: 'd1' } });
    expect(router.match('PATCH', '/any/x')).toMatchObject({ kind: 'found', route: { target: 'any' } });
  });

  test('a path that exists for other methods is 405 with them all; no path at all is notFound', () => {
    expect(router.match('PATCH', '/devices/d1')).toEqual({ kind: 'methodNotAllowed', allowed: ['GET', 'PUT', 'DELETE'] });
    expect(router.match('GET', '/nowhere')).toEqual({ kind: 'notFound' });
  });

  test('an undecodable parameter is judged after every path that decodes, and by method like any other', () => {
    expect(router.match('GET', '/devices/%E0%A4%A')).toMatchObject({
      kind: 'undecodableParameter',
      route: { target: 'get' },
      parameter: 'id',
      text: '%E0%A4%A',
    });
    expect(router.match('POST', '/devices/%E0%A4%A')).toEqual({ kind: 'methodNotAllowed', allowed: ['GET', 'PUT', 'DELETE'] });
    // A later route that decodes wins over an earlier one that matches only as written.
    const literalLater = new Router([route('/x/{id}', undefined, 'parameter'), route('/x/%zz', undefined, 'literal')]);
    expect(literalLater.match('GET', '/x/%zz')).toMatchObject({ kind: 'found', route: { target: 'literal' } });
  });

  test('function route templates plug into the same router', () => {
    const functions = new Router([{ path: new RouteTemplate('api/items/{id:int}'), methods: ['GET'], target: 'item' }]);
    expect(functions.match('GET', '/API/items/7')).toMatchObject({ kind: 'found', params: { id: '7' } });
    expect(functions.match('POST', '/api/items/7')).toEqual({ kind: 'methodNotAllowed', allowed: ['GET'] });
    expect(functions.match('GET', '/api/items/x')).toEqual({ kind: 'notFound' });
  });
});
