// Durations the docs state: how long `npm test` took when last timed (npm run docs:time-tests)
// and how long `npm run soak` runs (scripts/soak-durations.js).
import { createRequire } from 'node:module';
import { readResults } from './results.mjs';

const require = createRequire(import.meta.url);
const soak = require('../soak-durations.js');

export const timingBlocks = {
  'test-time': () => {
    const t = readResults('testTime');
    const minutes = Math.round(t.seconds / 30) / 2;
    return (
      `about ${minutes} minutes (${t.seconds} s for ${t.tests} tests in ${t.suites} files, timed ${t.date} ` +
      `on this 2-core machine at a load average of ${t.loadAverage.toFixed(1)})`
    );
  },
  'soak-full': () => `${soak.full.seconds} s (${soak.full.warmup} s warm-up)`,
  'soak-quick': () => `${soak.quick.seconds} s (${soak.quick.warmup} s warm-up)`,
};
