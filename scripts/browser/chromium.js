#!/usr/bin/env node
'use strict';
/**
 * The Chromium the browser tests drive: Debian's `chromium` package, never a downloaded browser.
 *
 *   node scripts/browser/chromium.js     installs it with apt-get when missing (as root); does
 *                                        nothing when it is there
 *
 * .ci/run calls this before `npm test`. `CHROMIUM=/path/to/chromium` uses another binary.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary to drive, or undefined when none is installed. */
function chromiumPath() {
  const chosen = process.env.CHROMIUM;
  if (chosen) return fs.existsSync(chosen) ? chosen : undefined;
  return CANDIDATES.find((candidate) => fs.existsSync(candidate));
}

function run(command, args) {
  console.log(`chromium: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

function install() {
  const found = chromiumPath();
  if (found) {
    console.log(`chromium: ${found} is installed`);
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('chromium: not installed, and installing it with apt-get needs root');
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', 'chromium']);
  if (!chromiumPath()) throw new Error('chromium: apt-get installed the package but no binary was found');
}

module.exports = { chromiumPath };

if (require.main === module) {
  try {
    install();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
