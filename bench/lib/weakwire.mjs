// Loads the weakwire build under test. WEAKWIRE_BENCH_ROOT points the harness at another
// checkout (for example a copy with an experimental native change); its dist/ and build/ are used.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const benchRoot = resolve(process.env.WEAKWIRE_BENCH_ROOT || repoRoot);

const require = createRequire(import.meta.url);

/** The package under test: { setDestructor, IDWeakMap, stats, ... }. */
export function loadWeakwire() {
  return require(join(benchRoot, 'dist', 'index.js'));
}

/**
 * The file `require('weakwire/remote')` loads in Node: the package's `./remote` export (the
 * one-file bundle), or dist/remote/index.js for a checkout from before the bundle.
 */
export function remoteEntry() {
  const pkg = JSON.parse(readFileSync(join(benchRoot, 'package.json'), 'utf8'));
  const target = pkg.exports?.['./remote']?.default;
  return join(benchRoot, typeof target === 'string' ? target : join('dist', 'remote', 'index.js'));
}

/** weakwire/remote, or null with the reason when it is not built yet. */
export function loadRemote() {
  const path = remoteEntry();
  if (!existsSync(path)) return { remote: null, reason: `${path} does not exist yet` };
  try {
    return { remote: require(path), reason: null, path };
  } catch (error) {
    return { remote: null, reason: `loading ${path} failed: ${error.message}` };
  }
}

export { require as benchRequire };
