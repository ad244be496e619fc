import { HubFixture, httpFailure, nestedErrorCode } from '../support/hubFixture';

describe('direct methods through the unmodified SDKs', () => {
  const fx = new HubFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('round trip: the device gets the payload and its answer comes back', async () => {
    const client = await fx.connectDevice('method-echo');
    client.onDeviceMethod('echo', (request, response) => {
      response.send(201, { youSent: request.payload, method: request.methodName }, () => undefined);
    });
    const { result } = await fx.service.invokeDeviceMethod('method-echo', {
      methodName: 'echo',
      payload: { hello: 'world' },
      responseTimeoutInSeconds: 10,
    });
    expect(result).toEqual({ status: 201, payload: { youSent: { hello: 'world' }, method: 'echo' } });
  });

  test('an offline device is 404103 at once', async () => {
    await fx.addDevice('method-offline');
    const started = Date.now();
    const error = await fx.service.invokeDeviceMethod('method-offline', { methodName: 'x', payload: null }).catch((e: unknown) => e);
    expect(httpFailure(error).status).toBe(404);
    expect(nestedErrorCode(httpFailure(error).body)).toBe(404103);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('an unknown device is 404001', async () => {
    const error = await fx.service.invokeDeviceMethod('method-nobody', { methodName: 'x', payload: null }).catch((e: unknown) => e);
    expect(httpFailure(error).status).toBe(404);
    expect(nestedErrorCode(httpFailure(error).body)).toBe(404001);
  });

  test('a device that connects within connectTimeoutInSeconds gets the call', async () => {
    const client = await fx.deviceClient(await fx.addDevice('method-late'));
    const call = fx.service.invokeDeviceMethod('method-late', {
      methodName: 'ping',
      payload: 1,
      connectTimeoutInSeconds: 10,
      responseTimeoutInSeconds: 10,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.open();
    client.onDeviceMethod('ping', (_request, response) => response.send(200, 'pong', () => undefined));
    const { result } = await call;
    expect(result).toEqual({ status: 200, payload: 'pong' });
  });

  test('a device that never answers is 504101 after responseTimeoutInSeconds', async () => {
    const client = await fx.connectDevice('method-silent');
    client.onDeviceMethod('ignored', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const error = await fx.service
      .invokeDeviceMethod('method-silent', { methodName: 'ignored', payload: null, responseTimeoutInSeconds: 5 })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(httpFailure(error).status).toBe(504);
    expect(nestedErrorCode(httpFailure(error).body)).toBe(504101);
    expect(elapsed).toBeGreaterThanOrEqual(4900);
  });

  test('invalid invocations are 400 naming the field', async () => {
    await fx.addDevice('method-bad');
    const response = await fx.rawRequest('POST', '/twins/method-bad/methods?api-version=2021-04-12', {
      methodName: 'x',
      responseTimeoutInSeconds: 1,
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(JSON.parse(response.body).Message).message).toContain('responseTimeoutInSeconds');
  });
});
