// Entities: a counter with operations, and an audit log it signals.
const df = require('durable-functions');

df.app.entity('counter', (context) => {
  const value = context.df.getState(() => 0);
  switch (context.df.operationName) {
    case 'add': {
      const next = value + context.df.getInput();
      context.df.setState(next);
      context.df.return(next);
      break;
    }
    case 'get':
      context.df.return(value);
      break;
    case 'reset':
      context.df.setState(0);
      break;
    case 'forward':
      context.df.signalEntity(new df.EntityId('audit', context.df.getInput().to), 'record', { from: context.df.entityKey, value });
      break;
    case 'delete':
      context.df.destructOnExit();
      break;
    case 'explode':
      throw new Error('entity operation failed');
    default:
      throw new Error(`unknown operation ${context.df.operationName}`);
  }
});

df.app.entity('audit', (context) => {
  const log = context.df.getState(() => []);
  log.push(context.df.getInput());
  context.df.setState(log);
});
