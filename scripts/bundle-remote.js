#!/usr/bin/env node
'use strict';
/**
 * Writes dist/remote/index.node.js: the Node build of weakwire/remote as one CommonJS file, made
 * from the compiled dist/remote tree. Runs after `npm run build:ts` (its `post` hook), before
 * scripts/build-esm.js, whose ESM wrapper re-exports this file.
 *
 * Why one file: loading ~40 small modules cost more than running them. Each one is resolved
 * (stat calls, package scope lookups), read and compiled on its own; in one file that is done
 * once (bench/NOTES.md, "Start-up").
 *
 * What stays as it was:
 * - Modules outside dist/remote (the backend and the addon binding) stay external, reached with
 *   the same relative require, so weakwire, weakwire/testing and weakwire/remote share one copy
 *   of the per-process state and node-gyp-build finds prebuilds/ from dist/binding.js as before.
 * - Packages (msgpackr) stay external.
 * - What loads on first use still does: every module keeps its own lazily run wrapper, so a
 *   transport's module (and the Node built-ins it needs) runs only when the transport is asked
 *   for, and the backend only when a session starts.
 * - Browsers never get this file: the `browser` export condition and the `browser` field lead
 *   bundlers to the dist/remote tree, where platform.js and transports/index.js are swapped for
 *   their browser variants.
 * - The source map chains through the compiled tree's maps to src/ts, with the sources inlined.
 */
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const remoteDir = path.join(root, 'dist', 'remote');
const entry = path.join(remoteDir, 'index.js');
const outfile = path.join(remoteDir, 'index.node.js');

/** Relative requires that leave dist/remote stay requires, rewritten for the bundle's place. */
const keepOutsideModulesExternal = {
  name: 'keep-outside-modules-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      if (target.startsWith(remoteDir + path.sep)) return undefined;
      const relative = path.relative(path.dirname(outfile), target).split(path.sep).join('/');
      return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
    });
  },
};

async function main() {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    sourcesContent: true,
    // Identifiers and lines stay as compiled: stack traces stay readable without source maps.
    minify: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [keepOutsideModulesExternal],
  });
  const output = result.metafile.outputs[path.relative(root, outfile).split(path.sep).join('/')];
  const inputs = Object.keys(output ? output.inputs : {});
  // Guards for the two mistakes that would still load: a second copy of per-process state, and
  // browser variants in the Node file.
  const outside = inputs.filter((input) => !input.startsWith('dist/remote/'));
  if (outside.length > 0) throw new Error(`bundle-remote: modules from outside dist/remote inlined: ${outside.join(', ')}`);
  const browserOnly = inputs.filter((input) => input.includes('.browser.'));
  if (browserOnly.length > 0) throw new Error(`bundle-remote: browser modules in the Node bundle: ${browserOnly.join(', ')}`);
  console.log(`bundle-remote: ${path.relative(root, outfile)} (${inputs.length} modules, ${output ? output.bytes : '?'} bytes)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
