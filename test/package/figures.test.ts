/**
 * The docs' figures are generated from results files (scripts/figures): the README and
 * docs/leak-testing.md must say what the results say, so a re-measured result without
 * `npm run docs:figures`, or a figure typed by hand, fails here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './tarball';

const cli = path.join(repoRoot, 'scripts', 'figures', 'index.mjs');

function check(...args: string[]) {
  return spawnSync(process.execPath, [cli, '--check', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
}

test('the figure blocks of the README and docs/leak-testing.md agree with the results files', () => {
  const result = check();
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

test('a figure changed by hand inside a block is reported with its line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-figures-'));
  try {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = readme.indexOf('<!-- figures:runtimes -->');
    const version = /\| (\d+\.\d+\.\d+) \|/.exec(readme.slice(block));
    expect(version).not.toBeNull();
    const edited = readme.slice(0, block) + readme.slice(block).replace(version![0], '| 99.0.0 |');
    const copy = path.join(dir, 'README.md');
    fs.writeFileSync(copy, edited);
    const result = check('--file', copy, '--as', 'README.md');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('document has: | ');
    expect(result.stderr).toContain('99.0.0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a block the generator does not know is an error, not left alone', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-figures-'));
  try {
    const copy = path.join(dir, 'README.md');
    fs.writeFileSync(copy, '# x\n<!-- figures:typed-by-hand -->\n1.5×\n<!-- /figures:typed-by-hand -->\n');
    const result = check('--file', copy, '--as', 'README.md');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown figure block(s) typed-by-hand');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
