/**
 * weakwire: know when an object dies, safely.
 * @packageDocumentation
 */
export { setDestructor, type Destructor } from './weak_handle';
export { IDWeakMap, createIDWeakMap, type IDWeakMapKey } from './id_weak_map';
export { stats, type Stats } from './stats';
