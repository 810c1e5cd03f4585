/**
 * The one place that picks weakwire's backend for the rest of the package: the native addon on
 * Node, Bun, Deno and Electron's main process. Bundlers that build for a browser replace this file
 * with backend.browser.ts (package.json "browser" field), so nothing that imports from here
 * reaches the addon or a Node built-in there.
 * @packageDocumentation
 */
export { setDestructor, watchCollection, cancelWatches, type Destructor } from './weak_handle';
export { IDWeakMap, createIDWeakMap, type IDWeakMapKey } from './id_weak_map';
export { stats, type Stats } from './stats';
/** Which backend `weakwire` runs on here. */
export const backend: 'native' | 'portable' = 'native';
