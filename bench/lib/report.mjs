// Turns results into a printed table, a Markdown table and a JSON file.
import { round } from './stats.mjs';

const fmtNs = (ns) => (ns >= 1e6 ? `${round(ns / 1e6, 2)} ms` : ns >= 1e3 ? `${round(ns / 1e3, 2)} µs` : `${round(ns, 1)} ns`);
const fmtMs = (ms) => `${round(ms, 1)} ms`;
const fmtB = (b) => `${round(b, 1)} B`;
const fmtRatio = (r) => (r === undefined ? '—' : `${round(r, 3)}×`);

/** Rows of [case, ours, peer, ours figure, peer figure, ratio]. */
export function comparisonRows(results) {
  const { cases, ratios } = results;
  const rows = [];
  const add = (label, oursName, peerName, ours, peer, ratioKey, fmt) =>
    rows.push({ label, oursName, peerName, ours: fmt(ours), peer: fmt(peer), ratio: ratios[ratioKey] });
  if (cases.register) {
    const r = cases.register;
    const ours = r['weakwire setDestructor'].medianNs;
    add('register a destructor (per object)', 'setDestructor', 'Node-API floor', ours, r['Node-API floor'].medianNs, 'register:weakwire/floor', fmtNs);
    add('register a destructor (per object)', 'setDestructor', 'FinalizationRegistry.register', ours, r['FinalizationRegistry.register'].medianNs, 'register:weakwire/FR', fmtNs);
    add('register a destructor (per object)', 'Node-API floor', 'FinalizationRegistry.register', r['Node-API floor'].medianNs, r['FinalizationRegistry.register'].medianNs, 'register:floor/FR', fmtNs);
    add('register a destructor (per object)', 'setDestructor', 'weak-napi weak(o, cb)', ours, r['weak-napi weak(o, cb)'].medianNs, 'register:weakwire/weak-napi', fmtNs);
  }
  if (cases.finalize) {
    const f = cases.finalize;
    const label = `finalize ${f.n.toLocaleString('en-US')} objects`;
    add(label, 'weakwire', 'Node-API floor', f.weakwire.median, f.floor.median, 'finalize:weakwire/floor', fmtMs);
    add(label, 'weakwire', 'FinalizationRegistry', f.weakwire.median, f.FinalizationRegistry.median, 'finalize:weakwire/FR', fmtMs);
    add(label, 'Node-API floor', 'FinalizationRegistry', f.floor.median, f.FinalizationRegistry.median, 'finalize:floor/FR', fmtMs);
    add(label, 'weakwire', 'weak-napi', f.weakwire.median, f['weak-napi'].median, 'finalize:weakwire/weak-napi', fmtMs);
  }
  if (cases.memory) {
    const m = cases.memory;
    const label = `RSS per tracked object (${m.n.toLocaleString('en-US')})`;
    for (const peer of ['floor', 'FinalizationRegistry', 'weak-napi']) {
      rows.push({
        label,
        oursName: 'weakwire',
        peerName: peer === 'floor' ? 'Node-API floor' : peer,
        ours: fmtB(m.weakwire.rss.median),
        peer: fmtB(m[peer].rss.median),
        ratio: { median: m.weakwire.rss.median / m[peer].rss.median, noise: 0 },
        ofMedians: true,
      });
    }
    rows.push({
      label,
      oursName: 'Node-API floor',
      peerName: 'FinalizationRegistry',
      ours: fmtB(m.floor.rss.median),
      peer: fmtB(m.FinalizationRegistry.rss.median),
      ratio: { median: m.floor.rss.median / m.FinalizationRegistry.rss.median, noise: 0 },
    });
    rows.push({
      label: `JS heap per tracked object (${m.n.toLocaleString('en-US')})`,
      oursName: 'weakwire',
      peerName: 'FinalizationRegistry',
      ours: fmtB(m.weakwire.heap.median),
      peer: fmtB(m.FinalizationRegistry.heap.median),
      ratio: { median: m.weakwire.heap.median / m.FinalizationRegistry.heap.median, noise: 0 },
      ofMedians: true,
    });
  }
  if (cases.map) {
    for (const op of ['set', 'get', 'has', 'delete']) {
      const ours = cases.map[`IDWeakMap ${op}`].medianNs;
      const label = `weak map ${op === 'get' ? 'get (hit)' : op}`;
      add(label, 'IDWeakMap', 'Map<key, WeakRef> + FR', ours, cases.map[`Map<key, WeakRef> + FR ${op}`].medianNs, `map ${op}:IDWeakMap/hand-written`, fmtNs);
      add(label, 'IDWeakMap', 'weakref WeakValueMap', ours, cases.map[`weakref WeakValueMap ${op}`].medianNs, `map ${op}:IDWeakMap/weakref`, fmtNs);
    }
  }
  if (cases.mapScale) {
    const m = cases.mapScale;
    for (const n of [1_000, 10_000, 100_000]) {
      for (const op of ['get', 'has']) {
        const ours = m[`IDWeakMap ${op} @${n}`]?.medianNs;
        const peer = m[`Map<key, WeakRef> + FR ${op} @${n}`]?.medianNs;
        if (ours === undefined) continue;
        add(`weak map ${op}, ${n.toLocaleString('en-US')} keys`, 'IDWeakMap', 'Map<key, WeakRef> + FR', ours, peer, `map ${op} @${n}:IDWeakMap/hand-written`, fmtNs);
      }
    }
    const first = m['IDWeakMap size @1000']?.medianNs;
    const last = m['IDWeakMap size @100000']?.medianNs;
    if (first !== undefined) add('weak map size, no collection between reads', 'IDWeakMap, 100,000 entries', 'IDWeakMap, 1,000 entries', last, first, 'map size:10^5/10^3', fmtNs);
  }
  if (cases.remote) {
    if (cases.remote.unavailable) {
      rows.push({ label: 'remote objects', oursName: '—', peerName: '—', ours: 'not available yet', peer: '', ratio: undefined, note: cases.remote.unavailable });
    } else {
      for (const row of cases.remote.rows ?? []) rows.push(row);
    }
  }
  return rows;
}

