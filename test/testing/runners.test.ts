import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Real runs of the runners a user has: Jest with --detectLeaks, and Vitest without globals.
const repo = join(__dirname, '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'testing');

function run(args: string[]) {
  const child = spawnSync(process.execPath, args, {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  return { status: child.status, output: child.stdout + child.stderr };
}

describe('jest --detectLeaks', () => {
  test('test files that track live objects, and one whose tracker fails, are not reported as leaking', () => {
    const { status, output } = run([
      join(repo, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--detectLeaks',
      '--config',
      join(fixtures, 'detect_leaks_project', 'jest.config.js'),
      '--ci',
    ]);
    expect(output).not.toMatch(/leaking memory/);
    expect(output).toMatch(/Tests: +4 passed, 4 total/);
    expect(status).toBe(0);
  });
});

describe('Vitest without globals: true', () => {
  test('weakwire/vitest registers the matchers on the expect imported from vitest', () => {
    const { status, output } = run([
      join(repo, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--config',
      join(fixtures, 'vitest_project', 'vitest.config.mjs'),
    ]);
    expect(output).toMatch(/Tests +1 failed \| 2 passed \(3\)/);
    expect(output).toMatch(
      /expected session 2 to be collected, but it is still alive after \d+ GC rounds \(\d+ ms\): something still references it\nretained through:\n/,
    );
    expect(output).toMatch(/\.#byId -> Map\n\s+entry -> Object {2}<- session 2/);
    expect(status).toBe(1);
  });
});
