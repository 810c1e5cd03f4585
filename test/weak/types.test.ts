import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Type-checks consumers of 'weakwire/weak' against the built declarations (dist/). The fixtures
// live inside this package, so node16/nodenext resolve the name through package.json "exports".
const repo = join(__dirname, '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'weak', 'types');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

function typecheck(files: string[], options: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'weakwire-weak-types-'));
  try {
    const config = {
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: true, types: ['node'],
        typeRoots: [join(repo, 'node_modules', '@types')], ...options,
      },
      files: files.map((file) => join(fixtures, file)),
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    return spawnSync(process.execPath, [tsc, '-p', dir, '--listFiles'], { encoding: 'utf8', timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('types of weakwire/weak', () => {
  test('`import weak = require(...)` and the esModuleInterop default import type-check (CommonJS, node16)', () => {
    const result = typecheck(['consumer.cts'], { module: 'node16', moduleResolution: 'node16', esModuleInterop: true });
    expect(result.stdout + result.stderr).not.toMatch(/error TS/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(join('dist', 'weak', 'index.d.ts'));
  });

  test('the default import type-checks from an ES module (nodenext)', () => {
    const result = typecheck(['consumer.mts'], { module: 'nodenext', moduleResolution: 'nodenext' });
    expect(result.stdout + result.stderr).not.toMatch(/error TS/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(join('dist', 'esm', 'weak', 'index.d.mts'));
  });
});
