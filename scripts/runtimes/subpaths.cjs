'use strict';
// The package's subpaths (weakwire/remote, ...) by file, from package.json "exports": runtimes
// differ in whether a package may import itself by name, a file path works everywhere.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));

function target(spec) {
  const entry = pkg.exports[`.${spec.slice('weakwire'.length)}`];
  if (!entry || typeof entry !== 'object') throw new Error(`${spec} is not in package.json exports`);
  return { cjs: path.join(root, entry.default), esm: path.join(root, entry.import.default) };
}

module.exports = {
  subpath: (spec) => require(target(spec).cjs),
  importSubpath: (spec) => import(pathToFileURL(target(spec).esm).href),
};
