// Every response form of @azure/functions v4.
const { app, HttpResponse, output } = require('@azure/functions');

const namedOutput = output.http({ name: 'res' });

app.http('responses', {
  methods: ['GET'],
  route: 'responses/{form}',
  handler: async (request) => {
    switch (request.params.form) {
      case 'instance':
        return new HttpResponse({ status: 202, body: 'accepted', headers: { 'x-form': 'instance' } });
      case 'json':
        return { jsonBody: { ok: true, list: [1, 2, 3] } };
      case 'text':
        return { body: 'plain text' };
      case 'status':
        return { status: 418, headers: { 'X-Custom': 'teapot' } };
      case 'cookies':
        return {
          body: 'with cookies',
          cookies: [
            { name: 'session', value: 'abc', path: '/', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: 60 },
            { name: 'theme', value: 'dark', domain: 'localhost', expires: new Date(Date.UTC(2030, 0, 1)) },
          ],
        };
      case 'binary':
        return { body: new Uint8Array([0, 1, 2, 250, 255]), headers: { 'content-type': 'application/octet-stream' } };
      case 'nothing':
        return undefined;
      case 'throw':
        throw new Error('kaboom');
      default:
        return { status: 400, jsonBody: { error: `unknown form ${request.params.form}` } };
    }
  },
});

app.http('namedOutput', {
  methods: ['GET'],
  route: 'named',
  extraOutputs: [namedOutput],
  handler: (request, context) => {
    context.extraOutputs.set(namedOutput, { status: 201, body: 'from the named output' });
  },
});
