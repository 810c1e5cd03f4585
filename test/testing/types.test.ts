import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Type-checks test files that use the matchers against the built declarations (dist/), the way a
// user's project sees them: the fixtures live inside this package, so node16/nodenext resolve
// 'weakwire/...' through package.json "exports".
const repo = join(__dirname, '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'testing', 'types');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

function typecheck(file: string, options: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'weakwire-matcher-types-'));
  try {
    const config = {
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: true,
        typeRoots: [join(repo, 'node_modules', '@types')], ...options,
      },
      files: [join(fixtures, file)],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    return spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('matcher types', () => {
  test('expect from @jest/globals, without @types/jest', () => {
    const result = typecheck('jest_globals.mts', { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('the global expect of @types/jest', () => {
    const result = typecheck('jest_types.cts', { module: 'node16', moduleResolution: 'node16', types: ['node', 'jest'] });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('expect imported from vitest', () => {
    const result = typecheck('vitest.mts', { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
