// `npm run demo:browser` in a real Chromium: the buttons work, the chart follows the registry, and
// the screenshot in the README is this test's (`npm run docs:browser-screenshot` rewrites it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserTest, launch, skipReason } from './chromium';

const { startDemo } = require('../../scripts/browser/demo.js') as {
  startDemo(options?: object): Promise<{ url: string; close(): Promise<void> }>;
};

const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'images', 'browser-demo.png');

let browser: Browser | undefined;
let page: Page;
let demo: Awaited<ReturnType<typeof startDemo>> | undefined;

beforeAll(async () => {
  if (skipReason) return;
  demo = await startDemo();
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 940, height: 620 } });
  await page.goto(demo.url);
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** The chart's latest sample, as the page writes it on <body>. */
async function shown(): Promise<{ registry: number; proxies: number; frees: number }> {
  const data = await page.evaluate(() => ({ ...(globalThis as any).document.body.dataset }) as Record<string, string>);
  return { registry: Number(data.registry), proxies: Number(data.proxies), frees: Number(data.frees) };
}

async function until(check: (s: Awaited<ReturnType<typeof shown>>) => boolean, what: string) {
  for (let i = 0; i < 300; i++) {
    if (check(await shown())) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await shown())}`);
}

describe(`npm run demo:browser in Chromium${skipReason}`, () => {
  browserTest('"create 10,000 proxies", then "drop and collect": the chart shows the registry fill and empty', async () => {
    await page.locator('#status', { hasText: 'connected' }).waitFor();
    // The page holds its two modules for its whole life: that is the registry's baseline.
    await until((s) => s.registry === 2 && s.proxies === 2, 'the first sample');
    const before = (await shown()).frees;
    await page.click('#create');
    await until((s) => s.registry === 10_002 && s.proxies === 10_002, '10,000 proxies');
    // A few samples at 10,000, so the chart shows a plateau.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await page.click('#drop');
    await until((s) => s.registry === 2 && s.proxies === 2 && s.frees > before, 'the registry back to its baseline');
    const frees = (await shown()).frees - before;
    // Batched: the page's collector reports deaths in chunks, each turn's FREEs go in one message.
    expect(frees).toBeLessThan(100);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const file = process.env.UPDATE_SCREENSHOT ? SCREENSHOT : path.join(os.tmpdir(), `weakwire-demo-${process.pid}.png`);
    await page.screenshot({ path: file });
    const png = fs.readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    if (!process.env.UPDATE_SCREENSHOT) fs.rmSync(file);
  });
});
