/**
 * The 'error' channel: failures nobody awaited go to the RemoteClient or RemoteSession as an
 * 'error' event (a session without a listener hands them to its server's 'error' listeners), and
 * become process warnings when nobody listens. Failures somebody awaited go only to them.
 */
import { once } from 'node:events';
import { RemoteServer } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';

const tools = {
  fail(message: string): never {
    throw new Error(message);
  },
  callBack(cb: (x: number) => unknown): void {
    void cb(1); // not awaited, as an event emitter would
  },
};

let pair: Pair;
let server: RemoteServer;
let warnings: jest.SpyInstance;

beforeEach(() => {
  warnings = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  server = new RemoteServer({ modules: { tools: () => tools } });
  pair = asyncPair(server);
});

afterEach(() => {
  warnings.mockRestore();
  pair.close();
});

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

test("a client call whose promise nobody subscribed to reports its failure on the client's 'error'", async () => {
  const remote = await pair.remote.require('tools');
  const errored = once(pair.remote, 'error');
  void remote.fail('nobody awaits this');
  const [error] = await errored;
  expect(error).toMatchObject({ message: 'nobody awaits this' });
});

test("an awaited failure goes to its awaiter only, never to 'error'", async () => {
  const remote = await pair.remote.require('tools');
  const seen: unknown[] = [];
  pair.remote.on('error', (error) => seen.push(error));
  await expect(remote.fail('awaited')).rejects.toThrow('awaited');
  await turn();
  expect(seen).toEqual([]);
  expect(warnings).not.toHaveBeenCalled();
});

test('a promise subscribed to after it rejected, within the same turn, counts as awaited', async () => {
  const remote = await pair.remote.require('tools');
  const seen: unknown[] = [];
  pair.remote.on('error', (error) => seen.push(error));
  const pending = remote.fail('late subscriber');
  await new Promise((resolve) => setImmediate(resolve));
  await expect(pending).rejects.toThrow('late subscriber');
  await turn();
  expect(seen).toEqual([]);
});

test('with no listener, an unawaited failure becomes a process warning', async () => {
  const remote = await pair.remote.require('tools');
  void remote.fail('warned');
  for (let i = 0; i < 50 && warnings.mock.calls.length === 0; i++) await turn();
  expect(warnings.mock.calls).toEqual([['warned', { type: 'Error' }]]);
});

test("a session without an 'error' listener hands its failures to the server's, with the session", async () => {
  const remote = await pair.remote.require('tools');
  const errored = once(server, 'error');
  await remote.callBack(() => {
    throw new Error('callback failed');
  });
  const [error, session] = await errored;
  expect(error).toMatchObject({ message: 'callback failed' });
  expect(session).toBe(pair.session);
});

test("the session's own 'error' listener comes first", async () => {
  const remote = await pair.remote.require('tools');
  const onServer = jest.fn();
  server.on('error', onServer);
  const errored = once(pair.session, 'error');
  await remote.callBack(() => {
    throw new Error('to the session');
  });
  const [error] = await errored;
  expect(error).toMatchObject({ message: 'to the session' });
  expect(onServer).not.toHaveBeenCalled();
});

test("'close' tells why the session ended, on both sides", async () => {
  const closedClient = once(pair.remote, 'close');
  const closedSession = once(pair.session, 'close');
  pair.session.close();
  const [[clientReason], [sessionReason]] = await Promise.all([closedClient, closedSession]);
  expect(clientReason).toMatchObject({ message: 'the peer closed the session' });
  expect(sessionReason).toMatchObject({ message: 'closed by this side' });
});
