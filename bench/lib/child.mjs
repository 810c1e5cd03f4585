// Runs a measurement in a fresh Node process and returns the JSON it prints on its last line.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const childrenDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'children');

export function runChild(script, args = [], { nodeArgs = [], timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...nodeArgs, join(childrenDir, script), ...args.map(String)],
      { stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
    );
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      let parsed = null;
      try {
        parsed = JSON.parse(last);
      } catch {
        parsed = null;
      }
      // weak-napi can crash during process teardown after the measurement was printed: keep the
      // figure and record the crash instead of losing the run.
      if (code !== 0 && parsed !== null && signal !== null && !parsed.error) {
        resolve({ ...parsed, crashedAtExit: signal });
        return;
      }
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(' ')} exited with ${code ?? signal}: ${last}`));
        return;
      }
      if (parsed === null) {
        reject(new Error(`${script} ${args.join(' ')} printed no JSON result: ${out.slice(-300)}`));
      } else {
        resolve(parsed);
      }
    });
  });
}
