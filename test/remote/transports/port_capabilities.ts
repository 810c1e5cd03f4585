/**
 * What the harnesses of the transports over a port (MessagePort, Worker/parentPort, worker-sync)
 * share: postMessage has no size cap and no send-side queue, junk is posted on the port, and
 * 'messageerror' is emitted on it or caused by a message nested too deep to deserialize.
 */
import { notApplicable, type Pair, type TransportHarness } from './conformance';
import type { RemoteEnd } from './ends';

/** The port under a transport (a MessagePort or a Worker). */
export interface UnderlyingPort {
  postMessage(value: unknown): void;
  emit(event: string, ...args: unknown[]): boolean;
}

export interface PortPair extends Pair {
  readonly peer: RemoteEnd;
}

/** Nesting a worker can serialize but this (main) thread cannot deserialize. */
const TOO_DEEP = 2500;

export function portCapabilities<P extends PortPair>(
  junk: readonly unknown[],
  localPort: (pair: P) => UnderlyingPort,
): Pick<TransportHarness<P>, 'oversize' | 'backlog' | 'clones' | 'malformed' | 'messageError'> {
  return {
    clones: true,
    oversize: notApplicable("postMessage has no size cap: a message is cloned into the peer's queue"),
    backlog: notApplicable("postMessage hands each message to the peer's queue: nothing waits on the sending side"),
    malformed: {
      intoLocal: async (pair) => {
        await pair.peer.raw(junk);
        return { reported: junk.length };
      },
      intoPeer: async (pair) => {
        for (const value of junk) localPort(pair).postMessage(value);
        return { reported: junk.length };
      },
    },
    messageError: {
      emitLocal: (pair) => void localPort(pair).emit('messageerror', new Error('synthetic messageerror')),
      emitPeer: (pair) => pair.peer.emitMessageError(),
      real: async (pair) => {
        expect(await pair.peer.sendDeep(TOO_DEEP)).toEqual({ sent: true });
      },
    },
  };
}
