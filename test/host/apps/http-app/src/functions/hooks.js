// Lifecycle hooks: appStart, preInvocation (wrapping the handler) and postInvocation (changing the result).
const { app } = require('@azure/functions');

let appStarted = false;
app.hook.appStart((context) => {
  context.hookData.startedBy = 'appStart';
  appStarted = true;
});

app.hook.preInvocation((context) => {
  if (context.invocationContext.functionName === 'hooked') {
    context.hookData.seen = 'pre';
    const original = context.functionHandler;
    context.functionHandler = (...args) => original(...args);
  }
});

app.hook.postInvocation((context) => {
  if (context.invocationContext.functionName === 'hooked') {
    context.result = { jsonBody: { ...context.result.jsonBody, hookData: context.hookData.seen, appStarted } };
  }
});

app.get('hooked', { handler: () => ({ jsonBody: { fromHandler: true } }) });
