// Runs every case and turns the raw figures into named ratios (ours / peer).
import { registerAcrossProcesses } from '../cases/register.mjs';
import { mapCase, mapScaleCase, MAP_OPS, MAP_SCALE_SIZES } from '../cases/map.mjs';
import { remoteCase } from '../cases/remote.mjs';
import { payloadCase } from '../cases/payload.mjs';
import { finalizeCase, memoryCase } from './macro.mjs';
import { ratioOf } from './rounds.mjs';
import { median, relativeNoise } from './stats.mjs';

export const PROFILES = {
  // register: registerProcs fresh processes of 2 rounds of 40 ms (each round's median over ~70
  // batches of 10,000); a process, not a round, is what moves that case (bench/NOTES.md).
  full: { rounds: 3, time: 400, finalizeN: 1_000_000, memoryN: 1_000_000, reps: 3, finalizeReps: 5, registerProcs: 5, registerRounds: 2, registerTime: 40, mapSize: 10_000 },
  // Memory per object depends on size (vector growth, fixed costs): measured at the full size.
  quick: { rounds: 5, time: 150, finalizeN: 200_000, memoryN: 1_000_000, reps: 3, finalizeReps: 3, registerProcs: 3, registerRounds: 2, registerTime: 40, mapSize: 10_000 },
};

const log = (...args) => console.error('[bench]', ...args);

function perRun(a, b, fn) {
  const values = a.map((x, i) => fn(x, b[i]));
  return { values, median: median(values), noise: relativeNoise(values) };
}

