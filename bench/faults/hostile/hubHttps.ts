/**
 * The hub's HTTPS service endpoint: SAS tokens that must not pass, JSON that must not be stored,
 * query text that must not parse, undecodable paths and oversize bodies. Raw requests carry
 * exactly the bytes of the case; the azure-iothub cases show what the SDK makes of the answer.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Registry } from 'azure-iothub';
import { createSas, signature } from '../../../local/hub/authentication/sharedAccessSignature';
import type { HubProcess } from '../../../local/stack/HubProcess';
import { hubHttpsRequest } from '../../../local/probes/hubHttpsRequest';
import type { Case, Edge } from './cases';
import { since } from './cases';
import { describeHttp, isIotHubError, type HttpAnswer, type IotHubErrorDetail } from './http';

const API = 'api-version=2021-04-12';
const UNAUTHORIZED = ['IotHubUnauthorized', 'IotHubUnauthorizedAccess'];
const TOO_DEEP: IotHubErrorDetail = { errorCode: 400004, message: /nesting depth should be maximum 10/ };
const DEVICE = 'hostile-https';
const AFTER_QUERY = `SELECT deviceId, tags, properties.desired FROM devices WHERE deviceId IN ['${DEVICE}', 'hostile-huge']`;
const nestedArrays = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

export async function hubHttpsEdge(hub: HubProcess): Promise<Edge<HttpAnswer>> {
  const { hostName, serviceConnectionString } = hub.info;
  const policy = /SharedAccessKeyName=([^;]+)/.exec(serviceConnectionString)![1];
  const key = Buffer.from(/SharedAccessKey=([^;]+)/.exec(serviceConnectionString)![1], 'base64');
  const deviceKey = (await hub.registry.create({ deviceId: DEVICE })).responseBody.authentication!.symmetricKey!.primaryKey!;
  const endpoint = { ...hub.info.https, ca: readFileSync(hub.info.caCertPath) };
  const owner = () => createSas(hostName, key, policy, 3600);

  const request = async (method: string, path: string, authorization: string | undefined, body?: string): Promise<HttpAnswer> => {
    const start = performance.now();
    const response = await hubHttpsRequest(endpoint, method, path, { authorization, body });
    return { ...response, ms: since(start) };
  };
  /** What azure-iothub got on the wire when it threw, and the error it threw. */
  const sdk = async (call: () => Promise<unknown>): Promise<HttpAnswer> => {
    const start = performance.now();
    const error = (await call().then(
      () => ({ name: 'nothing (it succeeded)' }),
      (e: unknown) => e,
    )) as { name: string; response?: { statusCode?: number; headers?: HttpAnswer['headers'] }; responseBody?: string };
    const { statusCode = 0, headers = {} } = error.response ?? {};
    return { status: statusCode, headers, body: error.responseBody ?? '', ms: since(start), sdkError: error.name };
  };

  const unauthorized = (input: string, authorization: () => string | undefined): Case<HttpAnswer> => ({
    input: `GET /devices with ${input}`,
    expected: "401 IotHubUnauthorized(Access) with IoT Hub's legacy error body",
    send: () => request('GET', `/devices?${API}`, authorization()),
    expect: (a) => isIotHubError(a, 401, UNAUTHORIZED),
  });
  const argumentInvalid = (
    input: string,
    method: string,
    path: string,
    body: string | undefined,
    detail: IotHubErrorDetail,
  ): Case<HttpAnswer> => ({
    input: `${method} ${path} ${input}`,
    expected: ['400 ArgumentInvalid', detail.errorCode && `(${detail.errorCode})`, detail.message && `matching /${detail.message.source}/`]
      .filter(Boolean)
      .join(' '),
    send: () => request(method, `${path}?${API}`, owner(), body),
    expect: (a) => isIotHubError(a, 400, ['ArgumentInvalid'], detail),
  });
  const badQuery = (query: string) => {
    const shown = query.length > 60 ? `${query.slice(0, 60)}…` : query;
    return argumentInvalid(`\`${shown}\``, 'POST', '/devices/query', JSON.stringify({ query }), { message: /line \d+, column \d+/ });
  };
  const wrongKey = serviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${randomBytes(32).toString('base64')}`);
  const prefixOfHost = hostName.slice(0, -1);
  const hostAsPrefix = `${hostName}.evil.example`;

  return {
    title: 'IoT Hub emulator, HTTPS service endpoint',
    describe: describeHttp,
    cases: [
      unauthorized('no Authorization header', () => undefined),
      unauthorized('`Authorization: Bearer abc`', () => 'Bearer abc'),
      unauthorized('`SharedAccessSignature garbage`', () => 'SharedAccessSignature garbage'),
      unauthorized('an expired token (se 60 s ago)', () => createSas(hostName, key, policy, -60)),
      unauthorized('a token signed with a wrong key', () => createSas(hostName, randomBytes(32), policy, 3600)),
      unauthorized('an unknown policy (skn=nobody)', () => createSas(hostName, key, 'nobody', 3600)),
      unauthorized('a token for another hub (other.azure-devices.net)', () => createSas('other.azure-devices.net', key, policy, 3600)),
      unauthorized(`a token for \`${prefixOfHost}\` (a string prefix of the host, not the host)`, () =>
        createSas(prefixOfHost, key, policy, 3600),
      ),
      unauthorized(`a token for \`${hostAsPrefix}\` (the host is a string prefix of it)`, () => createSas(hostAsPrefix, key, policy, 3600)),
      unauthorized('a token whose signature is for another sr', () => {
        const se = Math.floor(Date.now() / 1000) + 3600;
        const sig = encodeURIComponent(signature(key, encodeURIComponent('other.azure-devices.net'), se));
        return `SharedAccessSignature sr=${encodeURIComponent(hostName)}&sig=${sig}&se=${se}&skn=${policy}`;
      }),
      unauthorized('se=soon (not a number)', () => owner().replace(/se=\d+/, 'se=soon')),
      unauthorized(`a device's own token (sr=${hostName}/devices/${DEVICE}, device key, no skn)`, () =>
        createSas(`${hostName}/devices/${DEVICE}`, Buffer.from(deviceKey, 'base64'), undefined, 3600),
      ),
      {
        input: 'azure-iothub Registry.list() with a wrong key',
        expected: '401 and the SDK throws UnauthorizedError',
        send: () => sdk(() => Registry.fromConnectionString(wrongKey).list()),
        expect: (a) => isIotHubError(a, 401, UNAUTHORIZED) && a.sdkError === 'UnauthorizedError',
      },
      argumentInvalid('malformed JSON `{"tags": `', 'PATCH', `/twins/${DEVICE}`, '{"tags": ', {
        errorCode: 400004,
        message: /not valid JSON/,
      }),
      argumentInvalid('tags.a: arrays nested 5,000 deep', 'PATCH', `/twins/${DEVICE}`, `{"tags":{"a":${nestedArrays(5000)}}}`, TOO_DEEP),
      argumentInvalid(
        'desired.a: arrays nested 5,000 deep',
        'PATCH',
        `/twins/${DEVICE}`,
        `{"properties":{"desired":{"a":${nestedArrays(5000)}}}}`,
        TOO_DEEP,
      ),
      {
        input: 'azure-iothub Registry.updateTwin, tags.a arrays nested 3,000 deep (as deep as JSON.stringify goes safely)',
        expected: '400 (400004) and the SDK throws ArgumentError',
        send: () => sdk(() => hub.registry.updateTwin(DEVICE, { tags: { a: JSON.parse(nestedArrays(3000)) } }, '*')),
        expect: (a) => isIotHubError(a, 400, ['ArgumentInvalid'], TOO_DEEP) && a.sdkError === 'ArgumentError',
      },
      badQuery('SELECT * FORM devices'),
      badQuery('SELECT * FROM devices WHERE tags.a ='),
      badQuery("SELECT * FROM devices WHERE tags.a = 'abc"),
      badQuery('SELECT * FROM devices WHERE tags.a = \u2018x\u2019'),
      badQuery(`SELECT * FROM devices WHERE ${'('.repeat(5000)}tags.a = 1${')'.repeat(5000)}`),
      argumentInvalid('(bad percent-encoding)', 'GET', '/devices/%E0%A4%A', undefined, { message: /not correctly URL-encoded/ }),
      argumentInvalid('(bad percent-encoding)', 'GET', '/twins/abc%zz', undefined, {
        errorCode: 400004,
        message: /not correctly URL-encoded/,
      }),
      {
        input: 'GET /devices without api-version',
        expected: '400 InvalidProtocolVersion',
        send: () => request('GET', '/devices', owner()),
        expect: (a) => isIotHubError(a, 400, ['InvalidProtocolVersion']),
      },
      {
        input: 'PUT /devices/hostile-huge with a 2 MB body (limit 1 MB)',
        expected: '413 MessageTooLarge',
        send: () =>
          request(
            'PUT',
            `/devices/hostile-huge?${API}`,
            owner(),
            JSON.stringify({ deviceId: 'hostile-huge', pad: 'x'.repeat(2 * 2 ** 20) }),
          ),
        expect: (a) => a.status === 413 && a.headers['iothub-errorcode'] === 'MessageTooLarge',
      },
      {
        input: `after all of the above: the twin of ${DEVICE} and whether hostile-huge exists, by query`,
        expected: `200: ${DEVICE} without tags and without desired.a, no hostile-huge`,
        send: () => request('POST', `/devices/query?${API}`, owner(), JSON.stringify({ query: AFTER_QUERY })),
        expect: (a) => {
          const twins =
            a.status === 200 ? (JSON.parse(a.body) as { deviceId: string; tags?: object; desired?: Record<string, unknown> }[]) : [];
          const [twin] = twins;
          return (
            twins.length === 1 && twin.deviceId === DEVICE && Object.keys(twin.tags ?? {}).length === 0 && twin.desired?.a === undefined
          );
        },
      },
    ],
  };
}
