#!/usr/bin/env node
// Formats (or with --check, verifies) the C++ sources with the clang-format binary from npm.
'use strict';
const { execFileSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dir = join(root, 'src', 'native');
const files = readdirSync(dir)
  .filter((name) => /\.(cc|h)$/.test(name))
  .map((name) => join(dir, name));
const binary = require.resolve('clang-format/index.js');
const check = process.argv.includes('--check');
const args = check ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
try {
  execFileSync(process.execPath, [binary, '--style=file', ...args], { cwd: root, stdio: 'inherit' });
} catch {
  console.error('C++ sources are not formatted: run `npm run format`.');
  process.exit(1);
}
if (check) console.log(`clang-format: ${files.length} files formatted correctly`);
