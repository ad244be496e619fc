// A fan-out whose activities leave a trace on disk (so a test can count executions across
// crashes), and an orchestration that waits for an external event and a durable timer together.
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const df = require('durable-functions');

df.app.activity('work', {
  handler: async (n, context) => {
    await new Promise((resolve) => setTimeout(resolve, 5 + (n % 7)));
    appendFileSync(join(process.env.CRASH_TRACE_DIR, 'executions.log'), `${context.triggerMetadata.instanceId} ${n}\n`);
    return n * n;
  },
});

df.app.orchestration('fanOut', function* (context) {
  const count = context.df.getInput();
  const tasks = [];
  for (let n = 1; n <= count; n++) tasks.push(context.df.callActivity('work', n));
  const squares = yield context.df.Task.all(tasks);
  return { count: squares.length, sumOfSquares: squares.reduce((a, b) => a + b, 0) };
});

df.app.orchestration('eventAndTimer', function* (context) {
  const { timerMs } = context.df.getInput();
  const start = context.df.currentUtcDateTime.getTime();
  const timer = context.df.createTimer(new Date(start + timerMs));
  const approval = context.df.waitForExternalEvent('approve');
  yield context.df.Task.all([timer, approval]);
  const after = yield context.df.callActivity('work', 1000);
  return { approvedBy: approval.result, waitedAtLeastMs: context.df.currentUtcDateTime.getTime() - start >= timerMs, after };
});
