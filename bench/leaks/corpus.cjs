'use strict';
/**
 * The leak corpus of `npm run bench:leaks`: small programs with a known answer, each written the
 * way the bug (or its fix) shows up in real code. 13 leak and 7 clean.
 *
 * A scenario is `{ name, leaks, setup(), call(ctx, i), teardown(ctx) }`. `call` runs the code
 * path once and returns the object that path created and that should be gone afterwards (the
 * "subject"): object-level tools (jest-leak-detector, `track`) watch it, call-level tools
 * (`expectNoLeak`) just call `call` many times. The scenario with `worker` leaks in a worker
 * thread: in-process tools see only the main thread.
 */
const { EventEmitter } = require('node:events');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

/** A tiny observable, as RxJS-style stores have: observers in a Set. */
class Subject {
  constructor() {
    this.observers = new Set();
  }
  subscribe(fn) {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }
  next(value) {
    for (const fn of this.observers) fn(value);
  }
}

class Component {
  constructor(id) {
    this.id = id;
    this.state = { rows: new Array(8).fill(id) };
  }
}

class Client {
  constructor(id) {
    this.id = id;
    this.buffer = [id, id + 1, id + 2];
  }
  close() {
    this.closed = true;
  }
}

class Request {
  constructor(id) {
    this.id = id;
    this.headers = { 'x-id': String(id) };
  }
}

