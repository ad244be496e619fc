// Orchestrations covering each durable feature; every one is deterministic and replay-safe.
const df = require('durable-functions');

df.app.orchestration('hello', function* (context) {
  const names = context.df.getInput() ?? ['Tokyo', 'Seattle', 'London'];
  const results = [];
  for (const name of names) results.push(yield context.df.callActivity('sayHello', name));
  return results;
});

df.app.orchestration('fanOut', function* (context) {
  const count = context.df.getInput();
  const tasks = [];
  for (let i = 1; i <= count; i++) tasks.push(context.df.callActivity('double', i));
  const results = yield context.df.Task.all(tasks);
  return { count: results.length, sum: results.reduce((a, b) => a + b, 0) };
});

df.app.orchestration('inputs', function* (context) {
  const values = ['text', 42, 1.5, true, null, { nested: ['a', 1] }, [1, 2]];
  const echoed = [];
  for (const value of values) echoed.push(yield context.df.callActivity('identity', value));
  const described = yield context.df.callActivity('describeInput', 'a string');
  return { echoed, described, input: context.df.getInput(), isReplaying: context.df.isReplaying };
});

df.app.orchestration('withRetry', function* (context) {
  const { key, failures, attempts } = context.df.getInput();
  const retry = new df.RetryOptions(50, attempts);
  retry.backoffCoefficient = 2;
  try {
    return yield context.df.callActivityWithRetry('flaky', retry, { key, failures });
  } catch (error) {
    return { failedWith: error.message, name: error.name };
  }
});

df.app.orchestration('retryInParallel', function* (context) {
  const retry = new df.RetryOptions(30, 4);
  const prefix = context.df.getInput();
  const tasks = [
    context.df.callActivityWithRetry('flaky', retry, { key: `${prefix}-a`, failures: 2 }),
    context.df.callActivity('double', 21),
    context.df.callActivityWithRetry('flaky', retry, { key: `${prefix}-b`, failures: 1 }),
  ];
  const [a, doubled, b] = yield context.df.Task.all(tasks);
  const after = yield context.df.callActivity('sayHello', 'after retries');
  return { a, doubled, b, after };
});

df.app.orchestration('activityFailure', function* (context) {
  try {
    yield context.df.callActivity('alwaysFails', 'boom');
    return 'not reached';
  } catch (error) {
    return { name: error.name, message: error.message, errorType: error.failureDetails?.errorType };
  }
});

df.app.orchestration('failing', function* (context) {
  yield context.df.callActivity('sayHello', 'before failing');
  throw new Error('kaboom');
});

df.app.orchestration('child', function* (context) {
  const input = context.df.getInput();
  if (input && input.fail) throw new Error(`child failed on purpose (${input.tag})`);
  const greeting = yield context.df.callActivity('sayHello', input.tag);
  return { greeting, parent: context.df.parentInstanceId, self: context.df.instanceId };
});

df.app.orchestration('parent', function* (context) {
  const id = context.df.instanceId;
  const first = yield context.df.callSubOrchestrator('child', { tag: 'one' });
  const second = yield context.df.callSubOrchestrator('child', { tag: 'two' }, `${id}-child-two`);
  let failure;
  try {
    yield context.df.callSubOrchestrator('child', { tag: 'three', fail: true });
  } catch (error) {
    failure = error.message;
  }
  const parallel = yield context.df.Task.all([1, 2, 3].map((n) => context.df.callSubOrchestrator('child', { tag: `p${n}` })));
  return { first, second, failure, parallel: parallel.map((r) => r.greeting) };
});

df.app.orchestration('timerThenEvent', function* (context) {
  const { delayMs, timeoutMs } = context.df.getInput();
  const started = context.df.currentUtcDateTime.getTime();
  yield context.df.createTimer(new Date(started + delayMs));
  const afterTimer = context.df.currentUtcDateTime.getTime();
  context.df.setCustomStatus({ phase: 'waiting for approval' });
  const approval = context.df.waitForExternalEvent('approve');
  const timeout = context.df.createTimer(new Date(afterTimer + timeoutMs));
  const winner = yield context.df.Task.any([approval, timeout]);
  if (winner === timeout) return { outcome: 'timed out', waitedMs: afterTimer - started };
  timeout.cancel();
  context.df.setCustomStatus({ phase: 'approved' });
  return { outcome: 'approved', by: approval.result, waitedMs: afterTimer - started };
});

df.app.orchestration('bufferedEvents', function* (context) {
  // The events are raised while this first timer runs: they must wait in the history.
  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 300));
  const second = yield context.df.waitForExternalEvent('second');
  const first = yield context.df.waitForExternalEvent('first');
  const both = yield context.df.Task.all([context.df.waitForExternalEvent('x'), context.df.waitForExternalEvent('x')]);
  return [first, second, both];
});

df.app.orchestration('counterLoop', function* (context) {
  const state = context.df.getInput();
  const next = { count: state.count + 1, max: state.max, seen: [...state.seen, context.df.instanceId.length] };
  context.df.setCustomStatus({ count: next.count });
  yield context.df.callActivity('double', next.count);
  if (next.count < next.max) {
    context.df.continueAsNew(next);
    return undefined;
  }
  return next;
});

df.app.orchestration('waitForever', function* (context) {
  context.df.setCustomStatus('waiting');
  const value = yield context.df.waitForExternalEvent('release');
  return { released: value };
});

df.app.orchestration('entityUser', function* (context) {
  const key = context.df.getInput();
  const counter = new df.EntityId('counter', key);
  context.df.signalEntity(counter, 'add', 5);
  const afterAdd = yield context.df.callEntity(counter, 'add', 3);
  const value = yield context.df.callEntity(counter, 'get');
  let failure;
  try {
    yield context.df.callEntity(counter, 'explode');
  } catch (error) {
    failure = error instanceof Error;
  }
  context.df.signalEntity(counter, 'forward', { to: key });
  return { afterAdd, value, failure };
});

df.app.orchestration('deterministicIds', function* (context) {
  const a = context.df.newGuid(context.df.instanceId);
  const b = context.df.newGuid(context.df.instanceId);
  yield context.df.callActivity('identity', a);
  return { a, b, same: a === b };
});

df.app.orchestration('probeConcurrency', function* (context) {
  const tasks = [];
  for (let i = 0; i < context.df.getInput(); i++) tasks.push(context.df.callActivity('concurrencyProbe'));
  const seen = yield context.df.Task.all(tasks);
  return Math.max(...seen);
});

// A known amount of durable work, one thing per episode, so that test/host/durableWork.test.ts can count it exactly.
df.app.orchestration('knownWork', function* (context) {
  const { key, round, seen } = context.df.getInput();
  if (round === 1) return seen;
  for (let n = 1; n <= 3; n++) yield context.df.callActivity('double', n);
  for (let i = 0; i < 2; i++) yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10));
  const child = yield context.df.callSubOrchestrator('child', { tag: key });
  context.df.setCustomStatus('waiting for go');
  const go = yield context.df.waitForExternalEvent('go');
  const counter = new df.EntityId('counter', key);
  const before = yield context.df.callEntity(counter, 'get');
  context.df.signalEntity(counter, 'add', 1);
  context.df.signalEntity(counter, 'add', 2);
  context.df.continueAsNew({ key, round: 1, seen: { greeting: child.greeting, go, before } });
  return undefined;
});
