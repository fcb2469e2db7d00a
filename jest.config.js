/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(agenda|@agendajs)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // A guard: a handle left open by any suite would keep the run from ending, and CI would only stop at its time
  // limit. The one found (Agenda's LISTEN channel reconnecting every 100 ms for ever after a scheduler closed during
  // a reconnect) is fixed in src/jobs/scheduler/scheduler.ts (`silence`); `--forceExit=false` shows whether a run
  // ends by itself (src/api, where one run had hung, ended by itself twice after the fix).
  forceExit: true,
  // With one worker (two cores), jest would run every file in band, in its own process, whose heap only grows over
  // the run (each file's modules, up to 1 GB by the end): the late files then paid for the early ones, most of all
  // those that collect garbage on purpose (event-export measures memory). With this set, the files run in a worker
  // that is replaced once it holds this much, so each file's process is about as it would be alone.
  workerIdleMemoryLimit: '600MB',
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
