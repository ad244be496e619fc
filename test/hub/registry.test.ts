import { Registry } from 'azure-iothub';
import { HubFixture, httpFailure } from '../support/hubFixture';

describe('hub registry over HTTPS with the unmodified azure-iothub Registry', () => {
  const fx = new HubFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  test('create generates keys, get/update/list/delete behave like IoT Hub', async () => {
    const { responseBody: created } = await fx.registry.create({ deviceId: 'crud-1' });
    expect(created.deviceId).toBe('crud-1');
    expect(created.status).toBe('enabled');
    expect(created.connectionState).toBe('Disconnected');
    const keys = created.authentication!.symmetricKey!;
    expect(Buffer.from(keys.primaryKey!, 'base64')).toHaveLength(32);
    expect(keys.secondaryKey).not.toBe(keys.primaryKey);

    const { responseBody: fetched } = await fx.registry.get('crud-1');
    expect(fetched.etag).toBe(created.etag);

    const { responseBody: updated } = await fx.registry.update({ deviceId: 'crud-1', status: 'disabled' });
    expect(updated.status).toBe('disabled');
    expect(updated.etag).not.toBe(created.etag);
    expect(updated.authentication!.symmetricKey!.primaryKey).toBe(keys.primaryKey);

    const { responseBody: list } = await fx.registry.list();
    expect(list.map((d) => d.deviceId)).toContain('crud-1');

    await fx.registry.delete('crud-1');
    const missing = await fx.registry.get('crud-1').catch((e: unknown) => e);
    expect(httpFailure(missing)).toMatchObject({ status: 404, name: 'DeviceNotFoundError' });
    expect(String(httpFailure(missing).body.Message)).toMatch(/^ErrorCode:DeviceNotFound;/);
  });

  test('creating an existing device is a 409 DeviceAlreadyExists', async () => {
    await fx.registry.create({ deviceId: 'dup-1' });
    const error = await fx.registry.create({ deviceId: 'dup-1' }).catch((e: unknown) => e);
    expect(httpFailure(error)).toMatchObject({ status: 409, name: 'DeviceAlreadyExistsError' });
  });

  test('keys given on create are kept', async () => {
    const primaryKey = Buffer.alloc(32, 1).toString('base64');
    const secondaryKey = Buffer.alloc(32, 2).toString('base64');
    const { responseBody } = await fx.registry.create({
      deviceId: 'keyed-1',
      authentication: { symmetricKey: { primaryKey, secondaryKey } },
    });
    expect(responseBody.authentication!.symmetricKey).toEqual({ primaryKey, secondaryKey });
  });

  test('bulk add, update and remove; per-device errors are reported', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `bulk-${i}`);
    const added = await fx.registry.addDevices(ids.map((deviceId) => ({ deviceId })));
    expect(added.responseBody).toEqual({ isSuccessful: true, errors: [], warnings: [] });
    const { responseBody: bulk7 } = await fx.registry.get('bulk-7');
    expect(bulk7.status).toBe('enabled');

    const again = await fx.registry.addDevices([{ deviceId: 'bulk-0' }, { deviceId: 'bulk-new' }]);
    expect(again.responseBody.isSuccessful).toBe(false);
    expect(again.responseBody.errors).toEqual([expect.objectContaining({ deviceId: 'bulk-0', errorCode: 'DeviceAlreadyExists' })]);
    await expect(fx.registry.get('bulk-new')).resolves.toBeDefined();

    const updated = await fx.registry.updateDevices([{ deviceId: 'bulk-1', status: 'disabled' }], true);
    expect(updated.responseBody.isSuccessful).toBe(true);
    expect((await fx.registry.get('bulk-1')).responseBody.status).toBe('disabled');

    const removed = await fx.registry.removeDevices(
      ids.map((deviceId) => ({ deviceId })),
      true,
    );
    expect(removed.responseBody.isSuccessful).toBe(true);
    const { responseBody: list } = await fx.registry.list();
    expect(list.filter((d) => d.deviceId.startsWith('bulk-')).map((d) => d.deviceId)).toEqual(['bulk-new']);
  });

  test('a bulk request with an invalid entry changes nothing', async () => {
    const response = await fx.rawRequest('POST', '/devices?api-version=2021-04-12', [
      { id: 'atomic-1', importMode: 'create' },
      { id: 'bad id with spaces', importMode: 'create' },
    ]);
    expect(response.status).toBe(400);
    expect(response.headers['iothub-errorcode']).toBe('ArgumentInvalid');
    await expect(fx.registry.get('atomic-1')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  test('a wrong key is refused with 401', async () => {
    const wrongKey = fx.hub.serviceConnectionString.replace(
      /SharedAccessKey=[^;]+/,
      `SharedAccessKey=${Buffer.alloc(32, 9).toString('base64')}`,
    );
    const error = await Registry.fromConnectionString(wrongKey)
      .list()
      .catch((e: unknown) => e);
    expect(httpFailure(error)).toMatchObject({ status: 401, name: 'UnauthorizedError' });
    expect(String(httpFailure(error).body.Message)).toMatch(/^ErrorCode:IotHubUnauthorized;/);
  });

  test('policy permissions are enforced per request', async () => {
    const policy = (name: string) => fx.hub.policies.find((p) => p.keyName === name)!;
    const asPolicy = (name: string) =>
      Registry.fromConnectionString(`HostName=${fx.hub.hostName};SharedAccessKeyName=${name};SharedAccessKey=${policy(name).primaryKey}`);

    await expect(asPolicy('registryRead').list()).resolves.toBeDefined();
    const denied = await asPolicy('registryRead')
      .create({ deviceId: 'perm-1' })
      .catch((e: unknown) => e);
    expect(httpFailure(denied)).toMatchObject({ status: 401 });
    expect(String(httpFailure(denied).body.Message)).toMatch(/^ErrorCode:IotHubUnauthorizedAccess;/);

    await expect(asPolicy('registryReadWrite').create({ deviceId: 'perm-1' })).resolves.toBeDefined();
    const serviceCannotRead = await asPolicy('service')
      .get('perm-1')
      .catch((e: unknown) => e);
    expect(httpFailure(serviceCannotRead).status).toBe(401);
    await expect(asPolicy('service').getTwin('perm-1')).resolves.toBeDefined();
  });

  test('malformed JSON is a 400 ArgumentInvalid and the hub keeps serving', async () => {
    const response = await fx.rawRequest('PUT', '/devices/json-1?api-version=2021-04-12', '{"deviceId": "json-1",');
    expect(response.status).toBe(400);
    expect(response.headers['iothub-errorcode']).toBe('ArgumentInvalid');
    expect(JSON.parse(response.body).Message).toMatch(/^ErrorCode:ArgumentInvalid;The request body is not valid JSON/);
    await expect(fx.registry.create({ deviceId: 'json-1' })).resolves.toBeDefined();
  });

  test('a missing api-version is a 400 InvalidProtocolVersion', async () => {
    const response = await fx.rawRequest('GET', '/devices/json-1', undefined);
    expect(response.status).toBe(400);
    expect(response.headers['iothub-errorcode']).toBe('InvalidProtocolVersion');
  });

  test('an invalid device id is refused with a message naming the rule', async () => {
    const response = await fx.rawRequest('PUT', `/devices/${encodeURIComponent('a b')}?api-version=2021-04-12`, { deviceId: 'a b' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).Message).toContain('DeviceId "a b" is invalid');
  });

  test('a badly URL-encoded device id is a 400, an oversize body a 413', async () => {
    expect((await fx.rawRequest('GET', '/devices/%E0%A4%A?api-version=2021-04-12')).status).toBe(400);
    const huge = await fx.rawRequest('PUT', '/devices/huge?api-version=2021-04-12', { deviceId: 'huge', pad: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.headers['iothub-errorcode']).toBe('MessageTooLarge');
  });

  test('unknown paths are 404 and wrong methods 405', async () => {
    expect((await fx.rawRequest('GET', '/nothing/here?api-version=2021-04-12', undefined)).status).toBe(404);
    expect((await fx.rawRequest('PATCH', '/devices/x?api-version=2021-04-12', {})).status).toBe(405);
  });
});
