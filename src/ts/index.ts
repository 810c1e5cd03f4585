/**
 * weakwire: know when an object dies, safely.
 * @packageDocumentation
 */
export {
  setDestructor,
  IDWeakMap,
  createIDWeakMap,
  stats,
  backend,
  type Destructor,
  type IDWeakMapKey,
  type Stats,
} from './backend';
