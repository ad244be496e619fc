import { HostProcess } from './support/HostProcess';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** The Durable extension's and the admin routes' error body, `{"message":"…"}`. */
function message(status: number, text: string, allow?: string): Expected {
  return { status, type: JSON_TYPE, body: JSON.stringify({ message: text }), ...(allow ? { allow } : {}) };
}

interface Expected {
  status: number;
  type: string | null;
  body: string;
  allow?: string;
}

/** Every error the dev host answers by itself, to the byte: the Durable extension's clients and the tools parse them. */
describe('the host’s own error responses (test/host/apps/durable-app)', () => {
  const host = new HostProcess('durable-app');
  const api = (path: string) => `/runtime/webhooks/durabletask${path}`;

  beforeAll(() => host.start(), 30000);
  afterAll(() => host.dispose());

  const NO_INSTANCE = "No instance with ID 'nobody' found.";
  const cases: [string, string, Expected][] = [
    ['GET', api('/nothing/here'), message(404, 'Not found.')],
    ['PUT', api('/instances/x'), { status: 405, type: null, body: '', allow: 'GET, DELETE' }],
    ['POST', api('/instances/%zz'), { status: 405, type: null, body: '', allow: 'GET, DELETE' }],
    ['GET', api('/instances/x?taskHub=OtherHub'), message(404, "This host serves the task hub 'FleetwaveTestHub', not 'OtherHub'.")],
    ['GET', api('/instances/%E0%A4%A'), message(400, "'%E0%A4%A' is not valid percent-encoding.")],
    ['GET', api('/instances/nobody'), message(404, NO_INSTANCE)],
    ['POST', api('/instances/nobody/terminate'), message(404, NO_INSTANCE)],
    ['POST', api('/instances/nobody/restart'), message(404, NO_INSTANCE)],
    ['POST', api('/instances/nobody/rewind'), { status: 404, type: TEXT_TYPE, body: NO_INSTANCE }],
    ['DELETE', api('/instances/nobody'), { status: 404, type: JSON_TYPE, body: '{"instancesDeleted":0}' }],
    ['GET', api('/instances/?top=0'), message(400, "'top' must be a positive whole number.")],
    [
      'GET',
      api('/instances?runtimeStatus=Sleeping'),
      message(400, "'Sleeping' is not a runtime status (Pending, Running, Completed, Failed, Terminated, Suspended, ContinuedAsNew)."),
    ],
    ['GET', api('/entities/counter/k1'), message(404, "Entity '@counter@k1' does not exist.")],
    [
      'POST',
      api('/orchestrators/noSuchFunction'),
      message(400, "The function 'noSuchFunction' doesn't exist, is disabled, or is not an orchestrator function."),
    ],
    ['DELETE', '/admin/durable/work', message(405, '/admin/durable/work answers GET only.', 'GET')],
    ['GET', '/no/such/route', { status: 404, type: null, body: '' }],
  ];

  test.each(cases)('%s %s', async (method, path, expected) => {
    const res = await fetch(host.url(path), { method });
    const body = await res.text();
    expect({ status: res.status, type: res.headers.get('content-type'), body, allow: res.headers.get('allow') ?? undefined }).toEqual(
      expected,
    );
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
  });

  test('rewind of an instance that has not failed: 412 in plain text', async () => {
    const start = await fetch(host.url(api('/orchestrators/hello')), { method: 'POST' });
    const { id } = (await start.json()) as { id: string };
    const res = await fetch(host.url(api(`/instances/${id}/rewind`)), { method: 'POST' });
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([
      412,
      TEXT_TYPE,
      'The rewind operation is only supported on failed orchestration instances.',
    ]);
  });
});
