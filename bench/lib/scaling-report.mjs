// Turns bench/scaling.json into the Markdown tables of bench/scaling.md and the README.
import { round } from './stats.mjs';

const f1 = (x) => round(x, 1);

/** The three scaling tables (destructors, weak maps, remote registry), without a heading. */
export function scalingTables(results) {
  const lines = [];
  lines.push('| Destructors | n | register ns/item | finalize ns/item | heap B/item | RSS B/item |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const d of results.destructors) {
    lines.push(`| ${d.impl} | ${d.n.toExponential(0)} | ${f1(d.registerNsPerItem)} | ${f1(d.finalizeNsPerItem)} | ${f1(d.heapBytesPerItem)} | ${f1(d.rssBytesPerItem)} |`);
  }
  lines.push('');
  lines.push('| Weak map | n | set ns | get ns | has ns | delete ns | heap+external B/entry | RSS B/entry |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of results.maps) {
    lines.push(`| ${m.impl} | ${m.n.toExponential(0)} | ${f1(m.setNs)} | ${f1(m.getNs)} | ${f1(m.hasNs)} | ${f1(m.deleteNs)} | ${f1(m.heapPerEntry)} | ${f1(m.rssPerEntry)} |`);
  }
  lines.push('');
  lines.push('| Remote registry | live objects | create µs/object | client heap B/proxy | call with all live µs | release all ms | FREE messages |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results.remote) {
    if (r.unavailable) lines.push(`| sync worker | ${r.n} | ${r.unavailable} | | | | |`);
    else lines.push(`| sync worker | ${r.n.toExponential(0)} | ${f1(r.perObjectUs)} | ${f1(r.clientHeapPerProxy)} | ${f1(r.callWithLiveUs)} | ${f1(r.releaseMs)}${r.released ? '' : ' (not all released)'} | ${r.freeMessagesSent} |`);
  }
  return lines.join('\n');
}
