'use strict';
/**
 * A page and its remote objects from one small server, no framework: `node:http` serves the
 * page (`/`) and its bundled script (`/page.js`), and a `ws` WebSocketServer on the same port
 * (`/remote`) hands every connection to a RemoteServer, one session each. Used by
 * `npm run demo:browser` and the Chromium tests.
 */
const http = require('node:http');
const { once } = require('node:events');
const { WebSocketServer } = require('ws');

/**
 * Starts serving on `host`:`port` (default 127.0.0.1, a free port). `remote` is the RemoteServer
 * and `transports` the package's transports (from weakwire/remote, passed in so that this script
 * runs against the build the caller chose). Only pages of this server's own origin may connect.
 */
async function servePage({ html, script, remote, transports, host = '127.0.0.1', port = 0, maxFrameBytes = 1024 * 1024 }) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(html);
    } else if (url.pathname === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      response.end(script);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
    }
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  const origin = `http://${host}:${address.port}`;
  // A page of any site may open a WebSocket to a server it knows: only our own page is served.
  const wss = new WebSocketServer({
    server,
    path: '/remote',
    maxPayload: maxFrameBytes,
    verifyClient: ({ origin: from }) => from === origin,
  });
  const sessions = [];
  const stop = transports.webSocketAccept(
    wss,
    (transport) => {
      const session = remote.serve(transport);
      sessions.push(session);
      session.on('close', () => sessions.splice(sessions.indexOf(session), 1));
    },
    { maxFrameBytes },
  );
  return {
    url: `${origin}/`,
    sessions,
    async close() {
      stop();
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The page: a title and the bundled script. */
function pageHtml(title, body = '') {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>${body}<script src="/page.js"></script></body>
</html>
`;
}

module.exports = { servePage, pageHtml };
