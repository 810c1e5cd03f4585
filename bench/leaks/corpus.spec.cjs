'use strict';
// One tool (LEAK_TOOL) on every scenario of the corpus, LEAK_RUNS times each. Each check's
// verdict and time go to LEAK_OUT, one JSON line per check; the tests themselves always pass.
const fs = require('node:fs');
const { scenarios } = require('./corpus.cjs');
const { track, expectNoLeak, leakTarget } = require('weakwire/testing');
const LeakDetector = require('jest-leak-detector').default;

const TOOL = process.env.LEAK_TOOL;
const RUNS = Number(process.env.LEAK_RUNS || 10);
const OUT = process.env.LEAK_OUT;
const ONLY = process.env.LEAK_ONLY ? new RegExp(process.env.LEAK_ONLY) : undefined;

// In their own frames, so the subject is not held by the caller while it is being watched.
function trackSubject(scenario, ctx) {
  return track(scenario.call(ctx, 0), scenario.name);
}
function detectSubject(scenario, ctx) {
  return new LeakDetector(scenario.call(ctx, 0));
}

const tools = {
  async 'weakwire expectNoLeak'(scenario, ctx) {
    const target = scenario.worker ? leakTarget(ctx.worker) : undefined;
    const fn = target ? target.fn('handle') : (i) => scenario.call(ctx, i);
    try {
      await expectNoLeak(fn, { label: scenario.name });
      return false;
    } catch (error) {
      if (error?.name === 'LeakError') return true;
      throw error;
    } finally {
      target?.close();
    }
  },
  async 'weakwire toBeCollected'(scenario, ctx) {
    const target = scenario.worker ? leakTarget(ctx.worker) : undefined;
    const tracker = target ? target.track('handle', scenario.name) : trackSubject(scenario, ctx);
    try {
      await expect(tracker).toBeCollected();
      return false;
    } catch (error) {
      if (/to be collected, but it is still alive/.test(String(error?.message))) return true;
      throw error;
    } finally {
      target?.close();
    }
  },
  async 'jest-leak-detector'(scenario, ctx) {
    const detector = detectSubject(scenario, ctx);
    return detector.isLeaking();
  },
};

const check = tools[TOOL];
if (check === undefined) throw new Error(`LEAK_TOOL must be one of: ${Object.keys(tools).join(', ')}`);

for (const scenario of scenarios) {
  if (ONLY && !ONLY.test(scenario.name)) continue;
  for (let run = 0; run < RUNS; run++) {
    test(`${TOOL} | ${scenario.name} | run ${run + 1}`, async () => {
      const ctx = scenario.setup();
      try {
        const started = performance.now();
        const reported = await check(scenario, ctx);
        const ms = performance.now() - started;
        fs.appendFileSync(OUT, `${JSON.stringify({ tool: TOOL, scenario: scenario.name, leaks: scenario.leaks, run, reported, ms })}\n`);
      } finally {
        await scenario.teardown(ctx);
      }
    });
  }
}
