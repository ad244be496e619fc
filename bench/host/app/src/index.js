// Trivial durable functions for the host benchmark (bench/host/index.ts): fan-out/fan-in, sequential
// episodes, and an orchestration that reports when it resumes after an external event.
const df = require('durable-functions');

df.app.activity('noop', { handler: (n) => n });

df.app.orchestration('fanOutFanIn', function* (context) {
  const tasks = [];
  for (let i = 0; i < context.df.getInput(); i++) tasks.push(context.df.callActivity('noop', i));
  const results = yield context.df.Task.all(tasks);
  return results.length;
});

df.app.orchestration('sequence', function* (context) {
  let total = 0;
  for (let i = 0; i < context.df.getInput(); i++) total += yield context.df.callActivity('noop', i);
  return total;
});

// Waits for `rounds` events; each resumption is stamped with the wall clock (not replay-safe on
// purpose, only when not replaying) so the benchmark can measure raise-to-resume latency.
df.app.orchestration('pingPong', function* (context) {
  const rounds = context.df.getInput();
  const resumedAt = [];
  for (let i = 0; i < rounds; i++) {
    yield context.df.waitForExternalEvent('ping');
    if (!context.df.isReplaying) resumedAt.push(performance.timeOrigin + performance.now());
    context.df.setCustomStatus({ round: i + 1, resumedAt: resumedAt[resumedAt.length - 1] ?? null });
  }
  return rounds;
});
