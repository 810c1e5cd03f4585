/**
 * weakwire/portable: `setDestructor`, `IDWeakMap` and `stats` on `WeakRef` and
 * `FinalizationRegistry`, with the native backend's contract, for realms where the addon cannot
 * load (browsers, sandboxed Electron renderers). It imports no Node built-in.
 * @packageDocumentation
 */
export { setDestructor, type Destructor } from './weak_handle';
export { IDWeakMap, createIDWeakMap, type IDWeakMapKey } from './id_weak_map';
export { stats, type Stats } from './stats';
/** Which backend this module is: `'portable'` here, `'native'` in the addon-backed build. */
export const backend = 'portable' as const;
