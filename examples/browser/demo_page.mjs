// The page of `npm run demo:browser`: remote objects from a Node.js server over a WebSocket, and
// a live chart of what the distributed garbage collector does with them.
import { connect, transports } from 'weakwire/remote';

const SAMPLES = 100;
const history = { registry: [], proxies: [], frees: [] };
const COLORS = { registry: '#d9480f', proxies: '#1971c2', frees: '#2f9e44' };
const LABELS = { registry: "server's registry", proxies: "page's live proxies", frees: 'FREE messages received' };

const status = document.getElementById('status');
const canvas = document.getElementById('chart');
const context = canvas.getContext('2d');
const createButton = document.getElementById('create');
const dropButton = document.getElementById('drop');

const socket = new WebSocket(`ws://${location.host}/remote`);
const remote = connect(transports.webSocket(socket), { sync: false });
remote.on('close', () => (status.textContent = 'disconnected'));
// The two modules stay for the page's life: the registry's baseline is these 2 entries.
const modules = remote.ready.then(async () => ({
  things: await remote.require('things'),
  stats: await remote.require('stats'),
}));
let kept = [];
let busy = false;
let latest = { registry: 0, proxies: 0, frees: 0 };

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

async function create() {
  const { things } = await modules;
  // One call, 10,000 objects by reference: 10,000 proxies here, 10,000 registry entries there.
  kept = kept.concat(await things.make(10_000));
}

async function dropAndCollect() {
  kept = [];
  if (typeof globalThis.gc !== 'function') {
    status.textContent = 'dropped: the browser collects when it chooses (start it with --js-flags=--expose-gc to collect now)';
    return;
  }
  // gc() on tasks of their own: reading the stats keeps every proxy alive until its task ends.
  for (let round = 0; round < 20; round++) {
    await turn();
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function busyWhile(action) {
  return async () => {
    if (busy) return;
    busy = true;
    createButton.disabled = dropButton.disabled = true;
    try {
      await action();
    } catch (error) {
      status.textContent = `failed: ${error.message}`;
    } finally {
      busy = false;
      createButton.disabled = dropButton.disabled = false;
    }
  };
}

createButton.addEventListener('click', busyWhile(create));
dropButton.addEventListener('click', busyWhile(dropAndCollect));

async function sample() {
  const { stats } = await modules;
  const server = await stats.read();
  latest = { registry: server.registry, proxies: remote.stats().proxies, frees: server.frees };
  for (const key of Object.keys(history)) {
    history[key].push(latest[key]);
    if (history[key].length > SAMPLES) history[key].shift();
  }
  document.body.dataset.registry = String(latest.registry);
  document.body.dataset.proxies = String(latest.proxies);
  document.body.dataset.frees = String(latest.frees);
  draw();
}

function draw() {
  const { width, height } = canvas;
  const pad = { left: 64, right: 56, top: 16, bottom: 32 };
  context.clearRect(0, 0, width, height);
  // Objects on the left axis, FREE messages (far fewer) on the right one.
  const niceTop = (max, step) => Math.max(step, Math.ceil((max * 1.1) / step) * step);
  const objectsTop = niceTop(Math.max(...history.registry, ...history.proxies), 2000);
  const freesTop = niceTop(Math.max(...history.frees), 10);
  const y = (value, top) => pad.top + (height - pad.top - pad.bottom) * (1 - value / top);
  const x = (i) => pad.left + ((width - pad.left - pad.right) * i) / (SAMPLES - 1);
  context.font = '12px sans-serif';
  context.lineWidth = 1;
  context.strokeStyle = '#dee2e6';
  for (let step = 0; step <= 4; step++) {
    const at = y((objectsTop * step) / 4, objectsTop);
    context.beginPath();
    context.moveTo(pad.left, at);
    context.lineTo(width - pad.right, at);
    context.stroke();
    context.fillStyle = '#495057';
    context.fillText(((objectsTop * step) / 4).toLocaleString('en-US'), 4, at + 4);
    context.fillStyle = COLORS.frees;
    context.fillText(((freesTop * step) / 4).toLocaleString('en-US'), width - pad.right + 8, at + 4);
  }
  const line = (values, top, color, lineWidth, dash) => {
    context.strokeStyle = color;
    context.lineWidth = lineWidth;
    context.setLineDash(dash);
    context.beginPath();
    values.forEach((value, i) => (i === 0 ? context.moveTo(x(i), y(value, top)) : context.lineTo(x(i), y(value, top))));
    context.stroke();
    context.setLineDash([]);
  };
  // The registry and the proxies move together: the registry wide underneath, the proxies dashed on top.
  line(history.registry, objectsTop, COLORS.registry, 6, []);
  line(history.proxies, objectsTop, COLORS.proxies, 2, [6, 4]);
  line(history.frees, freesTop, COLORS.frees, 2, []);
  let legend = pad.left;
  for (const key of Object.keys(history)) {
    context.fillStyle = COLORS[key];
    const axis = key === 'frees' ? ' (right axis)' : '';
    const text = `${LABELS[key]}${axis}: ${latest[key].toLocaleString('en-US')}`;
    context.fillText(text, legend, height - 10);
    legend += context.measureText(text).width + 24;
  }
}

remote.ready.then(
  async () => {
    status.textContent = 'connected';
    for (;;) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  },
  (error) => (status.textContent = `could not connect: ${error.message}`),
);
