/** `npm run test:slow`: the suites kept out of `npm test` because they take long (*.slow.test.ts). */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['**/*.slow.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
