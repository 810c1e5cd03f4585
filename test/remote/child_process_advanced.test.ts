// weakwire/remote over a child forked with serialization: 'advanced': messages travel by
// structured clone, so binary data crosses as bytes and clonable values arrive as themselves.
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { connect, transports } from '../../src/ts/remote';

const SERVER = join(__dirname, '..', 'fixtures', 'remote', 'child_process_advanced_server.js');

let child: ChildProcess;
let remote: ReturnType<typeof connect>;
let echo: any;

beforeAll(async () => {
  child = fork(SERVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const ready = new Promise((resolve) => child.on('message', (m: { app?: string }) => m?.app === 'ready' && resolve(m)));
  const transport = transports.childProcess(child, { serialization: 'advanced' });
  expect(transport.clone).toBe(true);
  expect(transport.binary).toBe(true);
  remote = connect(transport, { sync: false });
  await ready;
  await remote.ready;
  echo = await remote.require('echo');
});

afterAll(() => {
  remote?.close();
  child?.kill('SIGKILL');
});

test('binary data crosses as bytes and comes back as the same kind', async () => {
  const bytes = Buffer.from([0, 1, 2, 254, 255]);
  const floats = Float64Array.of(1.5, -0, Number.NaN, Infinity);
  const raw = new Uint8Array([9, 8, 7]).buffer;
  expect(await echo.kinds({ bytes, floats, raw })).toEqual({
    bytes: 'Buffer(5)',
    floats: 'Float64Array(4)',
    raw: 'ArrayBuffer(3)',
  });
  const back = await echo.echo({ bytes, floats, raw });
  expect(Buffer.isBuffer(back.bytes)).toBe(true);
  expect([...back.bytes]).toEqual([0, 1, 2, 254, 255]);
  expect(back.floats).toBeInstanceOf(Float64Array);
  expect(Object.is(back.floats[1], -0)).toBe(true);
  expect(Number.isNaN(back.floats[2])).toBe(true);
  expect(back.floats[3]).toBe(Infinity);
  expect(new Uint8Array(back.raw)).toEqual(new Uint8Array([9, 8, 7]));
});

test('typed arrays in plain data cross on their own, though Node.js gives each as a view of its message', async () => {
  const back = await echo.echo({ floats: Float64Array.of(1.5, -2), ints: Int32Array.of(7), view: new DataView(new ArrayBuffer(4)) });
  expect(back.floats).toBeInstanceOf(Float64Array);
  expect([...back.floats]).toEqual([1.5, -2]);
  expect([...back.ints]).toEqual([7]);
  expect(back.view).toBeInstanceOf(DataView);
  expect(back.view.byteLength).toBe(4);
});

test('1 MB of bytes comes back intact', async () => {
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const back: Buffer = await echo.echo(big);
  expect(back.length).toBe(big.length);
  expect(back.equals(big)).toBe(true);
});

test('Map, Set, Date, RegExp, bigint and a cycle arrive as themselves', async () => {
  const value: any = {
    map: new Map<unknown, unknown>([['a', 1], [2, { b: true }]]),
    set: new Set(['x', 'y']),
    when: new Date(Date.UTC(2026, 10, 27)),
    pattern: /wea+k/giu,
    big: 2n ** 70n,
  };
  value.self = value;
  expect(await echo.kinds(value)).toMatchObject({ map: 'Map(2)', set: 'Set(2)', when: 'Date', pattern: 'RegExp', big: 'bigint' });
  const back = await echo.echo(value);
  expect(back.map).toEqual(value.map);
  expect(back.set).toEqual(value.set);
  expect(back.when.getTime()).toBe(value.when.getTime());
  expect(back.pattern.source).toBe('wea+k');
  expect(back.pattern.flags).toBe('giu');
  expect(back.big).toBe(2n ** 70n);
  expect(back.self).toBe(back);
});

test('functions still cross by reference: the child calls back with bytes', async () => {
  const seen: unknown[] = [];
  const result = await echo.callMe((value: unknown) => {
    seen.push(value);
    return 'called';
  }, Buffer.from('hi'));
  expect(result).toBe('called');
  expect(Buffer.isBuffer(seen[0])).toBe(true);
  expect((seen[0] as Buffer).toString()).toBe('hi');
});

test('an arguments object, which structured clone refuses whole, goes tagged both ways', async () => {
  const args = (function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  })(1, 'two');
  expect(await echo.echo(args)).toEqual({ 0: 1, 1: 'two' });
  expect(await echo.argumentsOf(3, 4)).toEqual({ 0: 3, 1: 4 });
});
