/**
 * Escape attempts from a worker-thread client, in sync mode (Electron's semantics, where such
 * escapes were historically found) and in async mode.
 */
import { RemoteServer } from '../../src/ts/remote';
import { startClientWorker } from './worker_client';

describe.each([
  ['sync', true],
  ['async', false],
])('escape attempts from a %s client', (_mode, sync) => {
  test('every attempt is refused with ERR_REMOTE_DENIED', async () => {
    const server = new RemoteServer({ modules: { os: () => require('os') } });
    const client = startClientWorker(server, sync);
    try {
      const results = await client.run('escapes');
      expect(results).toEqual({
        constructorConstructor: 'ERR_REMOTE_DENIED',
        functionConstructor: 'ERR_REMOTE_DENIED',
        proto: 'ERR_REMOTE_DENIED',
        defineGetter: 'ERR_REMOTE_DENIED',
        hasOwnProperty: 'ERR_REMOTE_DENIED',
        requireFs: 'ERR_REMOTE_DENIED',
        globalProcess: 'ERR_REMOTE_DENIED',
      });
    } finally {
      await client.stop();
    }
  });
});
