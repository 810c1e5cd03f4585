// The corpus under Jest as a user runs it: plain JavaScript test files, weakwire's matchers from
// setupFilesAfterEnv. `npm run bench:leaks` starts one Jest run per tool.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/corpus.spec.cjs'],
  transform: {},
  setupFilesAfterEnv: ['weakwire/jest'],
  testTimeout: 300_000,
};
