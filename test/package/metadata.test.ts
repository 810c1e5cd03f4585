/**
 * What npm shows for the package: where its repository, home page and issues are, and a README
 * that starts with how to install it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './tarball';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  repository?: { type: string; url: string };
  homepage?: string;
  bugs?: { url: string };
};
const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

test('repository, homepage and bugs all point at one GitHub repository', () => {
  expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/weakwire/weakwire.git' });
  expect(pkg.homepage).toBe('https://github.com/weakwire/weakwire#readme');
  expect(pkg.bugs).toEqual({ url: 'https://github.com/weakwire/weakwire/issues' });
});

test('the first command the README shows is `npm install <package>`', () => {
  const firstBlock = /```(?:sh|bash|shell)\n([\s\S]*?)```/.exec(readme);
  expect(firstBlock?.[1].trim().split('\n')[0]).toBe(`npm install ${pkg.name}`);
});
