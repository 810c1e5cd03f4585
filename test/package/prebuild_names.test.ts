/**
 * Each prebuild is named and placed so that node-gyp-build, the loader the package uses, picks it
 * on its platform and on no other: `prebuilds/<platform>-<arch>/`, with the libc tag node-gyp-build
 * compares against (musl only where /etc/alpine-release exists, which the LIBC variable stands for
 * here). node-gyp-build chooses by file name alone, so the files here are empty stand-ins laid out
 * as scripts/cross/targets.js lays out the real ones.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './tarball';

interface Target {
  id: string;
  platform: string;
  arch: string;
  libc?: string;
  file: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { HOST, TARGETS, prebuildPath } = require('../../scripts/cross/targets.js') as {
  HOST: Target;
  TARGETS: Target[];
  prebuildPath(target: Target): string;
};
const all = [HOST, ...TARGETS];
const loader = require.resolve('node-gyp-build', { paths: [repoRoot] });

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-names-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'weakwire' }));
  for (const target of all) {
    const file = path.join(dir, prebuildPath(target));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
  }
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The file node-gyp-build resolves in `dir` on a machine of this platform, arch and libc. */
function picked(platform: string, arch: string, libc: string, extra: NodeJS.ProcessEnv = {}): string {
  const script = `console.log(require(${JSON.stringify(loader)}).resolve(${JSON.stringify(dir)}))`;
  const result = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, npm_config_platform: platform, npm_config_arch: arch, LIBC: libc, PREBUILDS_ONLY: '1', ...extra },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const said = /Error: (No native build was found[^\n]*)/.exec(result.stderr);
    return `nothing (${said ? said[1] : result.stderr.trim()})`;
  }
  return path.relative(dir, result.stdout.trim()).split(path.sep).join('/');
}

test.each(all.map((target) => [target.id, target] as const))('%s is what node-gyp-build loads there', (_id, target) => {
  expect(picked(target.platform, target.arch, target.libc ?? 'glibc')).toBe(prebuildPath(target));
});

test.each(all.map((target) => [target.id, target] as const))('%s is what node-gyp-build loads there in Electron too', (_id, target) => {
  expect(picked(target.platform, target.arch, target.libc ?? 'glibc', { ELECTRON_RUN_AS_NODE: '1' })).toBe(prebuildPath(target));
});

test('a platform without a prebuild gets none, so the loader says how to build', () => {
  expect(picked('win32', 'arm64', 'glibc')).toMatch(/^nothing \(.*No native build was found/);
  expect(picked('freebsd', 'x64', 'glibc')).toMatch(/^nothing \(No native build was found for platform=freebsd/);
});
