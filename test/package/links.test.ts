/**
 * Every link in the README and in the docs that ship works for someone reading the published
 * package: a relative link names a file or folder inside the tarball, an anchor names a heading of
 * the page it points at, and a link into this repository on GitHub names a file the repository
 * tracks. The tarball's file list is npm's own (`npm pack --dry-run`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { anchors, links, type Link } from './markdown';
import { packedFiles, repoRoot } from './tarball';

const REPOSITORY = /^https:\/\/(?:github\.com\/weakwire\/weakwire\/(?:blob|tree)|raw\.githubusercontent\.com\/weakwire\/weakwire)\/[^/]+\/([^#?]+)/;

const shipped = packedFiles();
const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n'));
const pages = shipped.filter((file) => file.endsWith('.md'));

/** Whether `relative` (a file or a folder) is in the file list. */
function inList(list: Iterable<string>, relative: string): boolean {
  const wanted = relative.replace(/\/$/, '');
  for (const file of list) if (file === wanted || file.startsWith(`${wanted}/`)) return true;
  return false;
}

function read(page: string): string {
  return fs.readFileSync(path.join(repoRoot, page), 'utf8');
}

/** What is wrong with the links of `page` (whose text is `text`), one line each. */
function brokenLinks(page: string, text: string, files: string[]): string[] {
  const problems: string[] = [];
  const where = (link: Link) => `${page}:${link.line} ${link.target}`;
  for (const link of links(text)) {
    const repository = REPOSITORY.exec(link.target);
    if (repository) {
      if (!inList(tracked, decodeURIComponent(repository[1]))) problems.push(`${where(link)}: not a file of the repository`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // other sites: not reachable from here
    const [file, anchor] = link.target.split('#');
    const target = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURIComponent(file)));
    if (target.startsWith('..') || !inList(files, target)) {
      problems.push(`${where(link)}: ${target} is not in the tarball`);
      continue;
    }
    if (anchor !== undefined && target.endsWith('.md') && !anchors(read(target)).has(anchor)) {
      problems.push(`${where(link)}: ${target} has no heading #${anchor}`);
    }
  }
  return problems;
}

test('the README and every page of docs/ ship', () => {
  const docs = fs.readdirSync(path.join(repoRoot, 'docs')).filter((file) => file.endsWith('.md'));
  expect(pages).toEqual(expect.arrayContaining(['README.md', ...docs.map((file) => `docs/${file}`)]));
});

test.each(pages)('every link in %s resolves in the tarball or the repository', (page) => {
  expect(brokenLinks(page, read(page), shipped)).toEqual([]);
});

test('a link to a file that does not ship, a missing heading or a missing repository file is reported', () => {
  const text = [
    '[bench](bench/NOTES.md) [example](examples/electron/) [stub](docs/protocol.md#no-such-heading)',
    '[gone](https://github.com/weakwire/weakwire/blob/main/no/such/file.md)',
    '```sh',
    '[not a link](inside/a/code/block.md)',
    '```',
    'and `[not a link](in/a/code/span.md)`',
  ].join('\n');
  expect(brokenLinks('README.md', text, shipped)).toEqual([
    'README.md:1 bench/NOTES.md: bench/NOTES.md is not in the tarball',
    'README.md:1 examples/electron/: examples/electron/ is not in the tarball',
    'README.md:1 docs/protocol.md#no-such-heading: docs/protocol.md has no heading #no-such-heading',
    'README.md:2 https://github.com/weakwire/weakwire/blob/main/no/such/file.md: not a file of the repository',
  ]);
});
