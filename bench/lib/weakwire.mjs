// Loads the weakwire build under test. WEAKWIRE_BENCH_ROOT points the harness at another
// checkout (for example a copy with an experimental native change); its dist/ and build/ are used.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const benchRoot = resolve(process.env.WEAKWIRE_BENCH_ROOT || repoRoot);

const require = createRequire(import.meta.url);

/** The package under test: { setDestructor, IDWeakMap, stats, ... }. */
export function loadWeakwire() {
  return require(join(benchRoot, 'dist', 'index.js'));
}

/** weakwire/remote, or null with the reason when it is not built yet. */
export function loadRemote() {
  const path = join(benchRoot, 'dist', 'remote', 'index.js');
  if (!existsSync(path)) return { remote: null, reason: `${path} does not exist yet` };
  try {
    return { remote: require(path), reason: null, path };
  } catch (error) {
    return { remote: null, reason: `loading ${path} failed: ${error.message}` };
  }
}

export { require as benchRequire };
