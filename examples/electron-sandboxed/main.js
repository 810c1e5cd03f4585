// Main process: serves weakwire/remote (native backend) to sandboxed renderers over ipcMain.
'use strict';
const path = require('node:path');
const os = require('node:os');
const { app, BrowserWindow, ipcMain } = require('electron');
const { RemoteServer, transports } = require('weakwire/remote');

// Lets the preload force a garbage collection (globalThis.gc), so the demo can show FREEs.
app.commandLine.appendSwitch('js-flags', '--expose-gc');

class Counter {
  constructor() {
    this.value = 0;
  }
  increment() {
    return ++this.value;
  }
  apply(fn, x) {
    return fn(x);
  }
}

// Default-deny: the renderer can reach these and nothing else.
const server = new RemoteServer({ modules: { os: () => os, counter: () => new Counter() } });
transports.electronAccept(ipcMain, (transport) => server.serve(transport));

function createWindow() {
  const win = new BrowserWindow({
    width: 720,
    height: 520,
    webPreferences: {
      // Built by `npm run build` (build.mjs): weakwire's portable backend, no addon.
      preload: path.join(__dirname, 'preload.bundle.js'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  win.loadFile(path.join(__dirname, 'index.html'));
}

app.whenReady().then(createWindow);
app.on('window-all-closed', () => app.quit());
