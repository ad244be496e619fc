import { HostProcess } from './support/HostProcess';

describe('HTTP triggers (test/host/apps/http-app, real @azure/functions)', () => {
  const fx = new HostProcess('http-app');

  beforeAll(() => fx.start());
  afterAll(() => fx.dispose());

  test('reports every function with trigger and route, and names each unsupported binding', () => {
    const byName = Object.fromEntries(fx.endpoint.functions.map((fn) => [fn.name, fn]));
    expect(byName.hello).toMatchObject({ trigger: 'httpTrigger', route: 'v1/hello', methods: ['GET', 'POST'], runs: true });
    expect(byName.item.url).toBe(`${fx.endpoint.baseUrl}/v1/items/{id:int}/{name?}`);
    expect(byName.settingRoute.route).toBe('v1/things/resolved');
    expect(byName.queueWorker).toMatchObject({ trigger: 'queueTrigger', runs: false });
    expect(byName.queueWorker.problems[0]).toMatch(/trigger 'queueTrigger\w+' of type 'queueTrigger' is not supported/);
    expect(byName.writesToQueue.runs).toBe(false);
    expect(byName.writesToQueue.problems[0]).toMatch(/binding 'queueOutput\w+' \(queue, direction out\) is not supported/);
    expect(byName.missingSetting.problems[0]).toMatch(/'%NO_SUCH_SETTING%' does not resolve/);
    const listing = fx.output;
    expect(listing).toContain(`hello: [GET,POST] ${fx.endpoint.baseUrl}/v1/hello`);
    expect(listing).toMatch(/The function 'queueWorker' will not run: trigger 'queueTrigger\w+' of type 'queueTrigger'/);
    expect(listing).toMatch(/The function 'writesToQueue' will not run: binding 'queueOutput\w+'/);
  });

  test('local.settings.json Values reach the app and %SETTING% routes resolve', async () => {
    const res = await fetch(fx.url('/v1/hello?name=Ann'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Hello, Ann!');
    expect(await (await fetch(fx.url('/v1/things/resolved'))).json()).toEqual({ resolvedFrom: 'ITEMS_SEGMENT' });
  });

  test('route prefix, params and constraints pick the right function', async () => {
    const get = async (path: string) => {
      const res = await fetch(fx.url(path));
      return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
    };
    expect(await get('/v1/items/42/bob')).toEqual({ status: 200, body: { id: 42, name: 'bob' } });
    expect(await get('/v1/items/42')).toEqual({ status: 200, body: { id: 42, name: null } });
    expect(await get('/v1/items/latest')).toEqual({ status: 200, body: { latest: true } });
    expect(await get('/v1/items/abc')).toEqual({ status: 200, body: { byName: 'abc' } });
    expect((await get('/v1/items/4x')).status).toBe(404);
    expect(await get('/v1/range/5/BEEF')).toEqual({ status: 200, body: { n: '5', code: 'BEEF' } });
    expect((await get('/v1/range/11/beef')).status).toBe(404);
    expect((await get('/v1/range/5/beefy')).status).toBe(404);
    expect((await get('/api/hello')).status).toBe(404);
    expect(await (await fetch(fx.url('/V1/HELLO?name=x'))).text()).toBe('Hello, x!');
    expect(await (await fetch(fx.url('/v1/files/a/b%20c/d.txt'))).text()).toBe('path=a/b c/d.txt');
  });

  test('a route parameter that is not valid percent-encoding: 400 with a JSON error naming it, not an empty 404', async () => {
    for (const [path, parameter, text] of [
      ['/v1/responses/%E0%A4%A', 'form', '%E0%A4%A'],
      ['/v1/items/7/b%zz', 'name', 'b%zz'],
      ['/v1/files/a/%E0%A4%A/c.txt', 'path', 'a/%E0%A4%A/c.txt'],
    ]) {
      const res = await fetch(fx.url(path));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual({
        error: 'invalidRouteParameter',
        parameter,
        message: `The route parameter '${parameter}' is not valid percent-encoding: ${text}`,
      });
    }
    expect((await fetch(fx.url('/v1/nowhere/%zz'))).status).toBe(404);
  });

  test('methods: 405 with Allow when the route exists but not for the method', async () => {
    const res = await fetch(fx.url('/v1/echo/json'), { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, PUT, GET');
    expect((await fetch(fx.url('/v1/nowhere'))).status).toBe(404);
  });

  test('query (repeated keys), headers and JSON bodies', async () => {
    const res = await fetch(fx.url('/v1/echo/json?a=1&a=2&b=x&code=any-key'), {
      method: 'POST',
      body: JSON.stringify({ x: [1, 2] }),
      headers: { 'content-type': 'application/json', 'x-test-header': 'yes', 'x-functions-key': 'whatever' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      method: 'POST',
      url: fx.url('/v1/echo/json?a=1&a=2&b=x&code=any-key'),
      query: { a: ['1', '2'], b: ['x'], code: ['any-key'] },
      header: 'yes',
      contentType: 'application/json',
      params: { kind: 'json' },
      body: { x: [1, 2] },
      functionName: 'echo',
      triggerType: 'httpTrigger',
    });
  });

  test('text and binary bodies arrive byte for byte', async () => {
    const text = (await (await fetch(fx.url('/v1/echo/text'), { method: 'PUT', body: 'héllo wörld' })).json()) as { body: string };
    expect(text.body).toBe('héllo wörld');
    const bytes = [0, 1, 127, 128, 254, 255];
    const binary = (await (
      await fetch(fx.url('/v1/echo/binary'), {
        method: 'POST',
        body: Buffer.from(bytes),
        headers: { 'content-type': 'application/octet-stream' },
      })
    ).json()) as { body: number[] };
    expect(binary.body).toEqual(bytes);
  });

  test.each([
    ['instance', 202, 'accepted', { 'x-form': 'instance', 'content-type': 'text/plain;charset=UTF-8' }],
    ['json', 200, '{"ok":true,"list":[1,2,3]}', { 'content-type': 'application/json' }],
    ['text', 200, 'plain text', {}],
    ['status', 418, '', { 'x-custom': 'teapot' }],
    ['nothing', 200, '', {}],
  ])('response form %s', async (form, status, body, headers) => {
    const res = await fetch(fx.url(`/v1/responses/${form}`));
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(body);
    for (const [name, value] of Object.entries(headers)) expect(res.headers.get(name)).toBe(value);
  });

  test('binary response bodies and cookies', async () => {
    const binary = await fetch(fx.url('/v1/responses/binary'));
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect([...Buffer.from(await binary.arrayBuffer())]).toEqual([0, 1, 2, 250, 255]);
    const cookies = await fetch(fx.url('/v1/responses/cookies'));
    expect(cookies.headers.getSetCookie()).toEqual([
      'session=abc; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Strict',
      'theme=dark; Domain=localhost; Expires=Tue, 01 Jan 2030 00:00:00 GMT',
    ]);
  });

  test('a throwing function answers 500 and is logged with its error', async () => {
    const res = await fetch(fx.url('/v1/responses/throw'));
    expect(res.status).toBe(500);
    expect(await fx.waitForOutput(/Executed 'Functions\.responses' \(Failed/)).toMatch(
      /Executed 'Functions\.responses' \(Failed, Id=[0-9a-f-]+\): kaboom/,
    );
  });

  test('named HTTP output bindings and hooks (appStart, preInvocation, postInvocation)', async () => {
    const named = await fetch(fx.url('/v1/named'));
    expect(named.status).toBe(201);
    expect(await named.text()).toBe('from the named output');
    expect(await (await fetch(fx.url('/v1/hooked'))).json()).toEqual({ fromHandler: true, hookData: 'pre', appStarted: true });
  });

  test('functions with unsupported bindings do not run; the admin status answers', async () => {
    expect((await fetch(fx.url('/v1/writesToQueue'), { method: 'POST' })).status).toBe(404);
    const status = await fetch(fx.url('/admin/host/status'));
    expect(await status.json()).toMatchObject({ state: 'Running' });
    const work = await fetch(fx.url('/admin/durable/work'));
    expect(work.status).toBe(404);
    expect(await work.json()).toEqual({ message: 'This app uses no Durable Functions: there is no durable work to count.' });
  });
});
