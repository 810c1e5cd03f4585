/**
 * What the remote layer takes from its host, in one place: value type checks, the event emitter
 * its clients, sessions and servers are, and the symbol `util.inspect` reads. This is the Node.js
 * version (node:util, node:events); bundlers building for browsers get platform.browser.ts
 * instead (package.json "browser"), which must export the same names.
 */
export { types } from 'node:util';
export { EventEmitter } from 'node:events';

/** The key `util.inspect` (and `console.log` in Node.js) reads a custom label from. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;
