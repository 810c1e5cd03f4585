/**
 * docs/security.md: a hostile peer cannot grow your memory without bound. What a session holds
 * goes back to nothing when it closes, and what a transport holds for a frame still arriving
 * is about the size of what arrived.
 */
import { RemoteServer, type RemoteSession } from '../../../src/ts/remote';
import { asyncPair } from '../pair';

describe('a session that closes while a served call runs', () => {
  test('keeps nothing exported for the answer it can no longer send', async () => {
    let session: RemoteSession | undefined;
    const server = new RemoteServer({
      modules: {
        tools: () => ({
          // Ends the session, then returns objects that go by reference.
          quit: () => {
            session?.close();
            return { handle: new (class Handle {})(), callback() {} };
          },
        }),
      },
    });
    const pair = asyncPair(server);
    session = pair.session;
    pair.remote.on('error', () => {});
    const tools = await pair.remote.require('tools');
    await expect(tools.quit()).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
    expect(pair.session.stats()).toMatchObject({ objects: 0, references: 0 });
    pair.close();
  });
});
