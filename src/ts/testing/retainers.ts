/**
 * What keeps an object alive, said in a person's words: the shortest path of strong references
 * from a GC root to it (variables, properties, closures and their contexts, Map and Set entries),
 * and which kinds of object grew between two snapshots. Used only when a check has failed.
 * @packageDocumentation
 */
import { takeHeapGraph, type HeapGraph, type PathStep, type RetainerTree } from './heap_snapshot';

/** Holds the object while the snapshot is taken; found in the snapshot by its unique name. */
class WeakwireRetainerProbe {
  constructor(readonly target: object) {}
}

function nodeLabel(graph: HeapGraph, node: number): string {
  const type = graph.type(node);
  const name = graph.name(node);
  switch (type) {
    case 'closure':
      return name ? `${name}()` : '(anonymous function)';
    case 'object':
      if (name === 'system / Context') return 'closure context';
      if (name.startsWith('system / ')) return `(${name.slice('system / '.length)})`;
      return name === '' ? 'Object' : name;
    case 'array':
      return name === '' ? '(internal array)' : `(${name})`;
    case 'hidden':
      return `(${name.replace(/^system \/ /, '')})`;
    case 'synthetic':
      return name;
    case 'native':
      return `native ${name}`;
    default:
      return `${type}${name ? ` ${name.slice(0, 40)}` : ''}`;
  }
}

function edgeLabel(step: PathStep): string {
  const name = step.edgeName;
  switch (step.edgeType) {
    case 'property':
      return `.${String(name)}`;
    case 'element':
      return `[${String(name)}]`;
    case 'context':
      return `variable ${String(name)}`;
    case 'shortcut':
      return '';
    case 'hidden':
      return 'a variable';
    case 'internal':
      if (name === 'context') return 'its context';
      if (typeof name === 'string' && name.includes('part of key')) return 'WeakMap value';
      if (name === 'reactions_or_result') return 'reaction';
      return typeof name === 'number' ? `(slot ${name})` : `(${name})`;
    default:
      return `(${step.edgeType} ${String(name)})`;
  }
}

/** A Map's or Set's `table` edge and the slot after it read as one step: "entry". */
function isCollectionTable(graph: HeapGraph, step: PathStep, next: PathStep | undefined): boolean {
  return step.edgeName === 'table' && next !== undefined && graph.type(step.to) === 'array';
}

// Paths through a test runner's own closures can be long; the end of the path is the part that
// names the culprit, so a long path keeps its first steps and its last ones.
const HEAD_STEPS = 2;
const TAIL_STEPS = 9;

/**
 * The path as lines: the root it starts from, then one line per reference, the last one ending at
 * the object (followed by `label`). Steps from the snapshot's own synthetic root are dropped.
 */
export function formatPath(graph: HeapGraph, steps: PathStep[], label?: string): string[] {
  let i = 0;
  let start = 'GC root';
  // root -> (GC roots) -> (category) -> ..., or root -> global via a shortcut.
  while (i < steps.length && graph.type(steps[i].to) === 'synthetic') start = nodeLabel(graph, steps[i++].to);
  // The root's shortcuts lead to the global objects of the realms (a vm context's reads "Object").
  if (i < steps.length && steps[i].edgeType === 'shortcut') {
    i++;
    start = 'global';
  }
  const lines = [start];
  for (; i < steps.length; i++) {
    const step = steps[i];
    if (isCollectionTable(graph, step, steps[i + 1])) {
      lines.push(`  entry -> ${nodeLabel(graph, steps[i + 1].to)}`);
      i++;
      continue;
    }
    if (step.edgeName === 'parameters_and_registers' && i + 1 < steps.length) {
      lines.push(`  local variable of a suspended async function -> ${nodeLabel(graph, steps[i + 1].to)}`);
      i++;
      continue;
    }
    const edge = edgeLabel(step);
    lines.push(`  ${edge === '' ? '' : `${edge} -> `}${nodeLabel(graph, step.to)}`);
  }
  if (label !== undefined) lines[lines.length - 1] += `  <- ${label}`;
  if (lines.length > 1 + HEAD_STEPS + TAIL_STEPS + 1) {
    const hidden = lines.length - 1 - HEAD_STEPS - TAIL_STEPS;
    lines.splice(1 + HEAD_STEPS, hidden, `  ... ${hidden} more references ...`);
  }
  return lines;
}

/**
 * Shortest retainer paths in `graph`, never through the nodes in `avoid`. Paths through the
 * stack are kept: a test's own suspended async function, or the function under test held by
 * `expectNoLeak`'s frame, is often the honest answer.
 */
export function retainerTree(graph: HeapGraph, avoid: number[] = []): RetainerTree {
  return graph.retainerTree(new Set(avoid));
}

