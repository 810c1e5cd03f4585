// platform.browser.ts, the host facilities a browser build of weakwire/remote gets, held to what
// the Node.js versions (node:util types, node:events, Buffer) do for the remote layer.
import { EventEmitter as NodeEmitter } from 'node:events';
import { types as nodeTypes } from 'node:util';
import fc from 'fast-check';
import * as browser from '../../../src/ts/remote/platform.browser';
import * as node from '../../../src/ts/remote/platform';

describe('types', () => {
  const samples: Array<[string, unknown]> = [
    ['a Date', new Date()],
    ['a RegExp', /x/g],
    ['RegExp.prototype', RegExp.prototype],
    ['a Map', new Map()],
    ['a Set', new Set()],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a SharedArrayBuffer', new SharedArrayBuffer(4)],
    ['a Promise', Promise.resolve()],
    ['an Error', new TypeError('x')],
    ['a plain object', {}],
    ['an object pretending to be a Map', Object.create(Map.prototype)],
    ['a Uint8Array', new Uint8Array(2)],
    ['a Buffer', Buffer.from('ab')],
    ['an Int8Array', new Int8Array(2)],
    ['null', null],
    ['a number', 1],
  ];
  const checks = ['isDate', 'isRegExp', 'isMap', 'isSet', 'isUint8Array', 'isArrayBuffer', 'isSharedArrayBuffer', 'isPromise', 'isNativeError'] as const;
  test.each(samples)('%s: every check agrees with node:util types', (_name, value) => {
    for (const check of checks) expect([check, browser.types[check](value)]).toEqual([check, nodeTypes[check](value)]);
  });

  test('isProxy knows the proxies made by its own Proxy, and no other', () => {
    const made = new browser.Proxy({}, {});
    const callable = new browser.Proxy(() => 1, {});
    expect([browser.types.isProxy(made), browser.types.isProxy(callable)]).toEqual([true, true]);
    expect(browser.types.isProxy(new Proxy({}, {}))).toBe(false);
    expect(browser.types.isProxy({})).toBe(false);
  });

  test('isPromise is false for a proxy it made around a promise (a peer object is never awaited by accident)', () => {
    expect(browser.types.isPromise(new browser.Proxy(Promise.resolve(), {}))).toBe(false);
  });
});

describe('base64', () => {
  test('toBase64 gives what Buffer gives, for any bytes and any view of them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(8), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(browser.toBase64(view)).toBe(node.toBase64(view));
        expect(browser.toBase64(view.slice().buffer)).toBe(node.toBase64(view.slice().buffer));
      }),
    );
  });

  test('fromBase64 reads any text as Buffer reads it (junk skipped, = ends it, url-safe letters)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AZaz09+/-_=\n %é'.split('')), maxLength: 60 }), (text) => {
        expect(Array.from(browser.fromBase64(text))).toEqual(Array.from(node.fromBase64(text)));
      }),
    );
  });

  test('round trip', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(browser.fromBase64(browser.toBase64(bytes))).toEqual(bytes);
    }));
  });
});

describe('Buffers', () => {
  test('none in a browser: a Buffer from a peer is a Uint8Array there, over the same memory or a copy', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(browser.isBuffer(Buffer.from('x'))).toBe(false);
    expect(browser.bufferOver(bytes)).toBe(bytes);
    const copy = browser.toBuffer(bytes);
    expect([copy !== bytes, Array.from(copy)]).toEqual([true, [1, 2, 3]]);
  });

  test('on Node.js, a Buffer over the same memory, or a copy', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const over = node.bufferOver(bytes);
    expect(Buffer.isBuffer(over)).toBe(true);
    bytes[0] = 9;
    expect(over[0]).toBe(9);
    expect(Buffer.isBuffer(node.toBuffer(bytes))).toBe(true);
    expect(node.toBuffer(bytes).buffer).not.toBe(bytes.buffer);
  });
});

describe('setImmediate', () => {
  test('runs tasks on later turns, in order; a cleared one never runs', async () => {
    const ran: number[] = [];
    browser.setImmediate(() => ran.push(1));
    const cleared = browser.setImmediate(() => ran.push(2));
    browser.setImmediate(() => ran.push(3));
    browser.clearImmediate(cleared);
    expect(ran).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ran).toEqual([1, 3]);
  });
});

describe('EventEmitter: the same observable behaviour as node:events for what the remote layer uses', () => {
  /** Runs `script` against both emitters and returns what each logged. */
  function both(script: (e: NodeEmitter | browser.EventEmitter, log: unknown[]) => void): [unknown[], unknown[]] {
    const a: unknown[] = [];
    const b: unknown[] = [];
    script(new NodeEmitter(), a);
    script(new browser.EventEmitter(), b);
    return [a, b];
  }

  test('listeners run in order with the arguments; emit says whether any ran', () => {
    const [a, b] = both((e, log) => {
      e.on('x', (...args) => log.push(['first', ...args]));
      e.addListener('x', (...args) => log.push(['second', ...args]));
      e.prependListener('x', () => log.push('prepended'));
      log.push(e.emit('x', 1, 2), e.emit('y'), e.listenerCount('x'), e.eventNames());
    });
    expect(b).toEqual(a);
  });

  test('once runs once, and off(listener) removes a once registration', () => {
    const [a, b] = both((e, log) => {
      const l = () => log.push('once');
      e.once('x', l);
      e.emit('x');
      e.emit('x');
      e.once('y', l);
      log.push(e.listeners('y').includes(l));
      e.off('y', l);
      log.push(e.emit('y'), e.listenerCount('y'));
    });
    expect(b).toEqual(a);
  });

  test('a listener that removes another does not change the emit in progress', () => {
    const [a, b] = both((e, log) => {
      const second = () => log.push('second');
      e.on('x', () => {
        log.push('first');
        e.removeListener('x', second);
      });
      e.on('x', second);
      e.emit('x');
      e.emit('x');
    });
    expect(b).toEqual(a);
  });

  test("'error' with no listener throws the error (as node:events does); with one, the listener gets it", () => {
    const error = new Error('boom');
    // (Node's own throws an Error of its realm's wrapping under Jest, whose Error is another realm's.)
    for (const e of [new browser.EventEmitter()]) {
      expect(() => e.emit('error', error)).toThrow(error);
      const got: unknown[] = [];
      e.on('error', (err) => got.push(err));
      expect(e.emit('error', error)).toBe(true);
      expect(got).toEqual([error]);
    }
    expect(() => new browser.EventEmitter().emit('error', 'text')).toThrow(/Unhandled error/);
  });

  test('a listener that is not a function is a TypeError naming the argument', () => {
    expect(() => new browser.EventEmitter().on('x', 5 as never)).toThrow(TypeError);
    expect(() => new browser.EventEmitter().on('x', 5 as never)).toThrow(/"listener"/);
  });
});
