jest.mock('@azure/functions-core', () => require('../support/functionsCore').functionsCore, { virtual: true });

import { failureOutcome, methodOutcome } from '../../../functions/src/activities/invokeFirmwareUpdate';
import { hubFailure } from '../../../functions/src/activities/iotHub';
import { LOOKUP_CHUNK, lookupChunks } from '../../../functions/src/activities/resolveTargets';

describe('what a method answer means', () => {
  test.each([
    [200, { status: 'accepted', rolloutId: 'r1' }, { kind: 'accepted' }],
    [200, { status: 'accepted', rolloutId: 'other' }, { kind: 'error', code: 'unexpectedAnswer', retryable: false }],
    [
      200,
      { status: 'current', rolloutId: 'r1', state: { status: 'downloading', rolloutId: 'r1', fwVersion: '2' } },
      { kind: 'current', state: expect.objectContaining({ status: 'downloading' }) },
    ],
    [200, { status: 'current', rolloutId: 'r1', state: 'garbage' }, { kind: 'current', state: null }],
    [
      200,
      { status: 'current', rolloutId: 'r1', state: { status: 'downloadComplete', rolloutId: 'r1', fwVersion: '2' }, install: 'staged' },
      { kind: 'current', state: expect.objectContaining({ status: 'downloadComplete' }), staged: true },
    ],
    [200, { status: 'alreadyInstalled', rolloutId: 'r1', fwVersion: '2' }, { kind: 'alreadyInstalled', fwVersion: '2' }],
    [
      400,
      { status: 'invalid', field: 'size', message: 'size must be positive' },
      { kind: 'invalid', field: 'size', message: 'size must be positive' },
    ],
    [400, 'not json', { kind: 'invalid', field: '(payload)' }],
    [
      409,
      { status: 'busy', rolloutId: 'r0', message: 'Update r0 is applying.' },
      { kind: 'busy', rolloutId: 'r0', message: 'Update r0 is applying.' },
    ],
    [500, { oops: true }, { kind: 'error', code: 'unexpectedAnswer', retryable: true }],
  ])('%d %j', (status, payload, outcome) => {
    expect(methodOutcome(status, payload, 'r1')).toMatchObject(outcome);
  });

  test("accepted with the install 'staged' echo is a staged install; without it, an agent that installs at once", () => {
    expect(methodOutcome(200, { status: 'accepted', rolloutId: 'r1', install: 'staged' }, 'r1')).toEqual({
      kind: 'accepted',
      staged: true,
    });
    expect(methodOutcome(200, { status: 'accepted', rolloutId: 'r1' }, 'r1')).toEqual({ kind: 'accepted' });
    expect(methodOutcome(200, { status: 'accepted', rolloutId: 'r1', install: 'immediate' }, 'r1')).toEqual({ kind: 'accepted' });
  });
});

describe('what a hub failure means', () => {
  const sdkError = (status: number | undefined, body: string, name = 'Error'): unknown =>
    Object.assign(new Error('Not found'), {
      name,
      ...(status === undefined ? {} : { response: { statusCode: status } }),
      responseBody: body,
    });

  test('the error code is found in IoT Hub nested and plain bodies', () => {
    expect(hubFailure(sdkError(404, JSON.stringify({ Message: JSON.stringify({ errorCode: 404103, message: 'offline' }) })))).toMatchObject(
      { status: 404, errorCode: 404103 },
    );
    expect(hubFailure(sdkError(404, '{"errorCode":404001}'))).toMatchObject({ status: 404, errorCode: 404001 });
    expect(hubFailure(sdkError(undefined, ''))).toMatchObject({ status: null, errorCode: null, message: 'Not found' });
    expect(hubFailure('weird')).toMatchObject({ status: null, name: 'Error', message: 'weird' });
  });

  test.each([
    [404, 404103, 'Error', { kind: 'offline' }],
    [404, 404001, 'Error', { kind: 'error', code: 'deviceNotFound', retryable: false }],
    [404, null, 'DeviceNotFoundError', { kind: 'error', code: 'deviceNotFound' }],
    [404, null, 'Error', { kind: 'offline' }],
    [504, 504101, 'GatewayTimeoutError', { kind: 'error', code: 'methodTimeout', retryable: true }],
    [429, 429001, 'ThrottlingError', { kind: 'throttled' }],
    [429, null, 'Error', { kind: 'throttled' }],
    [401, null, 'UnauthorizedError', { kind: 'error', code: 'hubUnauthorized', retryable: false }],
    [400, 400004, 'ArgumentInvalidError', { kind: 'error', code: 'hubRejected', retryable: false }],
    [null, null, 'Error', { kind: 'error', code: 'hubUnreachable', retryable: true }],
  ])('HTTP %s, code %s, %s', (status, errorCode, name, outcome) => {
    expect(failureOutcome({ status, errorCode, name, message: 'm' })).toMatchObject(outcome);
  });
});

test('device-id lookups are cut in chunks of at most 100 ids and about 4 KB, duplicates once', () => {
  const ids = Array.from({ length: 250 }, (_, i) => `d${i}`);
  expect(lookupChunks([...ids, 'd1']).map((chunk) => chunk.length)).toEqual([LOOKUP_CHUNK, LOOKUP_CHUNK, 50]);
  const long = Array.from({ length: 60 }, (_, i) => `${'x'.repeat(120)}${i}`);
  const chunks = lookupChunks(long);
  expect(chunks.length).toBeGreaterThan(1);
  for (const chunk of chunks) expect(chunk.join('", "').length).toBeLessThanOrEqual(4000);
});
