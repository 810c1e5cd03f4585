'use strict';
/**
 * What this runtime is and how it forces a full garbage collection. Each runtime has its own way:
 * Node and Deno expose V8's `gc()` (`--expose-gc`, `--v8-flags=--expose-gc`), Bun has
 * `Bun.gc(true)` (synchronous, full). No way at all is an error that says why, never a silent skip.
 */
function runtime() {
  if (typeof Bun !== 'undefined' && process.versions.bun) {
    return { name: 'bun', version: process.versions.bun };
  }
  if (typeof Deno !== 'undefined' && Deno.version) {
    return { name: 'deno', version: Deno.version.deno };
  }
  return { name: 'node', version: process.versions.node };
}

function resolveGC() {
  const { name } = runtime();
  if (name === 'bun') {
    if (typeof Bun.gc !== 'function') throw new Error('Bun.gc is missing in this Bun');
    return { gc: () => Bun.gc(true), how: 'Bun.gc(true)' };
  }
  if (typeof globalThis.gc === 'function') {
    const gc = globalThis.gc;
    return { gc: () => gc(), how: name === 'deno' ? '--v8-flags=--expose-gc' : '--expose-gc' };
  }
  const flag = name === 'deno' ? '--v8-flags=--expose-gc' : '--expose-gc';
  throw new Error(`no gc(): run ${name} with ${flag}`);
}

module.exports = { runtime, resolveGC };