const scenarios = [
  // ------------------------------------------------------------------ leaks
  {
    name: 'listener never removed',
    leaks: true,
    setup: () => ({ bus: new EventEmitter().setMaxListeners(0) }),
    call(ctx, i) {
      const client = new Client(i);
      ctx.bus.on('tick', () => client.close());
      return client;
    },
    teardown: (ctx) => ctx.bus.removeAllListeners(),
  },
  {
    name: 'module-level Map cache',
    leaks: true,
    setup: () => ({ cache: new Map() }),
    call(ctx, i) {
      const request = new Request(i);
      ctx.cache.set(`req:${i}`, request);
      return request;
    },
    teardown: (ctx) => ctx.cache.clear(),
  },
  {
    name: 'setInterval never cleared',
    leaks: true,
    setup: () => ({ timers: [] }),
    call(ctx, i) {
      const client = new Client(i);
      const timer = setInterval(() => client.close(), 60_000);
      timer.unref();
      ctx.timers.push(timer);
      return client;
    },
    teardown: (ctx) => ctx.timers.forEach(clearInterval),
  },
  {
    name: 'promise that never settles',
    leaks: true,
    setup: () => ({ never: new Promise(() => {}) }),
    call(ctx, i) {
      const request = new Request(i);
      // Awaits a promise that never settles: the reaction, and the request it closes over, stay.
      (async () => {
        await ctx.never;
        request.done = true;
      })();
      return request;
    },
    teardown: () => {},
  },
  {
    name: 'subscription never unsubscribed',
    leaks: true,
    setup: () => ({ store: new Subject() }),
    call(ctx, i) {
      const component = new Component(i);
      ctx.store.subscribe((value) => (component.state.last = value));
      return component;
    },
    teardown: (ctx) => ctx.store.observers.clear(),
  },
  {
    name: 'WeakMap value kept by its key',
    leaks: true,
    // The key is the application: it lives, so its value (a list growing per call) does too.
    setup: () => ({ app: {}, perApp: new WeakMap() }),
    call(ctx, i) {
      const request = new Request(i);
      let list = ctx.perApp.get(ctx.app);
      if (list === undefined) ctx.perApp.set(ctx.app, (list = []));
      list.push(request);
      return request;
    },
    teardown: (ctx) => ctx.perApp.delete(ctx.app),
  },
  {
    name: 'leak only inside a worker',
    leaks: true,
    // The main thread hands each request to a worker, which keeps it. In the main thread the
    // subject is collected at once: only the worker's heap grows. Tools that can reach the
    // worker use `ctx.worker` (weakwire: leakTarget(ctx.worker), function "handle").
    worker: true,
    setup: () => ({
      worker: new Worker(path.join(__dirname, 'worker_scenario.cjs'), {
        workerData: { testing: require.resolve('weakwire/testing') },
      }),
    }),
    call(ctx, i) {
      ctx.worker.postMessage(i);
      return new Request(i);
    },
    teardown: (ctx) => ctx.worker.terminate(),
  },
  {
    name: 'retained off-heap Buffers',
    leaks: true,
    setup: () => ({ chunks: [] }),
    call(ctx) {
      const chunk = Buffer.alloc(1024);
      ctx.chunks.push(chunk);
      return chunk;
    },
    teardown: (ctx) => (ctx.chunks.length = 0),
  },
  {
    name: 'about 1 KB per call',
    leaks: true,
    setup: () => ({ log: [] }),
    call(ctx, i) {
      const entry = { i, text: `entry ${i} `.padEnd(480, '.'), at: Date.now() };
      ctx.log.push(entry);
      return entry;
    },
    teardown: (ctx) => (ctx.log.length = 0),
  },
  {
    name: "process.on('exit') per client",
    leaks: true,
    setup: () => {
      const before = process.getMaxListeners();
      process.setMaxListeners(0);
      return { before, listeners: [] };
    },
    call(ctx, i) {
      const client = new Client(i);
      const onExit = () => client.close();
      process.on('exit', onExit);
      ctx.listeners.push(onExit);
      return client;
    },
    teardown(ctx) {
      for (const listener of ctx.listeners) process.off('exit', listener);
      process.setMaxListeners(ctx.before);
    },
  },
  {
    name: 'leak only on the error path',
    leaks: true,
    setup: () => ({ inFlight: new Set() }),
    call(ctx, i) {
      const request = new Request(i);
      ctx.inFlight.add(request);
      try {
        if (i >= 0) throw new Error('upstream refused');
        ctx.inFlight.delete(request); // only reached on success
      } catch {
        // the error is handled, the bookkeeping is not
      }
      return request;
    },
    teardown: (ctx) => ctx.inFlight.clear(),
  },
  {
    name: 'FinalizationRegistry held value points to its target',
    leaks: true,
    setup: () => ({ registry: new FinalizationRegistry(() => {}) }),
    call(ctx, i) {
      const client = new Client(i);
      ctx.registry.register(client, { client }); // held values are strong: the client never dies
      return client;
    },
    teardown: () => {},
  },
  {
    name: 'Map.set(i, i): 16-24 B per call',
    leaks: true,
    small: true,
    setup: () => ({ seen: new Map() }),
    call(ctx, i) {
      ctx.seen.set(i, i);
      return {}; // nothing per call to track: only the map grows
    },
    teardown: (ctx) => ctx.seen.clear(),
  },
  // ------------------------------------------------------------------ clean
  {
    name: 'capped LRU',
    leaks: false,
    setup: () => ({ lru: new Map(), cap: 50 }),
    call(ctx, i) {
      const request = new Request(i % 500);
      ctx.lru.delete(request.id);
      ctx.lru.set(request.id, request);
      if (ctx.lru.size > ctx.cap) ctx.lru.delete(ctx.lru.keys().next().value);
      return new Request(-i); // not cached
    },
    teardown: (ctx) => ctx.lru.clear(),
  },
  {
    name: 'freed after a microtask and setImmediate',
    leaks: false,
    setup: () => ({ pending: new Set() }),
    call(ctx, i) {
      const request = new Request(i);
      ctx.pending.add(request);
      queueMicrotask(() => setImmediate(() => ctx.pending.delete(request)));
      return request;
    },
    teardown: (ctx) => ctx.pending.clear(),
  },
  {
    name: 'lazy singleton',
    leaks: false,
    setup: () => ({ instance: undefined }),
    call(ctx, i) {
      ctx.instance ??= { table: new Array(10_000).fill('x') };
      return new Request(i + ctx.instance.table.length);
    },
    teardown: () => {},
  },
  {
    name: 'big allocations that are freed',
    leaks: false,
    setup: () => ({}),
    call(_ctx, i) {
      const big = { bytes: Buffer.alloc(64 * 1024), list: new Array(2000).fill(i) };
      return big;
    },
    teardown: () => {},
  },
  {
    name: 'WeakMap memo',
    leaks: false,
    setup: () => ({ memo: new WeakMap() }),
    call(ctx, i) {
      const request = new Request(i);
      ctx.memo.set(request, { parsed: request.headers['x-id'] });
      return request;
    },
    teardown: () => {},
  },
  {
    name: 'listener that is removed',
    leaks: false,
    setup: () => ({ bus: new EventEmitter() }),
    call(ctx, i) {
      const client = new Client(i);
      const onTick = () => client.close();
      ctx.bus.on('tick', onTick);
      ctx.bus.emit('tick');
      ctx.bus.off('tick', onTick);
      return client;
    },
    teardown: (ctx) => ctx.bus.removeAllListeners(),
  },
  {
    name: '50 ms debounce timer',
    leaks: false,
    setup: () => ({ timer: undefined, saved: 0 }),
    call(ctx, i) {
      const draft = new Request(i);
      clearTimeout(ctx.timer);
      ctx.timer = setTimeout(() => ctx.saved++, 50);
      ctx.timer.unref();
      return draft;
    },
    teardown: (ctx) => clearTimeout(ctx.timer),
  },
];

module.exports = { scenarios };
