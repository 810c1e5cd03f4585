'use strict';
/**
 * Builds a page's script the way an application's bundler would: esbuild, platform `browser`,
 * with `weakwire/...` resolved to this repository's build (dist/), so the package.json "browser"
 * field and export conditions pick the portable backend and the browser platform.
 */
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

/** `weakwire` and `weakwire/<sub>` as a consumer would resolve them, from this repository. */
const selfReference = {
  name: 'weakwire-self-reference',
  setup(build) {
    build.onResolve({ filter: /^weakwire(\/|$)/ }, async (args) => {
      if (args.pluginData === 'self') return undefined;
      // Resolved from a directory whose node_modules would hold the package: the repository's parent
      // has none, so resolve through the package's own name from inside it (self-reference).
      const result = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: root,
        pluginData: 'self',
      });
      return result.errors.length > 0 ? { errors: result.errors } : { path: result.path };
    });
  },
};

/**
 * The bundled script for `entry` (an ES module), as text; an IIFE a page can load with <script>.
 * `external` modules stay `require` calls (`electron`, in a sandboxed preload).
 */
async function bundleForBrowser(entry, { external = [] } = {}) {
  const { build } = require('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    metafile: true,
    external,
    plugins: [selfReference],
  });
  return { code: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs) };
}

module.exports = { bundleForBrowser, root };
