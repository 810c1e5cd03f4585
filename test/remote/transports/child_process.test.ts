// Transport conformance: child-process IPC, the parent's end here and the child's end in a forked
// process (test/fixtures/remote/conformance_child_peer.js).
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { transports } from '../../../src/ts/remote';
import { conformanceSuite, notApplicable, type Pair } from './conformance';
import { LocalEnd, RemoteEnd, until } from './ends';
import { IPC_JUNK } from './junk';

const PEER = join(__dirname, '..', '..', 'fixtures', 'remote', 'conformance_child_peer.js');

interface ChildPair extends Pair {
  readonly peer: RemoteEnd;
  readonly child: ChildProcess;
}

async function openChild(maxBufferedBytes?: number, serialization: 'json' | 'advanced' = 'json'): Promise<ChildPair> {
  // stderr is piped so that a deliberate crash stays out of the test output.
  const child = fork(PEER, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization });
  const ready = new Promise<void>((resolve) => {
    const onReady = (message: any) => {
      if (message?.conformance?.ready) {
        child.off('message', onReady);
        resolve();
      }
    };
    child.on('message', onReady);
  });
  const local = new LocalEnd(transports.childProcess(child, { maxBufferedBytes, serialization }));
  const peer = new RemoteEnd({
    post: (command) => {
      if (child.connected) child.send({ conformance: command });
    },
    listen: (onMessage) => child.on('message', (message: any) => message?.conformance && onMessage(message.conformance)),
  });
  child.on('exit', (code, signal) => peer.lost(`the child exited (${signal ?? code})`));
  await ready;
  return {
    local,
    peer,
    child,
    async dispose() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

conformanceSuite<ChildPair>(() => ({
  name: 'child-process (IPC to a forked child)',
  open: () => openChild(),
  peerDeath: {
    how: 'the child is killed with SIGKILL',
    kill: async (pair) => void pair.child.kill('SIGKILL'),
    reportsError: true,
  },
  oversize: notApplicable("Node's IPC channel has no cap on one message's size"),
  backlog: {
    open: (maxBufferedBytes) => openChild(maxBufferedBytes),
    stopReading: async (pair) => void pair.child.kill('SIGSTOP'),
  },
  malformed: {
    intoLocal: async (pair) => {
      await pair.peer.raw([...IPC_JUNK.tagged, ...IPC_JUNK.other]);
      return { reported: IPC_JUNK.tagged.length };
    },
    intoPeer: async (pair) => {
      for (const value of [...IPC_JUNK.tagged, ...IPC_JUNK.other]) pair.child.send(value as Serializable);
      return { reported: IPC_JUNK.tagged.length };
    },
  },
  clones: notApplicable("these pairs use JSON serialization (serialization: 'advanced' clones: child_process_advanced.test.ts)"),
  messageError: notApplicable("an IPC channel has no 'messageerror': each message is parsed by Node itself"),
}));

describe('child-process backlog on an advanced channel', () => {
  let pair: ChildPair | undefined;
  afterEach(async () => {
    await pair?.dispose();
    pair = undefined;
  });

  test('binary data waiting for a peer that stopped reading counts as its bytes, not as JSON text', async () => {
    const MiB = 1024 * 1024;
    pair = await openChild(16 * MiB, 'advanced');
    await pair.local.start();
    await pair.peer.start();
    pair.child.kill('SIGSTOP');
    // As JSON, each of these would count as about 7 MiB of text ({"0":0,"1":0,...}): the cap
    // would close the transport at the third message.
    const message = { bytes: new Uint8Array(MiB) };
    let sent = 0;
    for (; sent < 100 && pair.local.log.closes.length === 0; sent++) {
      if (!(await pair.local.send(message)).sent) break;
    }
    await until(() => pair!.local.log.closes.length > 0, 'the backlog close');
    expect(pair.local.log.closes).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_BACKLOG' })]);
    // 16 MiB of cap, plus what Node and the pipe took before the channel counted as congested.
    expect(sent).toBeGreaterThanOrEqual(14);
    expect(sent).toBeLessThanOrEqual(20);
  });
});