/** The retainer path of `node` as lines, from {@link retainerTree}'s result. */
export function retainerPath(graph: HeapGraph, tree: RetainerTree, node: number, label?: string): string[] | undefined {
  const steps = graph.pathTo(tree, node);
  return steps === undefined ? undefined : formatPath(graph, steps, label);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Takes a heap snapshot and explains what keeps `ref`'s object alive, as lines of text. Resolves
 * with a line saying why when there is nothing to explain (the object died meanwhile) or the
 * snapshot failed; it never rejects, as it only decorates a failure that is already certain.
 */
export async function explainRetention(ref: WeakRef<object>, label?: string): Promise<string[]> {
  try {
    let probe = makeProbe(ref);
    if (probe === undefined) return ['(it was collected while the retainer path was being looked up)'];
    // A WeakRef read keeps its target until the job ends: snapshot from a later job, so that
    // weakwire's own read is not what the path shows.
    await new Promise((resolve) => setImmediate(resolve));
    const graphPromise = takeHeapGraph();
    probe = undefined;
    const graph = await graphPromise;
    const probes = graph.objectsNamed('WeakwireRetainerProbe');
    const target = probes.length === 1 ? graph.child(probes[0], 'target') : undefined;
    if (target === undefined) return ['(the object could not be found in the heap snapshot)'];
    return retainerPath(graph, retainerTree(graph, probes), target, label) ?? ['(no path of strong references from a GC root found)'];
  } catch (error) {
    return [`(no retainer path: the heap snapshot failed: ${reason(error)})`];
  }
}

// In its own frame, so no caller's local variable holds the object during the snapshot.
function makeProbe(ref: WeakRef<object>): WeakwireRetainerProbe | undefined {
  const target = ref.deref();
  return target === undefined ? undefined : new WeakwireRetainerProbe(target);
}

/** Objects of one kind in a snapshot. */
interface KindTotals {
  count: number;
  bytes: number;
}

/** A kind of object (constructor or closure name, or V8's name for an internal one) that grew. */
export interface GrownKind {
  kind: string;
  /** New objects of this kind between the snapshots (net). */
  count: number;
  /** Net growth of their own sizes, in bytes. */
  bytes: number;
  /** Retainer path of one object of this kind that is new in the later snapshot. */
  samplePath?: string[];
}

function kindOf(graph: HeapGraph, node: number): string | undefined {
  const type = graph.type(node);
  if (type === 'object') return graph.name(node) || 'Object';
  if (type === 'closure') return `${graph.name(node) || '(anonymous)'}()`;
  if (type === 'array') return `(${graph.name(node) || 'internal array'})`;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return '(string)';
  if (type === 'native') return `native ${graph.name(node)}`;
  if (type === 'hidden' || type === 'code' || type === 'object shape') return undefined; // V8's own
  return `(${type})`;
}

function totals(graph: HeapGraph): Map<string, KindTotals> {
  const byKind = new Map<string, KindTotals>();
  for (let n = 0; n < graph.nodeCount; n++) {
    const kind = kindOf(graph, n);
    if (kind === undefined) continue;
    const t = byKind.get(kind) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += graph.selfSize(n);
    byKind.set(kind, t);
  }
  return byKind;
}

/**
 * What a later snapshot is compared with: objects per kind, the highest object id, and the
 * containers that held many objects of one kind. V8 numbers objects as snapshots first see them,
 * so an id above `maxId` is an object new since; the converse does not hold: V8 learns of dead
 * objects only at the next snapshot, so an object allocated straight into the old space where a
 * dead one lay inherits its id. Which container grew is therefore read from `holders`, not from
 * ids. Kept as one string and typed arrays, so that holding it while more calls run adds a few
 * objects to the second snapshot, not one per kind.
 */
export interface HeapSummary {
  /** Kind names joined by "\0". */
  kinds: string;
  counts: Float64Array;
  bytes: Float64Array;
  maxId: number;
  /** Triples (container id, kind index, direct children of that kind), for groups of {@link MIN_HOLDER}+. */
  holders: Float64Array;
}

/** Smallest group of one kind under one retainer that a summary records. */
const MIN_HOLDER = 8;

/** Direct children of each kind under each retainer (in the shortest-path tree), keyed parent * kinds + kind. */
function groupsByHolder(graph: HeapGraph, tree: RetainerTree, kindIndex: Map<string, number>): Map<number, number> {
  const groups = new Map<number, number>();
  const kindCount = kindIndex.size;
  for (let n = 0; n < graph.nodeCount; n++) {
    const parent = tree.parent[n];
    if (parent === -1 || n === 0) continue;
    const kind = kindOf(graph, n);
    if (kind === undefined) continue;
    const key = parent * kindCount + kindIndex.get(kind)!;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return groups;
}

export function summarize(graph: HeapGraph): HeapSummary {
  let maxId = 0;
  for (let n = 0; n < graph.nodeCount; n++) {
    // Embedder (native) and synthetic nodes are numbered by address, not in order of appearance.
    const type = graph.type(n);
    if (type !== 'native' && type !== 'synthetic') maxId = Math.max(maxId, graph.id(n));
  }
  const byKind = totals(graph);
  const kindIndex = new Map([...byKind.keys()].map((kind, i) => [kind, i]));
  const holders: number[] = [];
  for (const [key, count] of groupsByHolder(graph, retainerTree(graph), kindIndex)) {
    if (count < MIN_HOLDER) continue;
    const parent = Math.floor(key / kindIndex.size);
    holders.push(graph.id(parent), key - parent * kindIndex.size, count);
  }
  return {
    kinds: [...byKind.keys()].join('\0'),
    counts: Float64Array.from(byKind.values(), (t) => t.count),
    bytes: Float64Array.from(byKind.values(), (t) => t.bytes),
    maxId,
    holders: Float64Array.from(holders),
  };
}

function unpack(summary: HeapSummary): Map<string, KindTotals> {
  const byKind = new Map<string, KindTotals>();
  summary.kinds.split('\0').forEach((kind, i) => byKind.set(kind, { count: summary.counts[i], bytes: summary.bytes[i] }));
  return byKind;
}

/** Objects a program made: instances of its classes and its functions, not V8's internals. */
function isProgramKind(graph: HeapGraph, node: number): boolean {
  const type = graph.type(node);
  return (type === 'object' && !graph.name(node).startsWith('system / ')) || type === 'closure';
}

/**
 * The kinds of object that grew from `before` to `after` (two snapshots of one heap). Kinds a
 * program makes that gained at least `minCount` objects come first (most objects first), then
 * every kind that grew by `minBytes` or more (most bytes first). The first kind gets a retainer
 * path to its largest new object that a path reaches.
 */
export function grownKinds(
  before: HeapSummary,
  after: HeapGraph,
  { limit = 5, minCount = 0, minBytes = 0 } = {},
): GrownKind[] {
  const programKinds = new Set<string>();
  for (let n = 0; n < after.nodeCount; n++) {
    if (isProgramKind(after, n)) programKinds.add(kindOf(after, n)!);
  }
  const was = unpack(before);
  const grown: Array<GrownKind & { rank: number }> = [];
  for (const [kind, now] of totals(after)) {
    const old = was.get(kind) ?? { count: 0, bytes: 0 };
    const count = now.count - old.count;
    const bytes = now.bytes - old.bytes;
    const many = count > 0 && count >= minCount;
    if (!many && !(bytes > 0 && bytes >= minBytes)) continue;
    grown.push({ kind, count, bytes, rank: many && programKinds.has(kind) ? 1 : 0 });
  }
  grown.sort((a, b) => b.rank - a.rank || (a.rank === 1 ? b.count - a.count : 0) || b.bytes - a.bytes);
  const top: GrownKind[] = grown.slice(0, limit).map(({ kind, count, bytes }) => ({ kind, count, bytes }));
  if (top.length > 0) {
    const tree = retainerTree(after);
    const sample = pickSample(after, tree, before, top[0].kind);
    if (sample !== undefined) top[0].samplePath = retainerPath(after, tree, sample, `a new ${top[0].kind}`);
  }
  return top;
}

/**
 * An object of `kind` that stands for the growth. Leaked objects pile up in one container (a
 * Map's table, an array, a listener list): the retainer whose count of direct children of the
 * kind rose most since `before` (a table reallocated as it grew is new, so it counts from zero),
 * and one of its children, a new one if it has one. A table that grew in place has no siblings:
 * then the largest new object of the kind.
 */
function pickSample(graph: HeapGraph, tree: RetainerTree, before: HeapSummary, kind: string): number | undefined {
  const kindAt = before.kinds.split('\0').indexOf(kind);
  const had = new Map<number, number>();
  for (let i = 0; i < before.holders.length; i += 3) {
    if (before.holders[i + 1] === kindAt) had.set(before.holders[i], before.holders[i + 2]);
  }
  const byParent = new Map<number, { count: number; sample: number; sampleIsNew: boolean }>();
  let largest: number | undefined;
  for (let n = 0; n < graph.nodeCount; n++) {
    if (tree.parent[n] === -1 || n === 0 || kindOf(graph, n) !== kind) continue;
    const isNew = graph.id(n) > before.maxId;
    const group = byParent.get(tree.parent[n]);
    if (group === undefined) byParent.set(tree.parent[n], { count: 1, sample: n, sampleIsNew: isNew });
    else {
      group.count++;
      if (isNew && !group.sampleIsNew) Object.assign(group, { sample: n, sampleIsNew: true });
    }
    if (isNew && (largest === undefined || graph.selfSize(n) > graph.selfSize(largest))) largest = n;
  }
  let best: { gain: number; sample: number } | undefined;
  for (const [parent, group] of byParent) {
    const gain = group.count - (had.get(graph.id(parent)) ?? 0);
    if (best === undefined || gain > best.gain) best = { gain, sample: group.sample };
  }
  return best !== undefined && best.gain > 1 ? best.sample : largest;
}

/** Snapshots for {@link grownKinds}; exported so callers take them at the right moments. */
export { takeHeapGraph };
