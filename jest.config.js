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
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
