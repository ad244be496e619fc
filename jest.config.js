/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 60000,
  // Integration suites open real sockets; two workers match the 2-core machines we run on.
  maxWorkers: 2,
  // A worker with nothing left open still needs time to exit: Node frees its heap and the native objects behind
  // thousands of device TLS connections. On a loaded 2-core machine that exceeds Jest's 500 ms default, which Jest
  // then reports as a leak. A real leak never exits at all, so it is still reported, 5 s later.
  workerGracefulExitTimeout: 5000,
};
