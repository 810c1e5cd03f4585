import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setDestructor } from '../../src/ts';
import { forceGC, gcUntil } from '../../src/ts/testing';
import { resolveGC, type GCSources } from '../../src/ts/testing/gc';

const repo = join(__dirname, '..', '..');

describe('forceGC', () => {
  test('collects an unreachable object', async () => {
    let ref: WeakRef<object> | undefined;
    (() => {
      ref = new WeakRef({ big: new Array(1000).fill(1) });
    })();
    // A WeakRef target survives until the current job ends, so collect on a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    forceGC();
    expect(ref!.deref()).toBeUndefined();
  });

  test('works in a process started without --expose-gc', () => {
    const script = `
      const { forceGC } = require(${JSON.stringify(join(repo, 'dist', 'testing'))});
      if (typeof globalThis.gc === 'function') throw new Error('gc is exposed: the test is void');
      let ref;
      (() => { ref = new WeakRef({}); })();
      setImmediate(() => { forceGC(); console.log(ref.deref() === undefined ? 'collected' : 'alive'); });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('collected');
  });

  test('where no way to collect exists, the error says why and what to do', () => {
    const none: GCSources = {
      exposed: () => undefined,
      fromFreshContext: () => {
        throw new Error('node:v8 is not available');
      },
      bun: () => undefined,
    };
    expect(() => resolveGC(none)).toThrow(
      /cannot force garbage collection in this runtime: globalThis\.gc is not defined and enabling --expose-gc at run time failed: node:v8 is not available\. Start the process with V8's --expose-gc flag/,
    );
  });

  test('a runtime flag that yields no gc function is reported too', () => {
    const none: GCSources = { exposed: () => undefined, fromFreshContext: () => undefined, bun: () => undefined };
    expect(() => resolveGC(none)).toThrow(/gave no gc function \(got undefined\).*node --expose-gc/);
  });

  test('prefers globalThis.gc, and falls back to Bun.gc where that is all there is', () => {
    const exposed = (): void => {};
    expect(resolveGC({ exposed: () => exposed, fromFreshContext: () => undefined, bun: () => undefined })).toBe(
      exposed,
    );
    const bun = (): void => {};
    expect(resolveGC({ exposed: () => undefined, fromFreshContext: () => undefined, bun: () => bun })).toBe(bun);
  });
});

describe('gcUntil', () => {
  test('resolves with 0 rounds when the predicate already holds', async () => {
    await expect(gcUntil(() => true)).resolves.toBe(0);
  });

  test('runs GC and event-loop turns until the predicate holds, and says how many rounds', async () => {
    let destroyed = false;
    (() => {
      setDestructor({}, () => (destroyed = true));
    })();
    // The destructor runs on an event-loop turn after a collection: it takes GC and turns.
    const rounds = await gcUntil(() => destroyed);
    expect(rounds).toBeGreaterThanOrEqual(1);
  });

  test('lets timers run between rounds', async () => {
    let fired = false;
    setTimeout(() => (fired = true), 1);
    await gcUntil(() => fired, { attempts: 20 });
    expect(fired).toBe(true);
  });

  test('accepts an async predicate', async () => {
    let calls = 0;
    await gcUntil(async () => ++calls === 3);
    expect(calls).toBe(3);
  });

  test('fails after the given attempts, naming how many GC rounds were tried', async () => {
    await expect(gcUntil(() => false, { attempts: 4 })).rejects.toThrow(
      /gcUntil: predicate still false after 4 GC rounds \(\d+ ms\)/,
    );
  });

  test('bad input is a TypeError naming the argument', async () => {
    await expect(gcUntil(42 as unknown as () => boolean)).rejects.toThrow(
      new TypeError('gcUntil: predicate must be a function; got number'),
    );
    await expect(gcUntil(() => true, { attempts: 0 })).rejects.toThrow(
      new TypeError('gcUntil: options.attempts must be a positive integer; got 0'),
    );
  });
});
