// The performance targets, as checks over the measured results.
// Each ratio is ours / peer (time or bytes): lower is better, and `limit` is the largest allowed.
// The destructor targets are set against the Node-API floor (bench/floor), the least any Node-API
// addon can do per object; FinalizationRegistry figures are shown beside them in the results.

export const TARGETS = [
  {
    id: 'register-vs-floor',
    label: 'setDestructor / Node-API floor (register)',
    limit: 1.15,
    ratio: (r) => r.ratios['register:weakwire/floor'],
  },
  {
    id: 'register-vs-weak-napi',
    label: 'setDestructor / weak-napi (≥ 15× faster)',
    limit: 1 / 15,
    ratio: (r) => r.ratios['register:weakwire/weak-napi'],
  },
  {
    id: 'finalize-vs-floor',
    label: 'finalize 10^6 objects / Node-API floor',
    limit: 1.05,
    ratio: (r) => r.ratios['finalize:weakwire/floor'],
  },
  {
    id: 'memory-vs-floor',
    label: 'bytes per tracked object − Node-API floor (RSS)',
    limit: 16,
    unit: 'bytes',
    ratio: (r) => r.ratios['memory:weakwire-floor (rss bytes)'],
  },
  ...['get', 'has', 'set', 'delete'].map((op) => ({
    id: `map-${op}`,
    label: `IDWeakMap ${op} / Map<key, WeakRef>`,
    limit: op === 'delete' ? 1.2 : 1.0,
    ratio: (r) => r.ratios[`map ${op}:IDWeakMap/hand-written`],
  })),
  ...['get', 'has'].map((op) => ({
    id: `map-${op}-scale`,
    label: `IDWeakMap ${op} / Map<key, WeakRef>, worst of 10^3, 10^4, 10^5 keys`,
    limit: 1.0,
    ratio: (r) => r.ratios[`map ${op} (worst of 10^3..10^5):IDWeakMap/hand-written`],
  })),
  {
    id: 'map-size-o1',
    label: 'IDWeakMap size between collections, 10^5 / 10^3 entries (O(1))',
    limit: 2,
    ratio: (r) => r.ratios['map size:10^5/10^3'],
  },
  {
    id: 'remote-sync-vs-raw',
    label: 'remote call (sync) / raw sync round trip',
    limit: 1.15,
    ratio: (r) => r.ratios['remote:sync/raw sync'],
  },
  {
    // Issue 12: "if a design allows it"; bench/NOTES.md ("Sync calls") explains why none does.
    id: 'remote-sync-vs-atomics',
    label: 'remote call (sync) / SharedArrayBuffer-only Atomics ping-pong',
    limit: 1.5,
    ratio: (r) => r.ratios['remote:sync/atomics'],
  },
  {
    id: 'remote-async-vs-raw',
    label: 'remote call (async) / raw postMessage ping-pong',
    limit: 1.15,
    ratio: (r) => r.ratios['remote:async/raw postMessage'],
  },
  {
    // Time per call with 10,000 in flight: at most half of comlink's is at least twice its throughput.
    id: 'remote-concurrent-vs-comlink',
    label: '10,000 concurrent async calls / comlink (≥ 2× the throughput)',
    limit: 0.5,
    ratio: (r) => r.ratios['remote:concurrent/comlink'],
  },
  {
    id: 'remote-vs-comlink',
    label: 'remote call (async) / comlink',
    limit: 0.9,
    ratio: (r) => r.ratios['remote:async/comlink'],
  },
  ...[
    ['payload-1mb-vs-postmessage', 'echo 1 MB Buffer over MessagePort / raw postMessage (copy)', 1.2, '1 MB Buffer/postMessage'],
    ['payload-transfer-vs-postmessage', 'echo 1 MB with transfer / raw postMessage with a transfer list', 2, '1 MB transfer/postMessage'],
    ['payload-objects-vs-comlink', 'echo 10,000 small objects over MessagePort / comlink', 1.3, '10,000 objects/comlink'],
    ['payload-tree-vs-comlink', 'echo a depth-20 tree of 10,000 nodes / comlink', 1.3, 'depth-20 tree/comlink'],
    ['payload-tcp-1mb-vs-raw', 'TCP: echo 1 MB Buffer / raw length-prefixed frames', 1.25, 'tcp 1 MB Buffer/raw frames'],
    ['payload-tcp-objects-vs-json', 'TCP: echo 10,000 small objects / raw JSON frames', 1.3, 'tcp 10,000 objects/raw JSON'],
    ['startup-vs-comlink', "require('weakwire/remote') / comlink + node adapter (fresh processes)", 4, 'startup/comlink'],
  ].map(([id, label, limit, key]) => ({ id, label, limit, ratio: (r) => r.ratios[`payload:${key}`] })),
  {
    id: 'proxy-heap',
    label: 'JS heap per live proxy',
    limit: 500,
    unit: 'bytes',
    ratio: (r) => r.ratios['payload:proxy heap bytes'],
  },
  {
    id: 'free-messages',
    label: 'FREE messages for 10,000 dead proxies',
    limit: 10,
    unit: 'messages',
    ratio: (r) => r.ratios['remote:FREE messages'],
  },
];

// Smallest slack bench:check allows, as a fraction of the measured ratio (BENCH_MIN_NOISE=0.1 on a
// quiet machine). On this shared 2-core machine whole runs differ by 20 % more often than not.
const MIN_NOISE = Number(process.env.BENCH_MIN_NOISE ?? 0.2);

/** Evaluates every target: met, missed, or not available (with the reason). */
export function evaluateTargets(results, { allowNoise = false } = {}) {
  return TARGETS.map((target) => {
    const measured = target.ratio(results);
    if (measured === undefined || measured === null || measured.unavailable) {
      return {
        id: target.id,
        label: target.label,
        limit: target.limit,
        unit: target.unit ?? 'ratio',
        status: 'not available',
        reason: measured?.unavailable ?? 'not measured in this run',
      };
    }
    // Twice the relative spread of the repeated measurement, taken around the measured median, and
    // never less than MIN_NOISE: rounds within one run agree more closely than separate runs.
    const slack = allowNoise ? Math.abs(measured.median) * Math.max(measured.noise * 2, MIN_NOISE) : 0;
    const met = measured.median <= target.limit + slack;
    return {
      id: target.id,
      label: target.label,
      limit: target.limit,
      unit: target.unit ?? 'ratio',
      measured: measured.median,
      noise: measured.noise,
      status: met ? 'met' : 'missed',
    };
  });
}
