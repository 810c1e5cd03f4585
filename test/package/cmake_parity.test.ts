/**
 * binding.gyp and CMakeLists.txt must describe the same addon: same sources, same defines, same
 * language level and flags. (`npm run test:cmake` then runs the whole suite on the cmake-js build.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './tarball';

interface GypTarget {
  target_name: string;
  sources: string[];
  defines: string[];
  cflags_cc: string[];
  dependencies: string[];
}

const gyp = JSON.parse(fs.readFileSync(path.join(repoRoot, 'binding.gyp'), 'utf8')) as { targets: GypTarget[] };
const target = gyp.targets[0];
const cmake = fs.readFileSync(path.join(repoRoot, 'CMakeLists.txt'), 'utf8').replace(/#.*$/gm, '');

/** The words inside the first `command(... )` call whose text starts with `opening`. */
function block(opening: string): string[] {
  const start = cmake.indexOf(opening);
  if (start < 0) throw new Error(`CMakeLists.txt has no ${opening}`);
  const end = cmake.indexOf(')', start);
  return cmake.slice(start + opening.length, end).split(/\s+/).filter(Boolean);
}

test('one target, named weakwire, in both', () => {
  expect(gyp.targets.map((t) => t.target_name)).toEqual(['weakwire']);
  expect(cmake).toMatch(/project\(weakwire\b/);
  expect(cmake).toMatch(/SUFFIX "\.node"/);
  expect(cmake).toMatch(/PREFIX ""/);
});

test('the same source files', () => {
  expect(block('set(WEAKWIRE_SOURCES').sort()).toEqual([...target.sources].sort());
});

test("binding.gyp's defines, plus node_addon_api_except's NAPI_CPP_EXCEPTIONS", () => {
  const defines = block('target_compile_definitions(${PROJECT_NAME} PRIVATE');
  expect(defines).toEqual(expect.arrayContaining([...target.defines, 'NAPI_CPP_EXCEPTIONS']));
  expect(target.dependencies.join(' ')).toContain('node_addon_api_except');
});

test("binding.gyp's C++ flags: C++17, -O2, hidden visibility, exceptions on", () => {
  expect(cmake).toMatch(/set\(CMAKE_CXX_STANDARD 17\)/);
  const flags = block('target_compile_options(${PROJECT_NAME} PRIVATE -fPIC');
  for (const flag of target.cflags_cc.filter((f) => f !== '-std=c++17')) expect(flags).toContain(flag);
  expect(flags).toContain('-fexceptions');
  expect(flags).not.toContain('-fno-exceptions');
});

test('WEAKWIRE_NATIVE_PATH makes weakwire load exactly that binary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-native-path-'));
  try {
    const copy = path.join(dir, 'weakwire-copy.node');
    const built = require.resolve('node-gyp-build', { paths: [repoRoot] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binary = (require(built) as { resolve(dir: string): string }).resolve(repoRoot);
    fs.copyFileSync(binary, copy);
    const script =
      "const w = require(process.argv[1]); w.stats();" +
      "console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node'))));";
    const result = spawnSync(process.execPath, ['-e', script, repoRoot], {
      env: { ...process.env, WEAKWIRE_NATIVE_PATH: copy },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([copy]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
