import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dist = join(__dirname, '..', '..', 'dist');
const fixture = join(__dirname, '..', 'fixtures', 'testing', 'without_addon.js');

describe('weakwire/testing where the addon cannot load', () => {
  test('trackers and expectNoLeak work on the portable backend, counting its records', () => {
    const child = spawnSync(process.execPath, [fixture, dist], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, WEAKWIRE_NATIVE_PATH: join(dist, 'no-such-addon.node') },
    });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout);
    expect(out).toEqual({
      nativeError: true, // the addon really is unavailable in this process
      collected: true,
      cleanBackends: 'portable',
      cleanLeaking: false,
      leakTracked: true,
      portableTracked: expect.any(Number),
    });
    // Every object the leaking check kept is a live portable record (warm-up and measured calls).
    expect(out.portableTracked).toBeGreaterThanOrEqual(2000 + 100);
  });
});
