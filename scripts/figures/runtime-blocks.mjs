// The README's runtimes table, from scripts/runtimes/results.json (npm run test:runtimes).
import { readResults } from './results.mjs';

const cell = (text) => String(text).replace(/\|/g, '\\|');

export const runtimeBlocks = {
  runtimes: () => {
    const { host, probes, runtimes } = readResults('runtimes');
    const checks = runtimes.map((row) => row.notes.find((note) => /checks × main thread/.test(note)))[0] ?? '';
    const perThread = Number(/^(\d+) checks/.exec(checks)?.[1]);
    const threads = 1 + Number(/\+ (\d+) workers/.exec(checks)?.[1]);
    const passed = runtimes.filter((row) => row.result === 'pass').length;
    const lines = [
      `Measured on a ${host} host: ${passed} of ${runtimes.length} runtimes pass. Each runs ${perThread} checks × ` +
        `${threads} threads + ${probes.length} probes = ${perThread * threads + probes.length}, plus the checks ` +
        'its notes name after "also". "binary" is the prebuild node-gyp-build picked (`PREBUILDS_ONLY=1`).',
      '',
      '| runtime | version | result | checks | notes |',
      '| --- | --- | --- | ---: | --- |',
    ];
    for (const row of runtimes) {
      const notes = row.notes.filter((note) => !/checks × main thread/.test(note));
      lines.push(`| ${cell(row.runtime)} | ${cell(row.version)} | ${row.result} | ${row.passed}/${row.passed + row.failed} | ${cell(notes.join('; '))} |`);
    }
    return lines.join('\n');
  },
};
