/**
 * backend.ts for browser builds (package.json "browser" field): the portable backend, with the
 * same exports, so `weakwire` and the modules built on it bundle without the addon.
 * @packageDocumentation
 */
export { setDestructor, watchCollection, cancelWatches, type Destructor } from './portable/weak_handle';
export { IDWeakMap, createIDWeakMap, type IDWeakMapKey } from './portable/id_weak_map';
export { stats, type Stats } from './portable/stats';
/** Which backend `weakwire` runs on here. */
export const backend: 'native' | 'portable' = 'portable';
