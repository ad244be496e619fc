// Bindings this host lacks: such functions are reported and don't run; the rest of the app does.
const { app, output } = require('@azure/functions');

app.storageQueue('queueWorker', {
  queueName: 'work',
  connection: 'QUEUE_CONNECTION',
  handler: () => {},
});

app.http('writesToQueue', {
  methods: ['POST'],
  extraOutputs: [output.storageQueue({ queueName: 'out', connection: 'QUEUE_CONNECTION' })],
  handler: () => ({ body: 'should never run' }),
});

app.get('missingSetting', {
  route: '%NO_SUCH_SETTING%/x',
  handler: () => ({ body: 'should never run' }),
});
