// Main process: serves weakwire/remote to every renderer that connects over ipcMain.
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
}

// Default-deny: the renderer can reach these and nothing else.
const server = new RemoteServer({
  modules: { os: () => os, counter: () => new Counter() },
  globals: { appName: 'weakwire electron example' },
});

// One session per renderer page; a reloaded page gets a new one and the old one is released.
transports.electronAccept(ipcMain, (transport) => server.serve(transport));

// The server's registry, for the page to display (plain IPC, no weakwire involved).
ipcMain.handle('demo:server-stats', () => server.stats());

function createWindow() {
  const win = new BrowserWindow({
    width: 720,
    height: 520,
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true, // the page never sees Node or the proxies, only the API below
      nodeIntegration: false,
      // The preload loads weakwire, a native addon: sandboxed preloads cannot require it.
      sandbox: false,
    },
  });
  win.loadFile(path.join(__dirname, 'index.html'));
}

app.whenReady().then(() => {
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
