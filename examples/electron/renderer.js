// The page: sees only window.demo (plain data), never Node, IPC or proxies.
'use strict';
const out = document.getElementById('out');

async function show(label, value) {
  const server = await window.demo.serverStats();
  out.textContent =
    `${label}: ${JSON.stringify(value, null, 2)}\n\n` +
    `renderer (client) stats: ${JSON.stringify(window.demo.clientStats(), null, 2)}\n` +
    `main (server) registry:  ${JSON.stringify(server, null, 2)}`;
}

document.getElementById('hello').textContent =
  `${window.demo.appName()} on ${window.demo.platform()} (answered synchronously by main)`;
document.getElementById('increment').onclick = () => show('counter', window.demo.increment());
document.getElementById('many').onclick = () => show('10,000 requires', window.demo.requireMany(10000));
document.getElementById('collect').onclick = async () => show('after GC', await window.demo.collect());
show('start', {});
