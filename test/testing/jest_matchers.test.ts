import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import '../../src/ts/testing/jest';
import { track } from '../../src/ts/testing';

const repo = join(__dirname, '..', '..');

describe('toBeCollected', () => {
  test('passes once the object is collected', async () => {
    await expect(track({ garbage: true })).toBeCollected();
  });

  test('fails for a referenced object, saying how many GC rounds were tried', async () => {
    const kept = {};
    await expect(expect(track(kept, 'the kept object')).toBeCollected({ timeout: 50 })).rejects.toThrow(
      /expected the kept object to be collected, but it is still alive after \d+ GC rounds \(\d+ ms\): something still references it/,
    );
  });

  test('.not fails for a collected object, saying after how many rounds', async () => {
    await expect(expect(track({})).not.toBeCollected()).rejects.toThrow(
      /expected the tracked object not to be collected, but it was collected after [1-9]\d* GC rounds?/,
    );
  });

  test('rejects anything that is not a tracker, explaining why', async () => {
    await expect(expect({}).toBeCollected()).rejects.toThrow(
      /received must be a tracker from track\(obj\) \(weakwire\/testing\); got object\. Passing the object itself would keep it alive/,
    );
  });
});

describe('toBeRetained', () => {
  test('passes for an object something still references', async () => {
    const kept = {};
    await expect(track(kept)).toBeRetained({ rounds: 3 });
    expect(kept).toBeDefined();
  });

  test('fails when the object is collected, saying after how many GC rounds', async () => {
    await expect(expect(track({}, 'the dropped object')).toBeRetained({ rounds: 20 })).rejects.toThrow(
      /expected the dropped object to be retained, but it was collected after [1-9]\d* GC rounds? \(\d+ ms\)/,
    );
  });

  test('.not passes when the object is collected', async () => {
    await expect(track({})).not.toBeRetained();
  });
});

describe('weakwire/jest in a user project', () => {
  test('a real Jest run with setupFilesAfterEnv: the leaky cache fails both matchers and expectNoLeak', () => {
    const child = spawnSync(
      process.execPath,
      [
        join(repo, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--config',
        join(repo, 'test', 'fixtures', 'testing', 'jest_project', 'jest.config.js'),
        '--ci',
        '--colors=false',
      ],
      { cwd: repo, encoding: 'utf8', timeout: 120000, env: { ...process.env, FORCE_COLOR: '0' } },
    );
    const output = child.stdout + child.stderr;
    expect(child.status).toBe(1);
    expect(output).toMatch(/Tests: +2 failed, 2 passed, 4 total/);
    expect(output).toMatch(/✓ fixed cache: a session nobody uses is collected/);
    expect(output).toMatch(/✓ leaky cache: the session is retained \(documents the bug\)/);
    expect(output).toMatch(
      /expected session 2 to be collected, but it is still alive after \d+ GC rounds \(\d+ ms\): something still references it/,
    );
    expect(output).toMatch(/expectNoLeak: LeakyCache\.remember keeps growing over \d+ calls/);
    expect(output).toMatch(/LEAK JS heap: /);
  });
});
