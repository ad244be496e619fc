// HTTP functions that drive the task hub through the real DurableClient (over the Durable HTTP API).
const { app } = require('@azure/functions');
const df = require('durable-functions');

df.app.client.http('startOrchestration', {
  route: 'orchestrators/{name}/{id?}',
  methods: ['POST'],
  handler: async (request, client) => {
    const text = await request.text();
    const instanceId = await client.startNew(request.params.name, {
      ...(request.params.id ? { instanceId: request.params.id } : {}),
      ...(text ? { input: JSON.parse(text) } : {}),
    });
    return client.createCheckStatusResponse(request, instanceId);
  },
});

df.app.client.http('startAndWait', {
  route: 'run/{name}',
  methods: ['POST'],
  handler: async (request, client) => {
    const text = await request.text();
    const instanceId = await client.startNew(request.params.name, text ? { input: JSON.parse(text) } : undefined);
    return client.waitForCompletionOrCreateCheckStatusResponse(request, instanceId, {
      timeoutInMilliseconds: 20000,
      retryIntervalInMilliseconds: 100,
    });
  },
});

// Each DurableClient operation, answered as JSON so tests can check what the client saw.
df.app.client.http('clientOperation', {
  route: 'client/{operation}/{id?}',
  methods: ['GET', 'POST', 'DELETE'],
  handler: async (request, client) => {
    const id = request.params.id;
    const q = (name) => request.query.get(name) ?? undefined;
    switch (request.params.operation) {
      case 'status': {
        try {
          const status = await client.getStatus(id, {
            showHistory: q('history') === 'true',
            showHistoryOutput: q('history') === 'true',
            showInput: true,
          });
          return { jsonBody: status };
        } catch (error) {
          return { status: 404, jsonBody: { error: error.message } };
        }
      }
      case 'statusBy': {
        const runtimeStatus = q('runtimeStatus') ? q('runtimeStatus').split(',') : undefined;
        const list = await client.getStatusBy({
          ...(runtimeStatus ? { runtimeStatus } : {}),
          ...(q('from') ? { createdTimeFrom: new Date(q('from')) } : {}),
        });
        return { jsonBody: list.map((s) => ({ instanceId: s.instanceId, runtimeStatus: s.runtimeStatus, name: s.name })) };
      }
      case 'statusAll':
        return { jsonBody: (await client.getStatusAll()).map((s) => s.instanceId) };
      case 'raise':
        await client.raiseEvent(id, q('event'), JSON.parse(await request.text()));
        return { status: 202 };
      case 'terminate':
        await client.terminate(id, q('reason'));
        return { status: 202 };
      case 'suspend':
        await client.suspend(id, q('reason'));
        return { status: 202 };
      case 'resume':
        await client.resume(id, q('reason'));
        return { status: 202 };
      case 'rewind':
        try {
          await client.rewind(id, 'because');
          return { status: 202 };
        } catch (error) {
          return { status: 409, jsonBody: { error: error.message } };
        }
      case 'purge':
        return { jsonBody: await client.purgeInstanceHistory(id) };
      case 'purgeBy':
        return {
          jsonBody: await client.purgeInstanceHistoryBy({ createdTimeFrom: new Date(0), runtimeStatus: q('runtimeStatus').split(',') }),
        };
      case 'signal':
        await client.signalEntity(new df.EntityId(q('entity'), id), q('op'), JSON.parse((await request.text()) || 'null') ?? undefined);
        return { status: 202 };
      case 'readEntity': {
        const response = await client.readEntityState(new df.EntityId(q('entity'), id));
        return { jsonBody: { exists: response.entityExists, state: response.entityState ?? null } };
      }
      case 'payload':
        return { jsonBody: client.createHttpManagementPayload(id) };
      default:
        return { status: 400, jsonBody: { error: `unknown operation ${request.params.operation}` } };
    }
  },
});

// A non-durable function next to durable ones.
app.get('ping', { handler: () => ({ body: 'pong' }) });
