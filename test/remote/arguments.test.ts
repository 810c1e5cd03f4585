/** Bad arguments to the public API get a TypeError naming the argument. */
import { MessageChannel } from 'node:worker_threads';
import { connect, release, RemoteServer, transports } from '../../src/ts/remote';
import { asyncPair } from './pair';

test('RemoteServer validates its options', () => {
  expect(() => new RemoteServer(null as never)).toThrow(new TypeError('RemoteServer: options must be an object'));
  expect(() => new RemoteServer({ modules: [] as never })).toThrow(/options\.modules must be an object/);
  expect(() => new RemoteServer({ modules: { os: 'os' as never } })).toThrow(
    new TypeError('RemoteServer: options.modules.os must be a function returning the module'),
  );
  expect(() => new RemoteServer({ globals: 5 as never })).toThrow(/options\.globals must be an object/);
});

test('serve and connect need a transport', () => {
  expect(() => new RemoteServer().serve({} as never)).toThrow(new TypeError('RemoteServer.serve: transport must be a Transport'));
  expect(() => connect(null as never)).toThrow(new TypeError('connect: transport must be a Transport'));
  const channel = new MessageChannel();
  expect(() => connect(transports.messagePort(channel.port1), null as never)).toThrow(
    new TypeError('connect: options must be an object'),
  );
  channel.port1.close();
  expect(() => transports.messagePort({} as never)).toThrow(/messagePort: port must be/);
});

test('require, getGlobal, set and release check their arguments', async () => {
  const pair = asyncPair(new RemoteServer({ modules: { tools: () => ({ x: 1 }) } }));
  expect(() => pair.remote.require(5 as never)).toThrow(new TypeError('require: name must be a string'));
  expect(() => pair.remote.getGlobal({} as never)).toThrow(new TypeError('getGlobal: name must be a string'));
  expect(() => pair.remote.set({}, 'x', 1)).toThrow(new TypeError('set: proxy must be a remote object of this session'));
  const tools = await pair.remote.require('tools');
  expect(() => pair.remote.set(tools, 5 as never, 1)).toThrow(new TypeError('set: key must be a string'));
  expect(() => release(5 as never)).toThrow(new TypeError('release: proxy must be a remote-object proxy'));
  pair.close();
});

test('a module factory that returns a primitive is reported', async () => {
  const pair = asyncPair(new RemoteServer({ modules: { bad: () => 5 as never } }));
  await expect(pair.remote.require('bad')).rejects.toThrow(/Module "bad": its factory returned number, not an object/);
  pair.close();
});
