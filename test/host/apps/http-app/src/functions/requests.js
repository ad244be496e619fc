// Echoes what the function sees of the request: method, query, headers, route params, body forms.
const { app } = require('@azure/functions');

app.http('echo', {
  methods: ['POST', 'PUT', 'GET'],
  route: 'echo/{kind:alpha}',
  handler: async (request, context) => {
    const kind = request.params.kind;
    let body;
    if (kind === 'json') body = await request.json();
    else if (kind === 'binary') body = [...Buffer.from(await request.arrayBuffer())];
    else body = await request.text();
    return {
      jsonBody: {
        method: request.method,
        url: request.url,
        query: Object.fromEntries([...new Set(request.query.keys())].map((key) => [key, request.query.getAll(key)])),
        header: request.headers.get('x-test-header'),
        contentType: request.headers.get('content-type'),
        params: request.params,
        body,
        functionName: context.functionName,
        triggerType: context.options.trigger.type,
      },
    };
  },
});

app.get('item', {
  route: 'items/{id:int}/{name?}',
  handler: (request) => ({ jsonBody: { id: Number(request.params.id), name: request.params.name ?? null } }),
});

app.get('itemByName', {
  route: 'items/{name:alpha}',
  handler: (request) => ({ jsonBody: { byName: request.params.name } }),
});

app.get('itemsLatest', {
  route: 'items/latest',
  handler: () => ({ jsonBody: { latest: true } }),
});

app.get('files', {
  route: 'files/{*path}',
  handler: (request) => ({ body: `path=${request.params.path ?? ''}` }),
});

app.get('range', {
  route: 'range/{n:range(1,10)}/{code:regex(^[a-f0-9]{{4}}$)}',
  handler: (request) => ({ jsonBody: request.params }),
});
