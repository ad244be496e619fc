import { HubFixture } from '../support/hubFixture';

describe('twin queries through Registry.createQuery', () => {
  const fx = new HubFixture();
  beforeAll(async () => {
    await fx.start();
    const rings = ['canary', 'early', 'broad'];
    const devices = Array.from({ length: 45 }, (_, i) => ({ deviceId: `q-${String(i).padStart(2, '0')}` }));
    await fx.registry.addDevices(devices);
    for (const [i, { deviceId }] of devices.entries()) {
      await fx.registry.updateTwin(deviceId, { tags: { ring: rings[i % 3], index: i } }, '*');
    }
    // A few devices report a firmware version.
    for (const id of ['q-00', 'q-01', 'q-02']) {
      const client = await fx.deviceClient(await fx.connectionStringOf(id));
      await client.open();
      const twin = await client.getTwin();
      await new Promise<void>((resolve, reject) =>
        twin.properties.reported.update({ firmware: { currentFwVersion: id === 'q-02' ? '2.0.0' : '1.0.0' } }, (err?: Error) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
  });
  afterAll(() => fx.stop());

  async function allPages(sql: string, pageSize: number): Promise<{ items: unknown[]; pages: number }> {
    const query = fx.registry.createQuery(sql, pageSize);
    const items: unknown[] = [];
    let pages = 0;
    while (query.hasMoreResults) {
      // The SDK's promise form of next() ignores its own continuationToken unless it is passed back.
      const { result } = await query.next(query.continuationToken as string);
      items.push(...(result as unknown[]));
      pages++;
    }
    return { items, pages };
  }

  test('WHERE on tags, paged across several pages', async () => {
    const { items, pages } = await allPages("SELECT * FROM devices WHERE tags.ring = 'canary'", 4);
    expect(items).toHaveLength(15);
    expect(pages).toBe(4);
    expect(new Set(items.map((t) => (t as { deviceId: string }).deviceId)).size).toBe(15);
  });

  test('nextAsTwin returns Twin objects', async () => {
    const query = fx.registry.createQuery("SELECT * FROM devices WHERE deviceId IN ['q-00', 'q-01']", 1);
    const first = await query.nextAsTwin();
    expect(first.result).toHaveLength(1);
    expect(first.result[0].deviceId).toBe('q-00');
    expect(query.hasMoreResults).toBe(true);
  });

  test('IN, NOT and numeric comparisons', async () => {
    const { items } = await allPages("SELECT deviceId FROM devices WHERE tags.ring IN ['early', 'broad'] AND NOT (tags.index >= 10)", 100);
    expect(items).toEqual(['q-01', 'q-02', 'q-04', 'q-05', 'q-07', 'q-08'].map((deviceId) => ({ deviceId })));
  });

  test('IS_DEFINED on reported properties', async () => {
    const { items } = await allPages(
      'SELECT deviceId, properties.reported.firmware.currentFwVersion AS fw FROM devices WHERE IS_DEFINED(properties.reported.firmware)',
      100,
    );
    expect(items).toEqual([
      { deviceId: 'q-00', fw: '1.0.0' },
      { deviceId: 'q-01', fw: '1.0.0' },
      { deviceId: 'q-02', fw: '2.0.0' },
    ]);
  });

  test('COUNT with GROUP BY', async () => {
    const { items } = await allPages(
      "SELECT tags.ring AS ring, COUNT() AS n FROM devices WHERE STARTS_WITH(deviceId, 'q-') GROUP BY tags.ring",
      100,
    );
    expect(items).toEqual(
      expect.arrayContaining([
        { ring: 'canary', n: 15 },
        { ring: 'early', n: 15 },
        { ring: 'broad', n: 15 },
      ]),
    );
    expect(items).toHaveLength(3);
  });

  test('a syntax error is a 400 naming the place', async () => {
    const response = await fx.rawRequest('POST', '/devices/query?api-version=2021-04-12', { query: 'SELECT * FORM devices' });
    expect(response.status).toBe(400);
    expect(response.headers['iothub-errorcode']).toBe('ArgumentInvalid');
    expect(JSON.parse(response.body).Message).toMatch(/line 1, column 10/);
  });

  test('the last page carries no continuation header (an empty one would make the SDK loop)', async () => {
    const response = await fx.rawRequest('POST', '/devices/query?api-version=2021-04-12', { query: 'SELECT * FROM devices' });
    expect(response.status).toBe(200);
    expect(response.headers['x-ms-continuation']).toBeUndefined();
  });
});
