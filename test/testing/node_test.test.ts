import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..');

describe('weakwire/testing from node:test', () => {
  test('`node --test` without --expose-gc: the fixed cache passes, the leaky cache fails with figures', () => {
    const child = spawnSync(
      process.execPath,
      ['--test', '--test-reporter=tap', join(repo, 'test', 'fixtures', 'testing', 'node_test_session_cache.js')],
      { cwd: repo, encoding: 'utf8', timeout: 120000, env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const output = child.stdout + child.stderr;
    expect(child.status).toBe(1);
    expect(output).toMatch(/^# pass 2$/m);
    expect(output).toMatch(/^# fail 2$/m);
    expect(output).toMatch(/^ok \d+ - fixed cache: a session nobody uses is collected$/m);
    expect(output).toMatch(/^ok \d+ - fixed cache: expectNoLeak passes$/m);
    expect(output).toMatch(/^not ok \d+ - leaky cache: a session nobody uses is collected$/m);
    expect(output).toMatch(/session 2 was not collected after \d+ GC rounds \(\d+ ms\): something still references it/);
    expect(output).toMatch(/^not ok \d+ - leaky cache: expectNoLeak$/m);
    expect(output).toMatch(/expectNoLeak: LeakyCache\.remember keeps growing over \d+ calls/);
    expect(output).toMatch(/LEAK JS heap: /);
  });
});
