// weakwire/remote in a real Chromium page: the client bundle (esbuild, platform browser, so the
// portable backend) connects over a WebSocket to a Node.js RemoteServer on 127.0.0.1, runs the
// seed's scenario with callbacks both ways, errors and promises, then drops its proxies and
// collects; the server's registry must return to its baseline through a handful of FREEs.
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { RemoteServer, transports } from '../../src/ts/remote';
import { gcUntil } from '../../src/ts/testing';
import { browserTest, launch, skipReason } from './chromium';
import { scenarioModules } from './scenario_server';

const { bundleForBrowser } = require('../../scripts/browser/bundle.js') as {
  bundleForBrowser(entry: string): Promise<{ code: string; inputs: string[] }>;
};
const { servePage, pageHtml } = require('../../scripts/browser/serve.js') as {
  servePage(options: object): Promise<{ url: string; sessions: any[]; close(): Promise<void> }>;
  pageHtml(title: string): string;
};

let browser: Browser | undefined;
let page: Page;
let served: Awaited<ReturnType<typeof servePage>> | undefined;
let remote: RemoteServer;
let pageErrors: string[];

beforeAll(async () => {
  if (skipReason) return;
  const bundle = await bundleForBrowser(path.join(__dirname, '..', 'fixtures', 'browser', 'scenario_page.mjs'));
  remote = new RemoteServer({ modules: scenarioModules() });
  served = await servePage({ html: pageHtml('weakwire in Chromium'), script: bundle.code, remote, transports });
  browser = await launch();
  page = await browser.newPage();
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
  remote?.close();
});

describe(`weakwire/remote in Chromium${skipReason}`, () => {
  browserTest('the page runs the portable backend and opens one session', async () => {
    expect(await page.evaluate(() => (globalThis as any).weakwireTest.open())).toBe('portable');
    expect(served!.sessions).toHaveLength(1);
    expect(remote.stats().objects).toBe(0);
  });

  browserTest('10,000 requires of os, callbacks both ways, errors and promises', async () => {
    const result = await page.evaluate(() => (globalThis as any).weakwireTest.scenario());
    expect(result).toEqual({
      platform: process.platform,
      called: 42,
      added: 15,
      failure: { isError: true, name: 'RangeError', message: 'no such thing', code: 'E_TOOLS' },
      delayed: 'settled',
      awaited: 'got from the page',
      rejected: 'rejected later',
      bytes: [250, 3, 2, 1],
      stats: expect.objectContaining({ proxies: expect.any(Number) }),
    });
    // Proxies in the page and the server's registry entries behind them are alive until the page collects.
    expect(result.stats.proxies).toBeGreaterThan(0);
    expect(remote.stats().objects).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });

  browserTest('dropped and collected in the page: the registry returns to its baseline with a handful of FREEs', async () => {
    const session = served!.sessions[0];
    const before = session.freeMessagesReceived;
    const after = await page.evaluate(() => (globalThis as any).weakwireTest.collect());
    expect(after).toEqual(expect.objectContaining({ proxies: 0, pendingFrees: 0 }));
    // The FREEs are on the wire: no collection is needed on this side.
    for (let i = 0; i < 250 && remote.stats().objects > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(remote.stats()).toEqual({ sessions: 1, objects: 0, references: 0 });
    const frees = session.freeMessagesReceived - before;
    expect(frees).toBeGreaterThan(0);
    expect(frees).toBeLessThanOrEqual(10);
  });

  browserTest("the page's exports (the callback it sent) are freed when the server collects", async () => {
    await gcUntil(async () => (await page.evaluate(() => (globalThis as any).weakwireTest.stats())).exportedObjects === 0);
    expect(pageErrors).toEqual([]);
  });
});
