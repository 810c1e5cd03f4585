/**
 * Random object graphs with shared parts and cycles (fast-check), and a check that a copy has the
 * same shape: the same values, and the same object wherever the original had the same object.
 */
import fc from 'fast-check';

type Node = Record<string, unknown> | unknown[] | Map<unknown, unknown> | Set<unknown> | Date;

const primitive = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
);

/** Builds nodes of the given kinds and wires them by `edges` (indexes wrap around). */
function build(
  kinds: readonly string[],
  edges: ReadonlyArray<readonly [number, number | null, string, unknown]>,
): Node[] {
  const nodes: Node[] = kinds.map((kind, i) => {
    switch (kind) {
      case 'array':
        return [];
      case 'map':
        return new Map();
      case 'set':
        return new Set();
      case 'date':
        return new Date(1_700_000_000_000 + i);
      default:
        return {};
    }
  });
  for (const [from, to, key, leaf] of edges) {
    const node = nodes[from % nodes.length];
    const value = to === null ? leaf : nodes[to % nodes.length];
    if (Array.isArray(node)) node.push(value);
    else if (node instanceof Map) node.set(to !== null && key.length % 2 === 0 ? nodes[(to + 1) % nodes.length] : key, value);
    else if (node instanceof Set) node.add(value);
    else if (!(node instanceof Date)) node[key] = value;
  }
  return nodes;
}

/** A graph, and a pick of its nodes (with repeats) to send as the values of one message. */
export const graphs = fc
  .record({
    kinds: fc.array(fc.constantFrom('object', 'object', 'array', 'map', 'set', 'date'), { minLength: 1, maxLength: 7 }),
    edges: fc.array(
      fc.tuple(fc.nat(), fc.option(fc.nat(), { nil: null, freq: 3 }), fc.string({ minLength: 1, maxLength: 3 }), primitive),
      { maxLength: 24 },
    ),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  })
  .map(({ kinds, edges, picks }) => {
    const nodes = build(kinds, edges);
    return picks.map((i) => nodes[i % nodes.length]);
  });

/**
 * Whether `copy` has the shape of `original`: equal primitives, same kinds, and a one-to-one
 * correspondence between their objects (shared parts and cycles preserved, nothing merged).
 */
export function sameShape(original: unknown, copy: unknown): boolean {
  const forward = new Map<object, object>();
  const backward = new Map<object, object>();
  const walk = (a: unknown, b: unknown): boolean => {
    if (typeof a !== 'object' || a === null) {
      return typeof b !== 'object' || b === null ? Object.is(a, b) : false;
    }
    if (typeof b !== 'object' || b === null) return false;
    if (forward.has(a) || backward.has(b)) return forward.get(a) === b && backward.get(b) === a;
    forward.set(a, b);
    backward.set(b, a);
    if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
    if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => walk(x, b[i]));
    if (a instanceof Map) {
      if (!(b instanceof Map) || a.size !== b.size) return false;
      const right = [...b];
      return [...a].every(([k, v], i) => walk(k, right[i][0]) && walk(v, right[i][1]));
    }
    if (a instanceof Set) {
      if (!(b instanceof Set) || a.size !== b.size) return false;
      const right = [...b];
      return [...a].every((x, i) => walk(x, right[i]));
    }
    if (Array.isArray(b) || b instanceof Map || b instanceof Set || b instanceof Date) return false;
    const keys = Object.keys(a);
    const other = b as Record<string, unknown>;
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && walk((a as Record<string, unknown>)[k], other[k]))
    );
  };
  return walk(original, copy);
}
