import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Jest intercepts uncaught exceptions, so these run in a real child process on the built dist/.
const dist = join(__dirname, '..', '..', 'dist');
const fixture = join(__dirname, '..', 'fixtures', 'weak', 'throwing_callbacks.js');

function run(...args: string[]) {
  return spawnSync(process.execPath, [fixture, dist, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('in a real process', () => {
  test('each error reaches uncaughtException, every other callback still runs in order, nothing leaks', () => {
    const result = run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ran).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3', 'c1']);
    expect(report.order).toEqual({ a: ['a1', 'a2', 'a3', 'a4'], b: ['b1', 'b2', 'b3'] });
    expect(report.uncaught).toEqual(['a2 failed', 'b1 failed', 'b2 failed']);
    expect(report.dead).toEqual([true, true, true]);
    expect(report.stats).toEqual({ trackedObjects: 0, pendingCallbacks: 0, mapEntries: 0 });
  });

  test('without an uncaughtException handler, a throwing callback fails the process loudly', () => {
    const result = run('unhandled');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Error: (a2|b1|b2) failed/);
  });

  test('holding a reference after its callbacks ran, and exiting with a target alive, are clean', () => {
    const result = spawnSync(
      process.execPath,
      [join(__dirname, '..', 'fixtures', 'weak', 'live_at_exit.js'), dist],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ran: true, dead: true, alive: true });
  });
});
