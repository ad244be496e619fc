// Plain HTTP functions: default route (the function name), query and body, %setting% routes.
const { app } = require('@azure/functions');

app.http('hello', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  handler: async (request) => {
    const name = request.query.get('name') ?? (await request.text()) ?? 'world';
    return { body: `${process.env.GREETING}, ${name || 'world'}!` };
  },
});

app.get('settingRoute', {
  route: '%ITEMS_SEGMENT%/resolved',
  handler: () => ({ jsonBody: { resolvedFrom: 'ITEMS_SEGMENT' } }),
});
