/**
 * The rollout API on the Functions dev host (HTTP): wrong media types, bodies that are not a spec,
 * twin query conditions IoT Hub would refuse, numbers out of range, undecodable route parameters
 * and bodies around the host's 100 MB limit. No case may start a rollout.
 */
import type { Case, Edge } from './cases';
import { since } from './cases';
import { describeHttp, isApiError, type HttpAnswer } from './http';

const FIRMWARE = { version: '9.9.9', uri: 'https://firmware.example/fw-9.9.9.bin', sha256: 'ab'.repeat(32), size: 4096 };
const SPEC = { firmware: FIRMWARE, target: { query: "tags.fleet = 'hostile'" } };
const spec = (changes: Record<string, unknown>): string => JSON.stringify({ ...SPEC, ...changes });
/** The host reads at most this much of a body (as Azure Functions does); more is 413. */
const HOST_BODY_LIMIT = 100 * 1024 * 1024;
const LINE_AND_COLUMN = /line \d+, column \d+/;
const MULTIPART = `--x\r\nContent-Disposition: form-data; name="spec"\r\n\r\n${spec({})}\r\n--x--`;

export function apiEdge(apiUrl: string): Edge<HttpAnswer> {
  const request = async (method: string, path: string, body?: string | Buffer, contentType?: string): Promise<HttpAnswer> => {
    const start = performance.now();
    // A Buffer body makes fetch send no Content-Type of its own: only the case's, if any.
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
    const res = await fetch(`${apiUrl}${path}`, { method, body: payload, headers });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text(), ms: since(start) };
  };
  const json = (path: string, body: string) => request('POST', path, body, 'application/json');

  const unsupported = (input: string, contentType: string | undefined, body = spec({}), path = '/rollouts'): Case<HttpAnswer> => ({
    input,
    expected: '415 unsupportedMediaType',
    send: () => request('POST', path, body, contentType),
    expect: (a) => isApiError(a, 415, 'unsupportedMediaType'),
  });
  const invalid = (input: string, body: string, field: string, message?: RegExp): Case<HttpAnswer> => ({
    input,
    expected: `400 validationFailed naming ${field}${message ? ` (${message.source})` : ''}`,
    send: () => json('/rollouts', body),
    expect: (a) => isApiError(a, 400, 'validationFailed', field, message),
  });
  const badQuery = (label: string, query: string) =>
    invalid(`target.query ${label}`, spec({ target: { query } }), 'target.query', LINE_AND_COLUMN);
  const badRouteParameter = (path: string, parameter: string): Case<HttpAnswer> => ({
    input: `GET ${path}`,
    expected: `400 invalidRouteParameter naming ${parameter}`,
    send: () => request('GET', path),
    expect: (a) => isApiError(a, 400, 'invalidRouteParameter') && JSON.parse(a.body).parameter === parameter,
  });

  return {
    title: 'Rollout API on the Functions dev host (HTTP)',
    describe: describeHttp,
    cases: [
      unsupported('POST /rollouts, a valid spec as Content-Type: text/plain', 'text/plain'),
      unsupported('POST /rollouts, a valid spec as a form', 'application/x-www-form-urlencoded', `spec=${encodeURIComponent(spec({}))}`),
      unsupported('POST /rollouts, a valid spec as multipart/form-data', 'multipart/form-data; boundary=x', MULTIPART),
      unsupported('POST /rollouts, a valid spec with no Content-Type', undefined),
      unsupported('POST /rollouts/hostile-1/pause as text/plain, no body', 'text/plain', '', '/rollouts/hostile-1/pause'),
      invalid('POST /rollouts, malformed JSON `{"firmware": `', '{"firmware": ', '(body)', /valid JSON/),
      invalid('POST /rollouts, a JSON array `[]`', '[]', '(body)', /object/),
      invalid('POST /rollouts, a JSON string', '"rollout"', '(body)', /object/),
      badQuery('with a dangling operator `tags.a =`', 'tags.a ='),
      badQuery('`tags.a == 1`', 'tags.a == 1'),
      badQuery('`tags.a = 1 AND AND tags.b = 2`', 'tags.a = 1 AND AND tags.b = 2'),
      badQuery('with curly quotes `tags.a = ‘x’`', 'tags.a = \u2018x\u2019'),
      badQuery("`tags.a = 'x' ORDER BY deviceId`", "tags.a = 'x' ORDER BY deviceId"),
      badQuery('with a parameter `tags.a = @p`', 'tags.a = @p'),
      badQuery('closing the WHERE parenthesis `tags.a = 1) OR (true`', 'tags.a = 1) OR (true'),
      badQuery("with an unterminated string `tags.a = 'abc`", "tags.a = 'abc"),
      badQuery("with a control character `tags.a = 'x<U+0007>'`", "tags.a = 'x\u0007'"),
      invalid('waves[0].percent 1e-9', spec({ waves: [{ percent: 1e-9 }, { percent: 100 }] }), 'waves[0].percent', /resolution of 0\.01/),
      invalid(
        'firmware.sha256 `zz…z` (64 characters)',
        spec({ firmware: { ...FIRMWARE, sha256: 'zz'.repeat(32) } }),
        'firmware.sha256',
        /hexadecimal/,
      ),
      invalid('firmware.size -1', spec({ firmware: { ...FIRMWARE, size: -1 } }), 'firmware.size'),
      invalid('maxConcurrency 1e12', spec({ maxConcurrency: 1e12 }), 'maxConcurrency', /from 1 to 1000/),
      invalid(
        'maxConcurrency `1e400` (JSON.parse makes it Infinity)',
        spec({}).replace(/}$/, ',"maxConcurrency":1e400}'),
        'maxConcurrency',
      ),
      badRouteParameter('/rollouts/%E0%A4%A', 'id'),
      badRouteParameter('/rollouts/abc%zz/devices', 'id'),
      badRouteParameter('/rollouts/abc/devices/%zz', 'deviceId'),
      {
        input: 'GET /rollouts/a:b (an id outside the rules)',
        expected: '400 validationFailed naming id',
        send: () => request('GET', '/rollouts/a:b'),
        expect: (a) => isApiError(a, 400, 'validationFailed', 'id'),
      },
      {
        input: 'GET /rollouts?top=0 and ?continuationToken=garbage',
        expected: '400 validationFailed naming top and continuationToken',
        send: () => request('GET', '/rollouts?top=0&continuationToken=garbage'),
        expect: (a) => isApiError(a, 400, 'validationFailed', 'top') && isApiError(a, 400, 'validationFailed', 'continuationToken'),
      },
      {
        input: 'GET /rollouts/no-such-rollout',
        expected: '404 notFound',
        send: () => request('GET', '/rollouts/no-such-rollout'),
        expect: (a) => isApiError(a, 404, 'notFound'),
      },
      {
        input: 'POST /rollouts/no-such-rollout/pause as application/json',
        expected: '404 notFound',
        send: () => json('/rollouts/no-such-rollout/pause', ''),
        expect: (a) => isApiError(a, 404, 'notFound'),
      },
      invalid(
        'POST /rollouts, 10 MB body: a spec padded with an unknown field `pad`',
        spec({ pad: 'x'.repeat(10 * 2 ** 20) }),
        'pad',
        /unknown field/,
      ),
      {
        input: 'POST /rollouts, a body of 100 MB + 1 byte (over the host limit)',
        expected: '413, no body',
        send: () => request('POST', '/rollouts', Buffer.alloc(HOST_BODY_LIMIT + 1, ' '), 'application/json'),
        expect: (a) => a.status === 413 && a.body === '',
      },
      {
        input: 'after all of the above: GET /rollouts',
        expected: '200 listing no rollout: no case started one',
        send: () => request('GET', '/rollouts'),
        expect: (a) => a.status === 200 && (JSON.parse(a.body) as { items: unknown[] }).items.length === 0,
      },
    ],
  };
}
