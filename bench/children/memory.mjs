// One fresh process: memory per tracked object. Baseline is N live plain objects; then each is
// registered with one implementation and the heap, external and RSS deltas are divided by N.
import { benchRequire, loadWeakwire } from '../lib/weakwire.mjs';
import { loadFloor } from '../lib/floor.mjs';

const [impl, nArg] = process.argv.slice(2);
const n = Number(nArg);
const noop = () => {};

// Called on every loop turn of the measurement (only the floor needs it).
let poll = () => 0;

function registrar() {
  switch (impl) {
    case 'weakwire': {
      const { setDestructor } = loadWeakwire();
      return (o, i) => setDestructor(o, noop, i);
    }
    case 'floor': {
      // The Node-API floor: its JavaScript side drains the dead ids while the loop turns.
      const floor = loadFloor();
      poll = () => floor.poll(noop);
      return (o, i) => floor.track(o, i);
    }
    case 'FinalizationRegistry': {
      // A registry that is itself collected never calls back: keep it reachable.
      const registry = (globalThis.benchRegistry = new FinalizationRegistry(noop));
      return (o, i) => registry.register(o, i);
    }
    case 'weak-napi': {
      const weak = benchRequire('weak-napi');
      return (o) => weak(o, noop);
    }
    case 'none':
      return () => {};
    default:
      throw new Error(`unknown implementation ${impl}`);
  }
}

const register = registrar();
const tick = () => new Promise((resolve) => setImmediate(resolve));
async function sample() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await tick();
    poll();
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}

// Warm the code path on a few objects that die, so JIT code and lazy setup are in the baseline.
for (let i = 0; i < 1000; i++) register({ id: i }, i);
// On globalThis so that V8 cannot drop the array early (a module-level binding alone is not enough).
const targets = (globalThis.benchTargets = new Array(n));
for (let i = 0; i < n; i++) targets[i] = { id: i };
const before = await sample();
// Cancel functions and weak-napi references are not kept: the benchmark measures what the
// registration itself costs while the target lives.
for (let i = 0; i < n; i++) register(targets[i], i);
const after = await sample();
const per = (key) => (after[key] - before[key]) / n;
const result = {
  impl,
  n,
  heapPerObject: per('heap'),
  externalPerObject: per('external'),
  rssPerObject: per('rss'),
};
result.totalPerObject = result.heapPerObject + Math.max(result.externalPerObject, 0);
console.log(JSON.stringify(result));
if (targets.length !== n) throw new Error('unreachable');
