/**
 * An open client or session keeps its thread alive, like an open port or socket; `unref()` lets
 * the process exit while it is open, as Node handles do.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'remote', 'lifetime', 'open_client.js');

/** Runs the fixture; resolves with its exit code, or 'alive' if it still runs after `ms`. */
function outcome(args: string[], ms: number): Promise<number | 'alive'> {
  const child = spawn(process.execPath, [FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill();
      resolve('alive');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

test('an open session keeps the process alive', async () => {
  expect(await outcome([], 2_000)).toBe('alive');
});

test('after unref() on the client and the session, the process exits with the session open', async () => {
  expect(await outcome(['unref'], 10_000)).toBe(0);
});
