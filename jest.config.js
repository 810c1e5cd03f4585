/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // *.slow.test.ts (the soak, the long no-leak cases) run in `npm run test:slow` (jest.slow.config.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.slow\\.test\\.ts$'],
  transform: {
    // ts-jest needs TypeScript's JavaScript API, which TypeScript 7 no longer has: see README.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 120000,
  // After each file's tests: are FinalizationRegistry callbacks still delivered? (test/finalizer_watch.ts)
  setupFilesAfterEnv: ['<rootDir>/test/finalizer_watch.ts'],
};
