// Runs groups of tinybench tasks several times ("rounds"), alternating the task order, and keeps
// each task's per-operation median for every round. Ratios are formed per round, so a noisy
// neighbour slowing one round down moves both sides of the ratio together.
import { Bench } from 'tinybench';
import { median, relativeNoise } from './stats.mjs';

/**
 * tasks: [{ name, fn, opsPerCall, last?, beforeEach?, afterEach?, beforeAll?, afterAll? }]
 * returns { [name]: { perOpNs: number[] (one per round), medianNs, noise } }
 */
export async function measureRounds(tasks, { rounds = 3, time = 300, warmupTime = 50, iterations = 10 } = {}) {
  const perRound = Object.fromEntries(tasks.map((t) => [t.name, []]));
  // Tasks marked `last` (weak-napi) run after every round of the others: after weak-napi had run,
  // setDestructor measured 3-8x slower in the same process (90 ns per registration before, 300-760
  // after), even with a full GC in between. The rest alternate their order from round to round.
  const movable = tasks.filter((t) => !t.last);
  const last = tasks.filter((t) => t.last);
  const schedule = [];
  for (let round = 0; round < rounds; round++) {
    schedule.push(...(round % 2 === 0 ? movable : [...movable].reverse()));
  }
  for (let round = 0; round < rounds; round++) schedule.push(...last);
  for (const task of schedule) {
    // Start every task from a collected heap.
    globalThis.gc?.();
    const bench = new Bench({ time, warmupTime, iterations });
    bench.add(task.name, task.fn, {
      beforeAll: task.beforeAll,
      afterAll: task.afterAll,
      beforeEach: task.beforeEach,
      afterEach: task.afterEach,
    });
    await bench.run();
    const result = bench.tasks[0].result;
    if (result.state !== 'completed') {
      throw new Error(`${task.name}: ${result.state} ${result.error?.stack ?? ''}`);
    }
    perRound[task.name].push((result.latency.p50 * 1e6) / task.opsPerCall);
  }
  return summarizeRounds(perRound);
}

/** { [name]: per-round figures } -> { [name]: { perOpNs, medianNs, noise } }, as measureRounds returns. */
export function summarizeRounds(perRound) {
  return Object.fromEntries(
    Object.entries(perRound).map(([name, values]) => [
      name,
      { perOpNs: values, medianNs: median(values), noise: relativeNoise(values) },
    ]),
  );
}

/** Ratio a/b per round, with its median and relative spread. */
export function ratioOf(a, b) {
  const ratios = a.perOpNs.map((x, i) => x / b.perOpNs[i]);
  return { ratios, median: median(ratios), noise: relativeNoise(ratios) };
}

/** Collects garbage and yields until `done()` or the attempt budget runs out. */
export async function settle(done = () => true, attempts = 200) {
  globalThis.gc();
  for (let i = 0; i < attempts && !done(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (i % 20 === 19) globalThis.gc();
  }
  return done();
}
