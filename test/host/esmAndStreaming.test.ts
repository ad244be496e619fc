import { HostProcess } from './support/HostProcess';

describe('an ES module app with HTTP streaming (app.setup({ enableHttpStream: true }))', () => {
  const host = new HostProcess('stream-esm-app');

  beforeAll(() => host.start(), 30000);
  afterAll(() => host.dispose());

  test('loads through import() and registers its functions', () => {
    expect(host.endpoint.functions.map((fn) => fn.name)).toEqual(['upload', 'countdown']);
  });

  test('request bodies arrive as streams', async () => {
    const res = await fetch(host.url('/api/upload?x=1'), { method: 'POST', body: Buffer.alloc(300_000, 7) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: 300_000, method: 'POST', param: '1' });
  });

  test('stream response bodies reach the client', async () => {
    const res = await fetch(host.url('/api/countdown/3'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('3\n2\n1\n0\n');
  });
});
