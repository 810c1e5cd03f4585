// Finalize and memory cases: each repetition in its own fresh process.
import { runChild } from './child.mjs';
import { median, relativeNoise } from './stats.mjs';

export const DESTRUCTOR_IMPLS = ['weakwire', 'floor', 'FinalizationRegistry', 'weak-napi'];

async function repeated(script, impls, n, reps, pick, extraArgs = []) {
  const runs = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let rep = 0; rep < reps; rep++) {
    const ordered = rep % 2 === 0 ? impls : [...impls].reverse();
    for (const impl of ordered) runs[impl].push(await runChild(script, [impl, n, ...extraArgs]));
  }
  return Object.fromEntries(
    impls.map((impl) => {
      const values = runs[impl].map(pick);
      const crashed = runs[impl].filter((run) => run.crashedAtExit).length;
      return [
        impl,
        { values, median: median(values), noise: relativeNoise(values), runs: runs[impl], crashedAtExit: crashed },
      ];
    }),
  );
}

export const finalizeCase = ({ n, reps, impls = DESTRUCTOR_IMPLS }) =>
  repeated('finalize.mjs', impls, n, reps, (run) => run.finalizeMs);

export const memoryCase = ({ n, reps, impls = DESTRUCTOR_IMPLS }) =>
  repeated('memory.mjs', impls, n, reps, (run) => run);
