// One fresh process: register N objects with one implementation, drop them all, collect, and
// time until every callback ran. Prints one JSON line.
import { benchRequire, loadWeakwire } from '../lib/weakwire.mjs';
import { loadFloor } from '../lib/floor.mjs';

const [impl, nArg] = process.argv.slice(2);
const n = Number(nArg);
let fired = 0;
const onDeath = () => {
  fired++;
};

// Called on every loop turn of the measurement (only the floor needs it).
let poll = () => 0;

function registrar() {
  switch (impl) {
    case 'weakwire': {
      const { setDestructor } = loadWeakwire();
      return (o, i) => setDestructor(o, onDeath, i);
    }
    case 'floor': {
      // The Node-API floor: its JavaScript side drains the dead ids while the loop turns.
      const floor = loadFloor();
      poll = () => floor.poll(onDeath);
      return (o, i) => floor.track(o, i);
    }
    case 'FinalizationRegistry': {
      // A registry that is itself collected never calls back: keep it reachable.
      const registry = (globalThis.benchRegistry = new FinalizationRegistry(onDeath));
      return (o, i) => registry.register(o, i);
    }
    case 'weak-napi': {
      const weak = benchRequire('weak-napi');
      return (o) => weak(o, onDeath);
    }
    default:
      throw new Error(`unknown implementation ${impl}`);
  }
}

const register = registrar();
const tick = () => new Promise((resolve) => setImmediate(resolve));

// On globalThis: a module-level binding alone does not keep the array alive across the awaits
// below (V8 may drop it early), and every target must die only when the timer has started.
globalThis.benchTargets = new Array(n);
let targets = globalThis.benchTargets;
for (let i = 0; i < n; i++) targets[i] = { id: i };
const r0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) register(targets[i], i);
const registerMs = Number(process.hrtime.bigint() - r0) / 1e6;
// Let allocation settle (weak-napi crashes when collection starts in the registering tick).
await tick();
globalThis.gc();
await tick();
poll();
const firedEarly = fired;

const t0 = process.hrtime.bigint();
targets = null;
globalThis.benchTargets = null;
globalThis.gc();
const gcMs = Number(process.hrtime.bigint() - t0) / 1e6;
const deadline = Date.now() + 120_000;
let polls = 0;
while (fired < n && Date.now() < deadline) {
  await tick();
  poll();
  if (++polls % 50 === 0) globalThis.gc();
}
const finalizeMs = Number(process.hrtime.bigint() - t0) / 1e6;
if (fired < n) {
  console.log(JSON.stringify({ impl, n, error: `only ${fired} of ${n} callbacks ran in 120 s` }));
  process.exit(1);
}
if (firedEarly > 0) {
  console.log(JSON.stringify({ impl, n, error: `${firedEarly} callbacks ran before the targets were dropped` }));
  process.exit(1);
}
console.log(JSON.stringify({ impl, n, registerMs, gcMs, finalizeMs, polls }));
