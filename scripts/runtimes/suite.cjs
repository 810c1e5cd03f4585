'use strict';
/**
 * The portable suite: plain JavaScript, no test runner, so that Node, Bun and Deno run the very
 * same checks. Every public API of weakwire with real garbage collection. `runSuite` returns one
 * result per check; nothing here decides how GC is forced (see gc.cjs).
 */

/** A check that failed. */
class CheckError extends Error {}

function assert(condition, message) {
  if (!condition) throw new CheckError(message);
}

function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  assert(a === e, `${what}: expected ${e}, got ${a}`);
}

function throwsTypeError(fn, mentions, what) {
  try {
    fn();
  } catch (error) {
    assert(error instanceof TypeError, `${what}: threw ${error && error.name}, not TypeError`);
    assert(
      String(error.message).includes(mentions),
      `${what}: message "${error.message}" does not name ${mentions}`,
    );
    return;
  }
  throw new CheckError(`${what}: did not throw`);
}

/**
 * GC and event-loop turns until `condition()` holds, at most `attempts` rounds (never a fixed
 * count of ticks: a round ends as soon as the condition holds).
 */
async function gcUntil(gc, condition, attempts = 100) {
  for (let round = 0; round < attempts; round++) {
    if (condition()) return;
    gc();
    await new Promise((resolve) => setTimeout(resolve, round < 10 ? 0 : 10));
  }
  assert(condition(), `condition still false after ${attempts} GC rounds`);
}

