#!/usr/bin/env node
'use strict';
/**
 * npm run demo:browser [-- --port N]: a page that uses remote objects from this Node.js process
 * over a WebSocket and charts the server's registry, the page's live proxies and the FREE
 * messages, as you create 10,000 proxies and drop and collect them.
 */
const path = require('node:path');
const { existsSync } = require('node:fs');
const { bundleForBrowser, root } = require('./bundle');
const { servePage, pageHtml } = require('./serve');

const BODY = `
<style>
  body { font-family: system-ui, sans-serif; margin: 24px; color: #212529; }
  button { font-size: 15px; padding: 6px 14px; margin-right: 8px; }
  canvas { display: block; margin-top: 16px; border: 1px solid #dee2e6; }
  #status { color: #868e96; margin-left: 8px; }
</style>
<h1>weakwire/remote in the browser</h1>
<p>The objects live in Node.js; the page holds proxies. Drop them and collect: the page's garbage
collector tells the server, which frees its registry entries, in a few FREE messages. (The chart polls the server five
times a second; FREE messages also release those calls' answers, so their line climbs slowly at rest.)</p>
<button id="create">create 10,000 proxies</button><button id="drop">drop and collect</button><span id="status">connecting…</span>
<canvas id="chart" width="880" height="360"></canvas>
`;

/** Instances of a class go by reference (plain objects would be copied). */
class Thing {
  constructor(index) {
    this.index = index;
  }
  describe() {
    return `thing #${this.index}`;
  }
}

/** Starts the demo server; `remote` is weakwire/remote (this repository's build by default). */
async function startDemo({ port = 0, host = '127.0.0.1', remote = require(path.join(root, 'dist', 'remote')) } = {}) {
  const server = new remote.RemoteServer({
    modules: {
      things: () => ({ make: (n) => Array.from({ length: Math.min(n, 100_000) }, (_, i) => new Thing(i)) }),
      stats: () => ({
        read: () => ({
          registry: server.stats().objects,
          frees: served.sessions.reduce((sum, session) => sum + session.freeMessagesReceived, 0),
        }),
      }),
    },
  });
  const { code } = await bundleForBrowser(path.join(root, 'examples', 'browser', 'demo_page.mjs'));
  const served = await servePage({
    html: pageHtml('weakwire/remote in the browser', BODY),
    script: code,
    remote: server,
    transports: remote.transports,
    host,
    port,
  });
  return {
    url: served.url,
    server,
    async close() {
      await served.close();
      server.close();
    },
  };
}

module.exports = { startDemo };

if (require.main === module) {
  if (!existsSync(path.join(root, 'dist', 'remote', 'index.js'))) {
    console.error('dist/ is missing: run `npm run build:ts` first.');
    process.exit(1);
  }
  const at = process.argv.indexOf('--port');
  const port = at > 0 ? Number(process.argv[at + 1]) : 8080;
  startDemo({ port }).then(
    (demo) => {
      console.log(`weakwire browser demo: open ${demo.url}`);
      console.log('(collection on demand needs a browser started with --js-flags=--expose-gc; Ctrl-C to stop)');
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
