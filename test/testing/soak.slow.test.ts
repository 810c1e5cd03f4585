import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const soak = join(__dirname, '..', '..', 'scripts', 'soak.js');

function run(...args: string[]) {
  const child = spawnSync(process.execPath, [soak, ...args], { encoding: 'utf8', timeout: 120000 });
  return { status: child.status, output: child.stdout + child.stderr };
}

describe('scripts/soak.js (npm run soak)', () => {
  test('a short run churns destructors and map entries and ends with stats() at zero', () => {
    const { status, output } = run('--seconds', '10', '--warmup', '1');
    expect(output).toMatch(/\[soak\] \d+ rounds in [\d.]+ s: (\d+) destructors registered, \d+ ran, \d+ cancelled/);
    expect(output).toMatch(/RSS after warm-up: [\d.]+ MB -> [\d.]+ MB/);
    expect(output).toContain('final stats(): {"trackedObjects":0,"pendingCallbacks":0,"mapEntries":0}');
    expect(status).toBe(0);
  });

  test('fails when objects are kept alive (--simulate-leak), naming the stats left over', () => {
    const { status, output } = run('--seconds', '3', '--warmup', '1', '--simulate-leak');
    expect(status).toBe(1);
    expect(output).toMatch(/\[soak\] FAIL: stats\(\) not back to zero after settling: \{"trackedObjects":[1-9]\d*/);
  });

  test('rejects unknown arguments', () => {
    const { status, output } = run('--fast');
    expect(status).toBe(1);
    expect(output).toContain('soak: unknown argument --fast');
  });
});
