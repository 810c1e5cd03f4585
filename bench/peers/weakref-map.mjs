// The hand-written baseline: a Map of WeakRefs, pruned by a FinalizationRegistry. Same contract
// as IDWeakMap for what the benchmark touches: a late finalizer never removes a newer value.
export class WeakRefMap {
  #map = new Map();
  #registry = new FinalizationRegistry(({ key, ref }) => {
    if (this.#map.get(key) === ref) this.#map.delete(key);
  });

  set(key, value) {
    const ref = new WeakRef(value);
    const old = this.#map.get(key);
    if (old !== undefined) this.#registry.unregister(old);
    this.#map.set(key, ref);
    this.#registry.register(value, { key, ref }, ref);
    return this;
  }

  get(key) {
    return this.#map.get(key)?.deref();
  }

  has(key) {
    const ref = this.#map.get(key);
    return ref !== undefined && ref.deref() !== undefined;
  }

  delete(key) {
    const ref = this.#map.get(key);
    if (ref === undefined) return false;
    this.#map.delete(key);
    this.#registry.unregister(ref);
    return ref.deref() !== undefined;
  }

  get size() {
    let n = 0;
    for (const ref of this.#map.values()) if (ref.deref() !== undefined) n++;
    return n;
  }
}
