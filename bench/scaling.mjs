// npm run bench:scaling: how cost per item grows with size. Each point runs in a fresh process.
// Options: --destructors=1e4,1e5,1e6,1e7  --maps=1e3,1e4,1e5,1e6,1e7  --remote=1e4,1e5,1e6
// (an empty list skips that part) and --merge=previous.json to keep the parts not re-measured.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './lib/child.mjs';
import { machineInfo } from './lib/env.mjs';
import { scalingTables } from './lib/scaling-report.mjs';
import { remoteCase } from './cases/remote.mjs';
import { MAP_IMPLS } from './cases/map.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const list = (name, fallback) =>
  (args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
    .split(',')
    .filter(Boolean)
    .map(Number);
const destructorSizes = list('destructors', '1e4,1e5,1e6,1e7');
const mapSizes = list('maps', '1e3,1e4,1e5,1e6,1e7');
const remoteSizes = list('remote', '1e4,1e5,1e6');
const outDir = args.find((a) => a.startsWith('--out='))?.slice(6) ?? here;
const log = (...a) => console.error('[scaling]', ...a);
const bigHeap = (n) => (n >= 5e6 ? ['--max-old-space-size=16384'] : []);
const timeoutMs = 900_000;

const mergePath = args.find((a) => a.startsWith('--merge='))?.slice(8);
const previous = mergePath ? JSON.parse(readFileSync(mergePath, 'utf8')) : null;
const results = { machine: machineInfo(), destructors: [], maps: [], remote: [] };
const keep = (part, sizes) => {
  if (sizes.length === 0 && previous) results[part] = previous[part];
};
keep('destructors', destructorSizes);
keep('maps', mapSizes);
keep('remote', remoteSizes);

for (const n of destructorSizes) {
  // weak-napi takes about 10 µs per registration here: it stops at 10^6.
  for (const impl of ['weakwire', 'FinalizationRegistry', ...(n <= 1e6 ? ['weak-napi'] : [])]) {
    log(`destructors: ${impl} at ${n}`);
    const f = await runChild('finalize.mjs', [impl, n], { nodeArgs: bigHeap(n), timeoutMs });
    const m = await runChild('memory.mjs', [impl, n], { nodeArgs: bigHeap(n), timeoutMs });
    results.destructors.push({
      impl,
      n,
      registerNsPerItem: (f.registerMs * 1e6) / n,
      finalizeNsPerItem: (f.finalizeMs * 1e6) / n,
      heapBytesPerItem: m.heapPerObject,
      rssBytesPerItem: m.rssPerObject,
    });
  }
}

// The JavaScript peers at 10^7 entries took over ten minutes each on the shared machine (every
// WeakRef deref in a synchronous loop grows the job's keep-alive set): they stop at --map-peers-max.
const mapPeersMax = Number(args.find((a) => a.startsWith('--map-peers-max='))?.split('=')[1] ?? 1e6);
for (const n of mapSizes) {
  for (const impl of MAP_IMPLS.filter((name) => name === 'IDWeakMap' || n <= mapPeersMax)) {
    log(`maps: ${impl} at ${n}`);
    results.maps.push(await runChild('map-scale.mjs', [impl, n], { nodeArgs: bigHeap(n), timeoutMs }));
  }
}

for (const n of remoteSizes) {
  log(`remote: ${n} live objects`);
  const r = await remoteCase({ rounds: 0, time: 0, liveObjects: n, skipCalls: true });
  if (r.unavailable) {
    results.remote.push({ n, unavailable: r.unavailable });
    break;
  }
  results.remote.push(r.live);
}

const md = [
  `Measured ${results.machine.date.slice(0, 10)} on ${results.machine.cpuModel}, Node ${results.machine.node}; one fresh process per point.`,
  '',
  scalingTables(results),
].join('\n');
console.log(md);
writeFileSync(join(outDir, 'scaling.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(outDir, 'scaling.md'), `${md}\n`);
process.exit(0);
