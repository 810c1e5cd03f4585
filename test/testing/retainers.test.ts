/**
 * What grew between two heap snapshots, and the path to one object that stands for it, read from
 * hand-built snapshots: V8's own numbering can be staged here exactly as it happens in a big
 * process, where new objects are given the ids of dead ones.
 */
import { HeapGraph } from '../../src/ts/testing/heap_snapshot';
import { grownKinds, summarize } from '../../src/ts/testing/retainers';

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

interface SketchNode {
  type: string;
  name: string;
  id: number;
  /** Edges as [edge type, property name or element index, target node index]. */
  edges?: Array<[string, string | number, number]>;
}

/** A V8 `.heapsnapshot` graph from a list of nodes; node 0 is the root. */
function graphOf(sketch: SketchNode[]): HeapGraph {
  const strings: string[] = [];
  const str = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const nodes: number[] = [];
  const edges: number[] = [];
  for (const node of sketch) {
    nodes.push(NODE_TYPES.indexOf(node.type), str(node.name), node.id, 32, node.edges?.length ?? 0);
    for (const [type, name, to] of node.edges ?? []) {
      edges.push(EDGE_TYPES.indexOf(type), typeof name === 'string' ? str(name) : name, to * 5);
    }
  }
  return new HeapGraph({
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [NODE_TYPES],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES],
      },
      node_count: sketch.length,
    },
    nodes,
    edges,
    strings,
  });
}

/**
 * A heap with a global whose `cache` Map holds `cached` sessions (ids from `cachedIds`) and whose
 * `recent` array holds `recent` sessions (ids from `recentIds`).
 */
function heap(cachedIds: number[], recentIds: number[]): HeapGraph {
  const sketch: SketchNode[] = [
    { type: 'synthetic', name: '', id: 0, edges: [['shortcut', '1', 1]] },
    { type: 'object', name: 'Global', id: 1, edges: [['property', 'cache', 2], ['property', 'recent', 4]] },
    { type: 'object', name: 'Map', id: 3, edges: [['internal', 'table', 3]] },
    { type: 'array', name: '', id: 5, edges: [] },
    { type: 'object', name: 'Array', id: 7, edges: [] },
  ];
  for (const id of cachedIds) {
    sketch[3].edges!.push(['element', sketch[3].edges!.length, sketch.length]);
    sketch.push({ type: 'object', name: 'Session', id });
  }
  for (const id of recentIds) {
    sketch[4].edges!.push(['element', sketch[4].edges!.length, sketch.length]);
    sketch.push({ type: 'object', name: 'Session', id });
  }
  return graphOf(sketch);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i * 2);

describe('grownKinds', () => {
  test('counts the objects of each kind that grew, most first', () => {
    const before = summarize(heap(range(101, 10), []));
    const grown = grownKinds(before, heap(range(101, 40), range(1001, 3)));
    expect(grown[0]).toMatchObject({ kind: 'Session', count: 33 });
  });

  test('the path leads through the container that grew, even when its new objects carry ids of dead ones', () => {
    // Before: 10 cached sessions and 30 recent ones. After: the recent ones died, and 30 new
    // sessions in the cache were given their ids (V8 hears of deaths only at the next
    // snapshot); the array of recent ones holds 2 sessions with fresh ids.
    const before = summarize(heap(range(101, 10), range(201, 30)));
    const after = heap(range(101, 10).concat(range(201, 30)), range(901, 2));
    const grown = grownKinds(before, after);
    expect(grown[0].kind).toBe('Session');
    expect(grown[0].samplePath).toEqual(['global', '  .cache -> Map', '  entry -> Session  <- a new Session']);
  });

  test('a container that stayed the same size is not taken for the growth', () => {
    const before = summarize(heap(range(101, 40), range(501, 10)));
    const after = heap(range(101, 40), range(501, 10).concat(range(901, 5)));
    expect(grownKinds(before, after)[0].samplePath).toEqual(['global', '  .recent -> Array', '  [10] -> Session  <- a new Session']);
  });
});
