// Every invocation appends one JSON line to TRACE_DIR/trace.log, for the tests to read.
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');

exports.trace = (record) => appendFileSync(join(process.env.TRACE_DIR, 'trace.log'), `${JSON.stringify(record)}\n`);
