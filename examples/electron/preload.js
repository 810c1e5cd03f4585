// Preload (isolated world, Node available because sandbox is off): connects to main in sync mode
// through ipcRenderer.sendSync, keeps every proxy here, and hands the page plain data only.
// Proxies cannot cross contextBridge: it would copy them member by member through IPC.
'use strict';
const { contextBridge, ipcRenderer } = require('electron');
const { connect, transports } = require('weakwire/remote');

const remote = connect(transports.electronRenderer(ipcRenderer), { sync: true });
const counter = remote.require('counter');

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

contextBridge.exposeInMainWorld('demo', {
  platform: () => remote.require('os').platform(),
  appName: () => remote.getGlobal('appName'),
  increment: () => counter.increment(),
  // Each call returns a reference to the same module: one proxy, 10,000 receipts to FREE later.
  requireMany(n) {
    let same = true;
    const first = remote.require('os');
    for (let i = 1; i < n; i++) if (remote.require('os') !== first) same = false;
    return { same, ...remote.stats() };
  },
  // Drops what it can, collects, and lets the batched FREE messages leave.
  async collect() {
    for (let i = 0; i < 10; i++) {
      if (typeof globalThis.gc === 'function') globalThis.gc();
      await turn();
    }
    return remote.stats();
  },
  clientStats: () => remote.stats(),
  serverStats: () => ipcRenderer.invoke('demo:server-stats'),
});
