/**
 * V8 heap snapshots, read directly: taking one of this thread's heap, and the graph queries the
 * failure messages need (shortest retainer path, objects per kind). The format is V8's
 * `.heapsnapshot` JSON: flat integer arrays of nodes and edges described by `snapshot.meta`.
 * Only failure paths use this module; a passing check never takes a snapshot.
 * @packageDocumentation
 */

interface SnapshotJSON {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** One heap snapshot as an indexed graph. Nodes are ordinals 0..nodeCount-1; node 0 is the root. */
export class HeapGraph {
  readonly nodeCount: number;
  private readonly nodes: Int32Array | number[];
  private readonly edges: number[];
  private readonly strings: string[];
  private readonly nodeWidth: number;
  private readonly edgeWidth: number;
  private readonly firstEdge: Uint32Array;
  private readonly nodeTypes: string[];
  private readonly edgeTypes: string[];
  private readonly fType: number;
  private readonly fName: number;
  private readonly fId: number;
  private readonly fSize: number;
  private readonly eType: number;
  private readonly eName: number;
  private readonly eTo: number;
  private readonly weakEdge: number;
  private readonly stringEdges: Set<number>;

  constructor(json: SnapshotJSON) {
    const meta = json.snapshot.meta;
    this.nodes = json.nodes;
    this.edges = json.edges;
    this.strings = json.strings;
    this.nodeWidth = meta.node_fields.length;
    this.edgeWidth = meta.edge_fields.length;
    this.nodeTypes = meta.node_types[0];
    this.edgeTypes = meta.edge_types[0];
    this.fType = meta.node_fields.indexOf('type');
    this.fName = meta.node_fields.indexOf('name');
    this.fId = meta.node_fields.indexOf('id');
    this.fSize = meta.node_fields.indexOf('self_size');
    this.eType = meta.edge_fields.indexOf('type');
    this.eName = meta.edge_fields.indexOf('name_or_index');
    this.eTo = meta.edge_fields.indexOf('to_node');
    this.weakEdge = this.edgeTypes.indexOf('weak');
    // Edge kinds whose name_or_index is a string index (the others hold an element index).
    this.stringEdges = new Set(
      ['context', 'property', 'internal', 'shortcut', 'weak'].map((t) => this.edgeTypes.indexOf(t)),
    );
    this.nodeCount = this.nodes.length / this.nodeWidth;
    const fEdges = meta.node_fields.indexOf('edge_count');
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    for (let n = 0, e = 0; n < this.nodeCount; n++) {
      this.firstEdge[n] = e;
      e += this.nodes[n * this.nodeWidth + fEdges] * this.edgeWidth;
      this.firstEdge[n + 1] = e;
    }
  }

  type(node: number): string {
    return this.nodeTypes[this.nodes[node * this.nodeWidth + this.fType]];
  }

  name(node: number): string {
    return this.strings[this.nodes[node * this.nodeWidth + this.fName]];
  }

  /** V8's id for the object: the same object has the same id in every snapshot of this heap. */
  id(node: number): number {
    return this.nodes[node * this.nodeWidth + this.fId];
  }

  selfSize(node: number): number {
    return this.nodes[node * this.nodeWidth + this.fSize];
  }

  /** Calls `visit(to, edgeType, edgeName)` for each outgoing edge of `node`. */
  forEachEdge(node: number, visit: (to: number, type: string, name: string | number) => void): void {
    for (let e = this.firstEdge[node]; e < this.firstEdge[node + 1]; e += this.edgeWidth) {
      const type = this.edges[e + this.eType];
      const raw = this.edges[e + this.eName];
      visit(
        this.edges[e + this.eTo] / this.nodeWidth,
        this.edgeTypes[type],
        this.stringEdges.has(type) ? this.strings[raw] : raw,
      );
    }
  }

  /** The node that `node`'s edge named `edgeName` points to, if any. */
  child(node: number, edgeName: string): number | undefined {
    let found: number | undefined;
    this.forEachEdge(node, (to, _type, name) => {
      if (found === undefined && name === edgeName) found = to;
    });
    return found;
  }

