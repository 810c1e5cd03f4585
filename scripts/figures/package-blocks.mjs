// The README's platform table and tarball figures, from scripts/figures/prebuilds.json and
// tarball.json (npm run docs:measure) and scripts/runtimes/results.json (npm run test:runtimes).
import { readResults } from './results.mjs';

/** GCC release whose libstdc++ first has a GLIBCXX symbol version. */
const GCC_OF_GLIBCXX = { '3.4.21': 5, '3.4.22': 6, '3.4.25': 8, '3.4.26': 9, '3.4.28': 10, '3.4.29': 11, '3.4.30': 12 };

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const MB = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

function platformName(prebuild) {
  const os = { linux: 'Linux', win32: 'Windows', darwin: 'macOS' }[prebuild.platform];
  return `${os} ${prebuild.arch}${prebuild.libc ? ` ${prebuild.libc}` : ''}`;
}

/** "Node 20, 24 under qemu: pass", from the runtimes that loaded this prebuild. */
function runHere(prebuild, runtimes) {
  const rows = runtimes.filter((row) => row.notes.includes(`binary: ${prebuild.file}`));
  if (rows.length === 0) return '**built, not run**';
  const names = rows.map((row) => row.runtime.replace(/^Node\.js (\d+).*$/, 'Node $1'));
  const how = /\((qemu|Wine)\)/.exec(rows[0].runtime)?.[1];
  const failing = rows.filter((row) => row.result !== 'pass').map((row) => row.runtime);
  const verdict = failing.length === 0 ? 'pass' : `**FAIL** on ${failing.join(', ')}`;
  return `portable suite on ${names.join(', ')}${how ? ` under ${how}` : ''}: ${verdict}`;
}

function needs(prebuild) {
  if (prebuild.format === 'ELF' && prebuild.libc === 'glibc') {
    const gcc = GCC_OF_GLIBCXX[prebuild.glibcxx];
    return `glibc ≥ ${prebuild.glibc}; libstdc++ ${gcc ? `of GCC ${gcc} or later ` : ''}(GLIBCXX_${prebuild.glibcxx})`;
  }
  if (prebuild.format === 'ELF') return `musl (Alpine); links ${prebuild.needs.join(', ')} only, C++ runtime inside`;
  if (prebuild.format === 'PE') {
    const dlls = prebuild.needs.filter((name) => !/NODE\.EXE/.test(name));
    return `Windows 10 or later (as Node.js); ${dlls.join(', ')} only; Node-API from the host .exe`;
  }
  return `macOS ≥ ${prebuild.minimumOS}; ${prebuild.needs.map((name) => name.replace(/^.*\//, '')).join(', ')} only, C++ runtime inside`;
}

export const packageBlocks = {
  platforms: () => {
    const { prebuilds } = readResults('prebuilds');
    const { runtimes } = readResults('runtimes');
    const lines = [
      '| platform | file in `prebuilds/` | built with | run here | needs on the user\'s machine |',
      '| --- | --- | --- | --- | --- |',
    ];
    for (const prebuild of prebuilds) {
      const file = prebuild.file.replace(/^prebuilds\//, '');
      lines.push(`| ${platformName(prebuild)} | \`${file}\` | ${prebuild.compiler} | ${runHere(prebuild, runtimes)} | ${needs(prebuild)} |`);
    }
    return lines.join('\n');
  },
  tarball: () => {
    const tarball = readResults('tarball');
    const binaries = tarball.files.filter((file) => file.path.startsWith('prebuilds/'));
    const binaryBytes = binaries.reduce((sum, file) => sum + file.size, 0);
    return (
      `\`npm pack\` with every prebuild above makes a **${kB(tarball.size)}** tarball (${MB(tarball.unpackedSize)} ` +
      `unpacked, ${tarball.entryCount} files), of which the ${binaries.length} prebuilt binaries are ` +
      `${MB(binaryBytes)} unpacked.`
    );
  },
};
