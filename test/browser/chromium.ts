/**
 * Debian's Chromium, driven by playwright-core (never a downloaded browser): headless, with
 * `gc()` exposed in pages (`--js-flags=--expose-gc`). Without Chromium the browser tests are
 * skipped with a reason, except under CI, where `.ci/run` installs it and its absence fails.
 */
import { chromium, type Browser } from 'playwright-core';

const { chromiumPath } = require('../../scripts/browser/chromium.js') as { chromiumPath(): string | undefined };

export const executablePath = chromiumPath();

/** `test`, or a skipped test saying why when there is no Chromium here (never under CI). */
export const browserTest: jest.It =
  executablePath === undefined && !process.env.CI
    ? (test.skip as unknown as jest.It)
    : test;

export const skipReason =
  executablePath === undefined ? ' (skipped: no Chromium; run `node scripts/browser/chromium.js`)' : '';

export async function launch(): Promise<Browser> {
  if (executablePath === undefined) throw new Error('Chromium is not installed: run `node scripts/browser/chromium.js`');
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--js-flags=--expose-gc'],
  });
}