export function printTable(results, targets) {
  const rows = comparisonRows(results).map((row) => ({
    case: row.label,
    ours: `${row.oursName}: ${row.ours}`,
    peer: `${row.peerName}: ${row.peer}`,
    'ours/peer': row.ratio ? `${fmtRatio(row.ratio.median)} ±${round((row.ratio.noise ?? 0) * 100, 1)}%` : row.note ?? '—',
  }));
  console.table(rows);
  console.table(
    targets.map((t) => ({
      target: t.label,
      limit: t.unit === 'ratio' || t.unit === undefined ? `≤ ${round(t.limit, 3)}×` : `≤ ${t.limit} ${t.unit}`,
      measured: t.measured === undefined ? '—' : round(t.measured, 3),
      status: t.status,
    })),
  );
}

export function markdown(results, targets) {
  const lines = [];
  const m = results.machine;
  lines.push(`Measured ${m.date.slice(0, 10)} on ${m.cpuModel} (${m.cpuCount} cores, shared with other users), Node ${m.node}.`);
  lines.push(
    'Ours and Peer are medians of repeated rounds. **Ours / peer is the median of the per-round ratios**: ' +
      'each round (or run, for finalize) measures both sides one after the other and the ratio is taken ' +
      'within it, so load that slows a whole round cancels out; it need not equal Ours ÷ Peer of the ' +
      'two medians beside it. Rows marked † are Ours ÷ Peer of those two medians. ' +
      'Lower is better.',
  );
  lines.push('');
  lines.push('| Case | Ours | Peer | Ours | Peer | Ours / peer |');
  lines.push('|---|---|---|---:|---:|---:|');
  for (const row of comparisonRows(results)) {
    const ratio = row.ratio ? `${fmtRatio(row.ratio.median)}${row.ofMedians ? ' †' : ''}` : row.note ?? '—';
    lines.push(`| ${row.label} | ${row.oursName} | ${row.peerName} | ${row.ours} | ${row.peer} | ${ratio} |`);
  }
  lines.push('');
  lines.push(
    'In the targets, Measured is the same median of per-round ratios as Ours / peer above, except the ' +
      'bytes target (the median of the per-measurement differences, weakwire − FinalizationRegistry) and ' +
      'the FREE target (a count).',
  );
  lines.push('');
  lines.push('| Target | Limit | Measured | Status |');
  lines.push('|---|---:|---:|---|');
  for (const t of targets) {
    const limit = (t.unit ?? 'ratio') === 'ratio' ? `≤ ${round(t.limit, 3)}×` : `≤ ${t.limit} ${t.unit}`;
    const measured = t.measured === undefined ? t.reason : (t.unit ?? 'ratio') === 'ratio' ? `${round(t.measured, 3)}×` : `${round(t.measured, 1)} ${t.unit}`;
    lines.push(`| ${t.label} | ${limit} | ${measured} | ${t.status === 'met' ? '**met**' : t.status} |`);
  }
  return lines.join('\n');
}