  /** The synthetic node named `name` (a root category such as "(Stack roots)"), if any. */
  synthetic(name: string): number | undefined {
    for (let n = 0; n < this.nodeCount; n++) {
      if (this.name(n) === name && this.type(n) === 'synthetic') return n;
    }
    return undefined;
  }

  /** Every node of type "object" whose constructor name is `name`. */
  objectsNamed(name: string): number[] {
    const found: number[] = [];
    for (let n = 0; n < this.nodeCount; n++) {
      if (this.name(n) === name && this.type(n) === 'object') found.push(n);
    }
    return found;
  }

  /**
   * Breadth-first search from the snapshot's root over strong edges (weak ones are skipped), never
   * crossing the nodes in `avoid`: the shortest retainer path of every reachable node at once.
   */
  retainerTree(avoid: ReadonlySet<number> = new Set()): RetainerTree {
    const parent = new Int32Array(this.nodeCount).fill(-1);
    const parentEdge = new Int32Array(this.nodeCount).fill(-1);
    parent[0] = 0;
    let frontier = [0];
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const node of frontier) {
        for (let e = this.firstEdge[node]; e < this.firstEdge[node + 1]; e += this.edgeWidth) {
          if (this.edges[e + this.eType] === this.weakEdge) continue;
          const to = this.edges[e + this.eTo] / this.nodeWidth;
          if (parent[to] !== -1 || avoid.has(to)) continue;
          parent[to] = node;
          parentEdge[to] = e;
          next.push(to);
        }
      }
      frontier = next;
    }
    return { parent, parentEdge };
  }

  /** The steps from the root to `target` in `tree`, or undefined if it is not reachable. */
  pathTo(tree: RetainerTree, target: number): PathStep[] | undefined {
    if (!Number.isInteger(target) || target <= 0 || target >= this.nodeCount) return undefined;
    if (tree.parent[target] === -1) return undefined;
    const steps: PathStep[] = [];
    for (let node = target; node !== 0; node = tree.parent[node]) {
      const e = tree.parentEdge[node];
      const type = this.edges[e + this.eType];
      const raw = this.edges[e + this.eName];
      steps.push({
        from: tree.parent[node],
        to: node,
        edgeType: this.edgeTypes[type],
        edgeName: this.stringEdges.has(type) ? this.strings[raw] : raw,
      });
    }
    return steps.reverse();
  }
}

/** Shortest retainer paths from the root, as parent links: see {@link HeapGraph.retainerTree}. */
export interface RetainerTree {
  parent: Int32Array;
  /** Offset of the edge from the parent, into the snapshot's edge array. */
  parentEdge: Int32Array;
}

/** One edge of a retainer path. */
export interface PathStep {
  from: number;
  to: number;
  edgeType: string;
  edgeName: string | number;
}

/**
 * Makes V8 compute and cache the line ends of every script. The snapshot records each function's
 * source position, and V8 11 (Node 20) computes a position without that cache by scanning the
 * script from its start: with a large bundle loaded (TypeScript under ts-jest: 9 MB) a snapshot
 * of a 36 MB heap took 57 s instead of 1 s. Enabling the inspector's Debugger domain builds the
 * cache for every script it reports. Best effort: without an inspector the snapshot is only slower.
 */
function cacheLineEnds(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Session } = require('node:inspector') as typeof import('node:inspector');
    const session = new Session();
    session.connect();
    try {
      // Same-thread sessions dispatch synchronously: the callbacks have run when post returns.
      session.post('Debugger.enable', () => undefined);
      session.post('Debugger.disable', () => undefined);
    } finally {
      session.disconnect();
    }
  } catch {
    // No inspector in this build or thread.
  }
}

/**
 * Takes a snapshot of this thread's heap and indexes it. Synchronous as far as the heap is
 * concerned (V8 records the snapshot when asked; the stream only serializes it).
 */
export async function takeHeapGraph(): Promise<HeapGraph> {
  // Required lazily: the module is loaded on failure paths only, and never in a browser build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getHeapSnapshot } = require('node:v8') as typeof import('node:v8');
  cacheLineEnds();
  const stream = getHeapSnapshot();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new HeapGraph(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnapshotJSON);
}
