// Event Hub triggers on the IoT Hub's built-in endpoint: a batch function and a one-at-a-time one.
const { app } = require('@azure/functions');
const { trace } = require('./trace');

app.eventHub('twinChangesBatch', {
  connection: 'HUB_CONNECTION',
  eventHubName: '%EVENT_HUB_NAME%',
  cardinality: 'many',
  handler: (events, context) => {
    trace({ fn: 'twinChangesBatch', events, metadata: context.triggerMetadata });
  },
});

app.eventHub('twinChangesOne', {
  connection: 'HUB_CONNECTION',
  eventHubName: '%EVENT_HUB_NAME%',
  consumerGroup: 'single',
  cardinality: 'one',
  retry: { strategy: 'fixedDelay', maxRetryCount: 2, delayInterval: { milliseconds: 50 } },
  handler: (event, context) => {
    // The first delivery of each event fails once: the retry policy delivers it again.
    if (!context.retryContext) throw new Error('first attempt fails');
    trace({ fn: 'twinChangesOne', event, metadata: context.triggerMetadata, retryCount: context.retryContext.retryCount });
  },
});