/** GC for a while, for checks that something did NOT happen. */
async function gcSettle(gc, rounds = 5) {
  for (let round = 0; round < rounds; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function idle(weakwire) {
  const s = weakwire.stats();
  return s.trackedObjects === 0 && s.pendingCallbacks === 0 && s.mapEntries === 0;
}

/** The checks. Each gets { weakwire, gc, esm } and throws on failure. */
const checks = [
  [
    'setDestructor: callback(held) runs once after the target is collected',
    async ({ weakwire, gc }) => {
      const calls = [];
      (() => {
        weakwire.setDestructor({ big: new Array(1000).fill(1) }, (held) => calls.push(held), 'held');
      })();
      assert(weakwire.stats().trackedObjects >= 1, 'stats().trackedObjects counts the target');
      await gcUntil(gc, () => calls.length > 0);
      await gcSettle(gc);
      equal(calls, ['held'], 'destructor calls');
    },
  ],
  [
    'setDestructor: the callback runs on the event loop, not inside GC',
    async ({ weakwire, gc }) => {
      let inside = false;
      let sawInside = null;
      (() => {
        weakwire.setDestructor({}, () => {
          sawInside = inside;
        });
      })();
      await gcUntil(gc, () => {
        inside = true;
        gc();
        inside = false;
        return sawInside !== null;
      });
      equal(sawInside, false, 'callback ran during gc()');
    },
  ],
  [
    'setDestructor: cancel() stops the callback and returns true once, then false',
    async ({ weakwire, gc }) => {
      let fired = 0;
      const cancel = (() => weakwire.setDestructor({}, () => fired++))();
      equal(cancel(), true, 'first cancel()');
      equal(cancel(), false, 'second cancel()');
      let control = 0;
      (() => weakwire.setDestructor({}, () => control++))();
      await gcUntil(gc, () => control > 0);
      await gcSettle(gc);
      equal(fired, 0, 'cancelled destructor calls');
    },
  ],
  [
    'setDestructor: a target still referenced is never finalized',
    async ({ weakwire, gc }) => {
      const kept = {};
      let fired = 0;
      const cancel = weakwire.setDestructor(kept, () => fired++);
      await gcSettle(gc);
      equal(fired, 0, 'calls while the target is alive');
      equal(cancel(), true, 'cancel() of a live target');
      assert(kept !== null, 'target kept');
    },
  ],
  [
    'setDestructor: bad input is a TypeError naming the argument',
    async ({ weakwire }) => {
      throwsTypeError(() => weakwire.setDestructor(42, () => undefined), 'target', 'number target');
      throwsTypeError(() => weakwire.setDestructor({}, 'nope'), 'callback', 'string callback');
    },
  ],
  [
    'IDWeakMap: set/get/has/delete/remove/clear/size and iteration over live entries',
    async ({ weakwire }) => {
      const map = new weakwire.IDWeakMap();
      const a = { name: 'a' };
      const b = { name: 'b' };
      const c = { name: 'c' };
      assert(map.set(1, a) === map, 'set() returns the map');
      map.set('two', b).set(3, c);
      equal(map.size, 3, 'size');
      assert(map.get(1) === a && map.get('two') === b, 'get()');
      equal([map.has(3), map.has(4)], [true, false], 'has()');
      equal([...map.keys()], [1, 'two', 3], 'keys()');
      equal([...map.values()].map((v) => v.name), ['a', 'b', 'c'], 'values()');
      equal([...map.entries()].map(([k, v]) => [k, v.name]), [[1, 'a'], ['two', 'b'], [3, 'c']], 'entries()');
      equal([...map].length, 3, 'iterator');
      const seen = [];
      map.forEach((value, key, self) => seen.push([key, value.name, self === map]));
      equal(seen[0], [1, 'a', true], 'forEach()');
      equal([map.delete(1), map.delete(1)], [true, false], 'delete()');
      equal(map.remove('two'), true, 'remove()');
      map.clear();
      equal(map.size, 0, 'size after clear()');
      throwsTypeError(() => map.set(1.5, {}), 'key', 'non-integer key');
      throwsTypeError(() => map.set(1, 'not an object'), 'value', 'primitive value');
    },
  ],
  [
    'IDWeakMap: an entry disappears once its value is collected; createIDWeakMap() works alike',
    async ({ weakwire, gc }) => {
      const map = weakwire.createIDWeakMap();
      const kept = {};
      map.set(1, kept);
      (() => {
        map.set(2, { big: new Array(1000).fill(2) });
      })();
      await gcUntil(gc, () => !map.has(2));
      equal(map.get(2), undefined, 'get() of a collected value');
      equal(map.size, 1, 'size counts live entries only');
      equal([...map.keys()], [1], 'keys() after collection');
      assert(map.get(1) === kept, 'the live value stays');
    },
  ],
  [
    'stats(): back to zero when everything is collected, run or deleted',
    async ({ weakwire, gc }) => {
      const map = new weakwire.IDWeakMap();
      (() => {
        map.set(7, {});
        weakwire.setDestructor({}, () => undefined);
      })();
      const during = weakwire.stats();
      assert(during.mapEntries >= 1 && during.trackedObjects >= 1, `stats() during: ${JSON.stringify(during)}`);
      await gcUntil(gc, () => !map.has(7));
      map.clear();
      await gcUntil(gc, () => idle(weakwire));
    },
  ],
  [
    'ESM and CommonJS share one instance: import() gives the same functions and state',
    async ({ weakwire, gc, esm }) => {
      if (!esm.module) throw new CheckError(`import() of the ESM wrapper failed: ${esm.error}`);
      assert(esm.module.setDestructor === weakwire.setDestructor, 'same setDestructor');
      let fired = 0;
      const before = weakwire.stats().trackedObjects;
      (() => esm.module.setDestructor({}, () => fired++))();
      equal(weakwire.stats().trackedObjects, before + 1, 'CommonJS stats() counts the ESM registration');
      await gcUntil(gc, () => fired > 0);
      await gcSettle(gc);
      equal(fired, 1, 'destructor calls');
    },
  ],
  [
    'subpaths: each one loads by require() and import() as one module instance',
    async ({ subpath, importSubpath }) => {
      for (const spec of ['weakwire/remote', 'weakwire/testing', 'weakwire/weak']) {
        const viaRequire = subpath(spec);
        const viaImport = await importSubpath(spec);
        const names = Object.keys(viaRequire).filter((name) => name !== '__esModule');
        assert(names.length > 0, `${spec} exports nothing`);
        for (const name of names) {
          assert(viaImport[name] === viaRequire[name], `${spec}: import().${name} is not require().${name}`);
        }
      }
    },
  ],
  [
    'weakwire/testing: track() sees a dropped object collected and a kept one retained',
    async ({ subpath }) => {
      const { track } = subpath('weakwire/testing');
      const gone = (() => track({ big: new Array(1000).fill(3) }, 'dropped'))();
      const rounds = await gone.collected({ timeout: 10_000 });
      assert(typeof rounds === 'number' && gone.isCollected(), 'dropped object not seen collected');
      const kept = {};
      const result = await track(kept, 'kept').retained({ rounds: 3 });
      assert(result.collected === false, 'kept object reported collected');
      assert(kept !== null, 'kept');
    },
  ],
  [
    'weakwire/weak: the callback fires after GC and the ref reads as dead',
    async ({ subpath, gc }) => {
      const weak = subpath('weakwire/weak');
      let fired = 0;
      const ref = (() => weak.create({ name: 'target' }, () => fired++))();
      assert(weak.isWeakRef(ref), 'isWeakRef(ref)');
      await gcUntil(gc, () => fired > 0);
      equal(weak.isDead(ref), true, 'isDead(ref) after collection');
      equal(weak.get(ref), undefined, 'get(ref) after collection');
      equal(fired, 1, 'callback calls');
    },
  ],
  [
    'weakwire/remote: a call over TCP on 127.0.0.1, and the server frees what the client dropped',
    async ({ subpath, gc }) => {
      const net = require('node:net');
      const { RemoteServer, connect, transports } = subpath('weakwire/remote');
      const server = new RemoteServer({
        modules: { store: () => ({ add: (a, b) => a + b, make: () => ({ hello: () => 'hi' }) }) },
      });
      const listener = net.createServer((socket) => server.serve(transports.stream(socket)));
      const sockets = [];
      let remote;
      try {
        await new Promise((resolve, reject) => {
          listener.once('error', reject);
          listener.listen(0, '127.0.0.1', resolve);
        });
        const socket = net.connect(listener.address().port, '127.0.0.1');
        sockets.push(socket);
        await new Promise((resolve, reject) => {
          socket.once('error', reject);
          socket.once('connect', resolve);
        });
        remote = connect(transports.stream(socket), { sync: false });
        await remote.ready;
        const baseline = server.stats().objects;
        await (async () => {
          const store = await remote.require('store');
          equal(await store.add(2, 3), 5, 'store.add(2, 3)');
          const made = await store.make();
          equal(await made.hello(), 'hi', 'made.hello()');
        })();
        assert(server.stats().objects > baseline, 'server holds the objects the client uses');
        await gcUntil(gc, () => server.stats().objects === baseline);
      } finally {
        if (remote) remote.close();
        server.close();
        for (const socket of sockets) socket.destroy();
        listener.close();
      }
    },
  ],
];

/** Runs every check in order; returns [{ name, ok, error? }]. */
async function runSuite(context) {
  const results = [];
  for (const [name, check] of checks) {
    try {
      await check(context);
      results.push({ name, ok: true });
    } catch (error) {
      const message = error instanceof CheckError ? error.message : String((error && error.stack) || error);
      results.push({ name, ok: false, error: message });
    }
  }
  return results;
}

module.exports = { runSuite, gcUntil, checks };
