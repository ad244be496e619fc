// An ES module app with HTTP streaming on: request and response bodies are streams.
import { app } from '@azure/functions';
import { Readable } from 'node:stream';

app.setup({ enableHttpStream: true });

app.post('upload', {
  handler: async (request) => {
    let bytes = 0;
    for await (const chunk of request.body) bytes += chunk.length;
    return { jsonBody: { bytes, method: request.method, param: request.query.get('x') } };
  },
});

app.get('countdown', {
  route: 'countdown/{from:int}',
  handler: (request) => {
    const from = Number(request.params.from);
    const lines = Array.from({ length: from + 1 }, (_, i) => `${from - i}\n`);
    return { body: Readable.from(lines), headers: { 'content-type': 'text/plain' } };
  },
});
