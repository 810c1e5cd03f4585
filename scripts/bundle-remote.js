#!/usr/bin/env node
'use strict';
/**
 * Writes the Node build of weakwire/remote as two CommonJS files, made from the compiled
 * dist/remote tree. Runs after `npm run build:ts` (its `post` hook), before scripts/build-esm.js,
 * whose ESM wrapper re-exports the first one.
 *
 * - dist/remote/index.node.js: the session code, what `require('weakwire/remote')` loads.
 * - dist/remote/transports.node.js: the transports' implementations, loaded when the first one is
 *   asked for (`transports.messagePort`, ...). They use some of the session's modules (errors,
 *   protocol, limits, ...): the session file hands its own instances over when it loads this
 *   one, so there is one copy of each.
 *
 * Why bundles: loading ~40 small modules cost more than running them. Each one is resolved
 * (stat calls, package-scope lookups), read and compiled on its own; in one file that is done
 * once. The transports are a second file because V8 pre-parses all of a file it compiles, and
 * they are a third of the code (bench/NOTES.md, "Start-up").
 *
 * What stays as it was:
 * - Modules outside dist/remote (the backend and the addon binding) stay external, reached with
 *   the same relative require, so weakwire, weakwire/testing and weakwire/remote share one copy
 *   of the per-process state and node-gyp-build finds prebuilds/ from dist/binding.js as before.
 * - Packages (msgpackr) stay external.
 * - What loads on first use still does: every module keeps its own lazily run wrapper, so one
 *   transport's module (and the Node built-ins it needs) runs only when that transport is asked
 *   for, and the backend only when a session starts.
 * - Browsers never get these files: the `browser` export condition and the `browser` field lead
 *   bundlers to the dist/remote tree, where platform.js and transports/index.js are swapped for
 *   their browser variants.
 * - The source maps chain through the compiled tree's maps to src/ts, with the sources inlined.
 */
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const remoteDir = path.join(root, 'dist', 'remote');
const transportsDir = path.join(remoteDir, 'transports');
const sessionFile = path.join(remoteDir, 'index.node.js');
const transportsFile = path.join(remoteDir, 'transports.node.js');

/** The tree's name for a module, without extension: 'errors', 'codec/frames', 'transports/kit'. */
function moduleName(file) {
  return path.relative(remoteDir, file).split(path.sep).join('/').replace(/\.js$/, '');
}