export async function measureAll(profile, { only } = {}) {
  const want = (name) => !only || only.includes(name);
  const cases = {};
  const ratios = {};

  // Maps first: weak-napi (in the register case) slows later native work in the same process.
  if (want('map')) {
    log('weak map operations');
    const r = await mapCase({ rounds: profile.rounds, time: profile.time, size: profile.mapSize });
    cases.map = r;
    for (const op of MAP_OPS) {
      ratios[`map ${op}:IDWeakMap/hand-written`] = ratioOf(r[`IDWeakMap ${op}`], r[`Map<key, WeakRef> + FR ${op}`]);
      ratios[`map ${op}:IDWeakMap/weakref`] = ratioOf(r[`IDWeakMap ${op}`], r[`weakref WeakValueMap ${op}`]);
    }
  }

  if (want('map') || want('map-scale')) {
    log('weak map get/has at 10^3..10^5 entries, size() between collections');
    const r = await mapScaleCase({ rounds: profile.rounds, time: profile.time });
    cases.mapScale = r;
    const worst = (op) => {
      const per = MAP_SCALE_SIZES.map((n) => ratioOf(r[`IDWeakMap ${op} @${n}`], r[`Map<key, WeakRef> + FR ${op} @${n}`]));
      per.forEach((ratio, i) => (ratios[`map ${op} @${MAP_SCALE_SIZES[i]}:IDWeakMap/hand-written`] = ratio));
      return per.reduce((a, b) => (b.median > a.median ? b : a));
    };
    ratios['map get (worst of 10^3..10^5):IDWeakMap/hand-written'] = worst('get');
    ratios['map has (worst of 10^3..10^5):IDWeakMap/hand-written'] = worst('has');
    const first = MAP_SCALE_SIZES[0];
    const last = MAP_SCALE_SIZES[MAP_SCALE_SIZES.length - 1];
    ratios['map size:10^5/10^3'] = ratioOf(r[`IDWeakMap size @${last}`], r[`IDWeakMap size @${first}`]);
  }

  if (want('register')) {
    log(`register a destructor (${profile.registerProcs} fresh processes)`);
    const r = await registerAcrossProcesses({
      procs: profile.registerProcs,
      rounds: profile.registerRounds,
      time: profile.registerTime,
    });
    cases.register = r;
    ratios['register:weakwire/floor'] = ratioOf(r['weakwire setDestructor'], r['Node-API floor']);
    ratios['register:weakwire/FR'] = ratioOf(r['weakwire setDestructor'], r['FinalizationRegistry.register']);
    ratios['register:floor/FR'] = ratioOf(r['Node-API floor'], r['FinalizationRegistry.register']);
    ratios['register:weakwire/weak-napi'] = ratioOf(r['weakwire setDestructor'], r['weak-napi weak(o, cb)']);
  }

  if (want('finalize')) {
    log(`finalize ${profile.finalizeN} objects (fresh process per run)`);
    const r = await finalizeCase({ n: profile.finalizeN, reps: profile.finalizeReps });
    cases.finalize = { n: profile.finalizeN, ...r };
    const ours = r.weakwire.values;
    ratios['finalize:weakwire/floor'] = perRun(ours, r.floor.values, (a, b) => a / b);
    ratios['finalize:weakwire/FR'] = perRun(ours, r.FinalizationRegistry.values, (a, b) => a / b);
    ratios['finalize:floor/FR'] = perRun(r.floor.values, r.FinalizationRegistry.values, (a, b) => a / b);
    ratios['finalize:weakwire/weak-napi'] = perRun(ours, r['weak-napi'].values, (a, b) => a / b);
  }

  if (want('memory')) {
    log(`memory per tracked object at ${profile.memoryN} (fresh process per run)`);
    const r = await memoryCase({ n: profile.memoryN, reps: profile.reps });
    const summary = { n: profile.memoryN };
    for (const [impl, data] of Object.entries(r)) {
      const field = (key) => {
        const values = data.runs.map((run) => run[key]);
        return { values, median: median(values) };
      };
      summary[impl] = {
        heap: field('heapPerObject'),
        external: field('externalPerObject'),
        rss: field('rssPerObject'),
        crashedAtExit: data.crashedAtExit,
      };
    }
    cases.memory = summary;
    const diff = (peer) => {
      const a = summary.weakwire.rss.values;
      const b = summary[peer].rss.values;
      const values = a.map((x, i) => x - b[i]);
      // Relative spread of the difference, measured from the spread of both sides in bytes.
      const spread = (relativeNoise(a) * median(a) + relativeNoise(b) * median(b)) / Math.max(1, Math.abs(median(values)));
      return { values, median: median(values), noise: spread };
    };
    ratios['memory:weakwire-floor (rss bytes)'] = diff('floor');
    ratios['memory:weakwire-FR (rss bytes)'] = diff('FinalizationRegistry');
    ratios['memory:weakwire-weak-napi (rss bytes)'] = diff('weak-napi');
    const heapDiff = summary.weakwire.heap.values.map((x, i) => x - summary.FinalizationRegistry.heap.values[i]);
    ratios['memory:weakwire-FR (heap bytes)'] = { values: heapDiff, median: median(heapDiff), noise: relativeNoise(heapDiff) };
  }

  if (want('remote')) {
    log('remote objects');
    // Round trips between threads swing with the machine's scheduling far more than the
    // in-process cases, and a round here is short (~2 s): take the median of more rounds.
    const rounds = Math.max(profile.rounds, 7);
    const r = await remoteCase({ rounds, time: profile.time, quick: profile === PROFILES.quick });
    cases.remote = r;
    for (const [name, ratio] of Object.entries(r.ratios ?? {})) ratios[`remote:${name}`] = ratio;
    if (r.unavailable) {
      for (const name of ['sync/raw sync', 'sync/atomics', 'async/raw postMessage', 'async/comlink', 'concurrent/comlink', 'FREE messages']) {
        ratios[`remote:${name}`] ??= { unavailable: r.unavailable };
      }
    }
  }
  if (want('payload')) {
    log('remote payloads (MessagePort, TCP), proxy memory, start-up');
    const r = await payloadCase({ rounds: Math.max(profile.rounds, 5) });
    cases.payload = { ...r, ratios: undefined };
    for (const [name, ratio] of Object.entries(r.ratios ?? {})) ratios[`payload:${name}`] = ratio;
    if (r.unavailable) ratios['payload:1 MB Buffer/postMessage'] = { unavailable: r.unavailable };
  }
  return { cases, ratios };
}
