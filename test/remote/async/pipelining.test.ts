/**
 * Promise pipelining: the result of a call can be used before it resolves, and the chain costs
 * one round trip. The distributed-GC rules hold for pipelined results: one only ever used through
 * pipelines is released, never pinned, and never freed while a pipelined call still needs it.
 */
import { RemoteServer } from '../../../src/ts/remote';
import { forceGC, gcUntil, track } from '../../../src/ts/testing';
import { loggedPair, type LoggedPair } from './wire_log';

const opened: Array<ReturnType<typeof track>> = [];

class File {
  mode = 'r';
  constructor(readonly path: string) {
    opened.push(track(this, `File ${path}`));
  }
  read(): string {
    return `contents of ${this.path} (${this.mode})`;
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const fs = {
  open: (path: string) => new File(path),
  async openLater(path: string) {
    await delay(20);
    return new File(path);
  },
  fail(): never {
    throw new Error('no such file');
  },
  describe: (file: File) => `a file at ${file.path}`,
  config: () => ({ port: 80, nested: { name: 'x' } }),
  File,
};

let pair: LoggedPair;
beforeEach(async () => {
  opened.length = 0;
  pair = loggedPair(new RemoteServer({ modules: { fs: () => fs }, allowWrites: true }));
  await pair.remote.ready;
});
afterEach(() => pair.close());

test('fs.open(p).read(): the chain is one round trip', async () => {
  const remote = await pair.remote.require('fs');
  pair.wire.clear();
  const file = remote.open('/a');
  expect(await file.read()).toBe('contents of /a (r)');
  expect(pair.wire.roundTrips()).toBe(1);
});

test('a call returns a promise of its result', async () => {
  const remote = await pair.remote.require('fs');
  const file = remote.open('/a');
  expect(file).toBeInstanceOf(Promise);
  expect(await (await file).read()).toBe('contents of /a (r)');
});

test('pipelining on a result that is a promise (an async method) waits for it on the server', async () => {
  const remote = await pair.remote.require('fs');
  pair.wire.clear();
  expect(await remote.openLater('/b').read()).toBe('contents of /b (r)');
  expect(pair.wire.roundTrips()).toBe(1);
});

test('remote.require(name) is pipelined too', async () => {
  pair.wire.clear();
  expect(await pair.remote.require('fs').open('/c').read()).toBe('contents of /c (r)');
  expect(pair.wire.roundTrips()).toBe(1);
});

test('new on a remote class gives a pipelined result', async () => {
  const remote = await pair.remote.require('fs');
  pair.wire.clear();
  expect(await new remote.File('/d').read()).toBe('contents of /d (r)');
  expect(pair.wire.roundTrips()).toBe(1);
});

test('a member path and an assignment on a pipelined result', async () => {
  const remote = await pair.remote.require('fs');
  expect(await remote.config().nested.name).toBe('x');
  const file = remote.open('/e');
  file.mode = 'w';
  expect(await file.read()).toBe('contents of /e (w)');
});

test('a result used after its request left goes to the resolved object (same outcome)', async () => {
  const remote = await pair.remote.require('fs');
  const file = remote.open('/f');
  await delay(5); // the request left without being marked for pipelining
  expect(await file.read()).toBe('contents of /f (r)');
});

test('a failure propagates along the chain', async () => {
  const remote = await pair.remote.require('fs');
  await expect(remote.fail().read()).rejects.toThrow('no such file');
});

test('a pipelined result passed as an argument arrives as the object', async () => {
  const remote = await pair.remote.require('fs');
  pair.wire.clear();
  expect(await remote.describe(remote.open('/g'))).toBe('a file at /g');
  expect(pair.wire.roundTrips()).toBe(1);
});

test('a result used only through pipelines is released afterwards: nothing is pinned', async () => {
  const remote = await pair.remote.require('fs');
  const baseline = pair.session.stats();
  expect(await remote.open('/h').read()).toBe('contents of /h (r)');
  await gcUntil(() => {
    const now = pair.session.stats();
    return now.objects === baseline.objects && now.keptAnswers === 0;
  });
  await opened[0].collected();
});

test('a kept result is never freed while a pipelined call needs it, under GC pressure', async () => {
  const remote = await pair.remote.require('fs');
  // Each use in a function of its own, so that no suspended frame of the test keeps the last one.
  const useOnce = async (i: number): Promise<string> => {
    const file = remote.openLater(`/p${i}`); // the server holds the File only as a kept answer
    const text = file.read();
    forceGC();
    await delay(1);
    forceGC();
    return text;
  };
  for (let i = 0; i < 20; i++) expect(await useOnce(i)).toBe(`contents of /p${i} (r)`);
  await gcUntil(() => pair.session.stats().keptAnswers === 0 && pair.session.stats().objects === 1);
  for (const tracker of opened) await tracker.collected();
});
