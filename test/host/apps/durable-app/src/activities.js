// Activities: plain, failing, flaky (fails a given number of times per key), slow.
const df = require('durable-functions');

df.app.activity('sayHello', { handler: (name) => `Hello ${name}!` });

df.app.activity('double', { handler: (n) => n * 2 });

df.app.activity('identity', { handler: (value) => value });

df.app.activity('describeInput', {
  handler: (input, context) => ({ type: typeof input, input, instanceId: context.triggerMetadata.instanceId }),
});

df.app.activity('alwaysFails', {
  handler: (message) => {
    throw new TypeError(`always fails: ${message}`);
  },
});

// Fails the first `failures` calls for a key, then answers: retries are observable.
const calls = new Map();
df.app.activity('flaky', {
  handler: ({ key, failures }) => {
    const count = (calls.get(key) ?? 0) + 1;
    calls.set(key, count);
    if (count <= failures) throw new Error(`flaky failure ${count} for ${key}`);
    return { key, attempts: count };
  },
});

df.app.activity('sleep', {
  handler: async (ms) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  },
});

// Records how many activities run at once (host.json maxConcurrentActivityFunctions).
let running = 0;
let maxRunning = 0;
df.app.activity('concurrencyProbe', {
  handler: async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((resolve) => setTimeout(resolve, 30));
    running--;
    return maxRunning;
  },
});