function requirePath(fromFile, file) {
  const relative = path.relative(path.dirname(fromFile), file).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** The file a relative require names, as Node finds it (file.js, or folder/index.js). */
function resolveRelative(args) {
  const target = path.resolve(args.resolveDir, args.path);
  if (target.endsWith('.js')) return target;
  return fs.existsSync(`${target}.js`) || !fs.existsSync(target) ? `${target}.js` : path.join(target, 'index.js');
}

/**
 * Modules outside transports/ that only transports use: they go in the transports' file, so
 * `require('weakwire/remote')` does not compile them (the MessagePack frame codec is a tenth of
 * the session code). The session file must not hold them (`check` fails the build if it does).
 */
const TRANSPORT_ONLY = new Set(['codec/frames']);

/** A require that leaves dist/remote stays a require, rewritten for the bundle's place. */
function outsideRemote(target, outfile) {
  if (target.startsWith(remoteDir + path.sep)) return undefined;
  return { path: requirePath(outfile, target.replace(/\.js$/, '')), external: true };
}

const common = {
  absWorkingDir: root,
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
};

/**
 * The transports' file. Its entry returns one transport module by name; a require of a session
 * module (outside transports/) reads the instance the session handed over. Returns the names of
 * those session modules.
 */
async function bundleTransports(names) {
  const fromSession = new Set();
  const cases = names.map((name) => `    case ${JSON.stringify(name)}: return require(${JSON.stringify(`./transports/${name}`)});`);
  const entry = [
    "const session = require('session-modules');",
    '/** The transport module `name`; `modules` are the session file\'s own instances. */',
    'exports.transportModule = function transportModule(name, modules) {',
    '  Object.assign(session, modules);',
    '  switch (name) {',
    ...cases,
    '  }',
    "  throw new Error('weakwire: no transport module ' + name);",
    '};',
  ].join('\n');
  const result = await esbuild.build({
    ...common,
    // Generated modules get a `namespace:` name, which their source map entries keep (with their
    // text inlined): no file of that name exists.
    entryPoints: ['transports-entry'],
    outfile: transportsFile,
    plugins: [
      {
        name: 'session-modules-from-the-session-file',
        setup(build) {
          build.onResolve({ filter: /^transports-entry$/ }, () => ({ path: 'transports-entry', namespace: 'generated' }));
          build.onLoad({ filter: /.*/, namespace: 'generated' }, () => ({ contents: entry, resolveDir: remoteDir, loader: 'js' }));
          build.onResolve({ filter: /^session-modules$/ }, () => ({ path: 'session-modules', namespace: 'session' }));
          build.onLoad({ filter: /.*/, namespace: 'session' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
          build.onResolve({ filter: /^\.\.?\// }, (args) => {
            if (args.namespace === 'session-module') return undefined;
            const target = resolveRelative(args);
            const outside = outsideRemote(target, transportsFile);
            if (outside) return outside;
            if (target.startsWith(transportsDir + path.sep) || TRANSPORT_ONLY.has(moduleName(target))) return undefined;
            fromSession.add(moduleName(target));
            return { path: moduleName(target), namespace: 'session-module' };
          });
          build.onLoad({ filter: /.*/, namespace: 'session-module' }, (args) => ({
            contents: `module.exports = require('session-modules')[${JSON.stringify(args.path)}];`,
            loader: 'js',
          }));
        },
      },
    ],
  });
  return { result, fromSession: [...fromSession].sort() };
}

/** The session's file; a transport module is taken from the transports' file on first use. */
async function bundleSession(shared) {
  return esbuild.build({
    ...common,
    entryPoints: [path.join(remoteDir, 'index.js')],
    outfile: sessionFile,
    plugins: [
      {
        name: 'transports-from-their-file',
        setup(build) {
          build.onResolve({ filter: /^session-modules$/ }, () => ({ path: 'session-modules', namespace: 'session' }));
          build.onLoad({ filter: /.*/, namespace: 'session' }, () => ({
            contents: `module.exports = {\n${shared.map((name) => `  ${JSON.stringify(name)}: require(${JSON.stringify(`./${name}`)}),`).join('\n')}\n};`,
            resolveDir: remoteDir,
            loader: 'js',
          }));
          build.onResolve({ filter: /^\.\.?\// }, (args) => {
            if (args.namespace === 'transport') return undefined;
            const target = resolveRelative(args);
            const outside = outsideRemote(target, sessionFile);
            if (outside) return outside;
            if (!target.startsWith(transportsDir + path.sep) || target === path.join(transportsDir, 'index.js')) return undefined;
            return { path: path.basename(target, '.js'), namespace: 'transport' };
          });
          build.onLoad({ filter: /.*/, namespace: 'transport' }, (args) => ({
            contents: `module.exports = require(${JSON.stringify(requirePath(sessionFile, transportsFile))}).transportModule(${JSON.stringify(args.path)}, require('session-modules'));`,
            resolveDir: remoteDir,
            loader: 'js',
          }));
          build.onResolve({ filter: /transports\.node\.js$/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
  });
}

/** Guards for the mistakes that would still load: a second copy of a module, a browser variant. */
function check(result, outfile, allowed) {
  const output = result.metafile.outputs[path.relative(root, outfile).split(path.sep).join('/')];
  const files = Object.keys(output.inputs).filter((input) => !input.includes(':'));
  const wrong = files.filter((input) => !allowed(input) || input.includes('.browser.'));
  if (wrong.length > 0) throw new Error(`bundle-remote: ${path.basename(outfile)} must not hold ${wrong.join(', ')}`);
  console.log(`bundle-remote: ${path.relative(root, outfile)} (${files.length} modules, ${output.bytes} bytes)`);
}

async function main() {
  const names = fs
    .readdirSync(transportsDir)
    .filter((file) => file.endsWith('.js') && !file.startsWith('index.'))
    .map((file) => file.replace(/\.js$/, ''))
    .sort();
  const { result: transports, fromSession } = await bundleTransports(names);
  const transportOnly = (input) => TRANSPORT_ONLY.has(input.replace(/^dist\/remote\//, '').replace(/\.js$/, ''));
  check(transports, transportsFile, (input) => input.startsWith('dist/remote/transports/') || transportOnly(input));
  const session = await bundleSession(fromSession);
  check(
    session,
    sessionFile,
    (input) =>
      input.startsWith('dist/remote/') &&
      !transportOnly(input) &&
      (!input.startsWith('dist/remote/transports/') || input === 'dist/remote/transports/index.js'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
