// Timer triggers: every second, and a monitored one whose missed runs are reported past due.
const { app } = require('@azure/functions');
const { trace } = require('./trace');

app.timer('everySecond', {
  schedule: '*/1 * * * * *',
  handler: (timer, context) => trace({ fn: 'everySecond', timer, at: Date.now(), invocationId: context.invocationId }),
});

app.timer('monitored', {
  schedule: '*/2 * * * * *',
  useMonitor: true,
  handler: (timer) => trace({ fn: 'monitored', timer, at: Date.now() }),
});

app.timer('badSchedule', {
  schedule: 'every now and then',
  handler: () => trace({ fn: 'badSchedule' }),
});
