/**
 * The transport conformance suite: what every transport of `weakwire/remote` must do, whatever
 * pipe it runs over (see src/ts/remote/transport.ts and transports/kit.ts). Each transport's test
 * file calls `conformanceSuite` with a harness that opens connected pairs of real ends (threads,
 * processes, sockets) and says, for each capability, how to exercise it or why it does not apply;
 * a capability that does not apply shows up as a skipped test whose name gives the reason.
 */
import { quiet, until, type End, type LocalEnd } from './ends';

/** Why a capability does not apply to a transport. */
export interface NotApplicable {
  readonly notApplicable: string;
}

export function notApplicable(why: string): NotApplicable {
  return { notApplicable: why };
}

function applies<T extends object>(capability: T | NotApplicable): capability is T {
  return !('notApplicable' in capability);
}

/** A connected pair: `local` in this thread, `peer` wherever the harness put it; neither started. */
export interface Pair {
  readonly local: LocalEnd;
  readonly peer: End;
  /** Frees what is left (threads, processes, sockets), whatever state the test left it in. */
  dispose(): Promise<void>;
}

/** Junk written on the wire toward one end, and how many of those items it should report. */
export interface Junk {
  /** Items that the end can tell were meant for it: each is reported through `problem`. */
  readonly reported: number;
}

export interface TransportHarness<P extends Pair = Pair> {
  readonly name: string;
  /** Opens a connected pair. */
  open(): Promise<P>;
  readonly peerDeath: {
    /** How the peer dies, for the test name ("the worker is terminated"). */
    readonly how: string;
    kill(pair: P): Promise<void>;
    /** Whether the local end can tell death from an orderly close, and if not, why. */
    readonly reportsError: true | NotApplicable;
  };
  /** A cap on one message's size. */
  readonly oversize:
    | {
        /** A pair whose local end caps messages at `cap` bytes both ways; the peer's cap is large. */
        open(cap: number): Promise<P>;
      }
    | NotApplicable;
  /** A cap on what may wait for a peer that does not read. */
  readonly backlog:
    | {
        /** A pair whose local end lets at most `maxBufferedBytes` wait. */
        open(maxBufferedBytes: number): Promise<P>;
        /** Makes the peer stop reading (its transport started or not). */
        stopReading(pair: P): Promise<void>;
      }
    | NotApplicable;
  readonly malformed: {
    /** Writes junk on the wire toward the local end (the pair is started). */
    intoLocal(pair: P): Promise<Junk>;
    /** Writes junk on the wire toward the peer. */
    intoPeer(pair: P): Promise<Junk>;
  };
  /**
   * Whether messages are structured-cloned (`send` then throws ERR_REMOTE_UNENCODABLE for one
   * that cannot be, and the session encodes it again), or why not.
   */
  readonly clones: true | NotApplicable;
  readonly messageError:
    | {
        /** Emits 'messageerror' on the port under the local transport. */
        emitLocal(pair: P): void;
        /** Emits 'messageerror' on the port under the peer's transport. */
        emitPeer(pair: P): Promise<void>;
        /** Makes the peer send a message that cannot be deserialized here, or why it cannot. */
        readonly real: ((pair: P) => Promise<void>) | NotApplicable;
      }
    | NotApplicable;
}

/** An `arguments` object: its items are plain, but structured clone refuses the object. */
function refusedValue(): IArguments {
  return (function (..._: unknown[]) {
    // eslint-disable-next-line prefer-rest-params
    return arguments;
  })(1, 2);
}

/** What `send` gives once the transport is closed. */
const CLOSED = { sent: false, error: expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }) };

export function conformanceSuite<P extends Pair>(makeHarness: () => TransportHarness<P>): void {
  const harness = makeHarness();
  const open: P[] = [];
  afterEach(async () => {
    for (const pair of open.splice(0)) await pair.dispose();
  });
  const track = async (opening: Promise<P>): Promise<P> => {
    const pair = await opening;
    open.push(pair);
    return pair;
  };
  const started = async (opening: Promise<P> = harness.open()): Promise<P> => {
    const pair = await track(opening);
    await pair.local.start();
    await pair.peer.start();
    return pair;
  };
  /** A message from `from` reaches `to`: the transport still works that way. */
  const stillWorks = async (from: End, to: End, what: string): Promise<void> => {
    const marker = { op: 'still-works', what };
    expect(await from.send(marker)).toEqual({ sent: true });
    await until(() => to.log.messages.some((m) => m?.what === what), `the message after ${what}`);
    expect(to.log.closes).toEqual([]);
  };

  describe(`${harness.name} transport conformance`, () => {
    describe('ordering', () => {
      const count = 2000;
      test(`${count} messages each way arrive in order, none lost or duplicated`, async () => {
        const { local, peer } = await started();
        const unusual = { tag: 'unusual', text: 'é€😀\u0000"\\', nested: { list: [1, [2, { three: null }]] }, n: -1.5e300 };
        await Promise.all([local.sendMany('out', count), peer.sendMany('back', count), local.send(unusual)]);
        await until(
          () => peer.log.messages.length >= count + 1 && local.log.messages.length >= count,
          `${count} messages each way`,
        );
        await quiet();
        const sequence = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ tag, i }));
        expect(peer.log.messages).toEqual([...sequence(count, 'out'), unusual]);
        expect(local.log.messages).toEqual(sequence(count, 'back'));
        expect([local.log.problems, peer.log.problems]).toEqual([[], []]);
      });
    });

    describe('close', () => {
      const closeFrom = (side: 'local' | 'peer') => async () => {
        const pair = await started();
        const closer = pair[side];
        const other = side === 'local' ? pair.peer : pair.local;
        await closer.close();
        await until(() => other.log.closes.length > 0 && closer.log.closes.length > 0, 'both close reports');
        await closer.close();
        expect(await closer.send({ after: 'close' })).toEqual(CLOSED);
        expect(await other.send({ after: 'peer close' })).toEqual(CLOSED);
        await quiet();
        expect(closer.log.closes).toEqual([null]);
        expect(other.log.closes).toEqual([null]);
        expect(other.log.messages).toEqual([]);
      };
      test(
        'close() here: each side reports close exactly once, cleanly; send then throws ERR_REMOTE_CLOSED; close() again changes nothing',
        closeFrom('local'),
      );
      test('close() by the peer: the same, seen from the other side', closeFrom('peer'));

      test('messages sent before close() still arrive, then the close', async () => {
        const { local, peer } = await started();
        await local.sendMany('last', 20);
        await local.close();
        await until(() => peer.log.closes.length > 0, "the peer's close report");
        expect(peer.log.messages).toEqual(Array.from({ length: 20 }, (_, i) => ({ tag: 'last', i })));
      });
    });

    describe('peer death', () => {
      const death = harness.peerDeath;
      const reportsError = death.reportsError === true;
      const reported =
        death.reportsError === true ? 'with an Error' : `without an error (${death.reportsError.notApplicable})`;
      test(`${death.how}: close is reported exactly once, ${reported}; send then throws ERR_REMOTE_CLOSED`, async () => {
        const pair = await started();
        await death.kill(pair);
        await until(() => pair.local.log.closes.length > 0, 'the close report');
        await quiet();
        expect(pair.local.log.closes).toHaveLength(1);
        if (reportsError) {
          expect(pair.local.log.closes[0]).toEqual(expect.objectContaining({ message: expect.any(String) }));
        } else {
          expect(pair.local.log.closes).toEqual([null]);
        }
        expect(await pair.local.send({ after: 'death' })).toEqual(CLOSED);
      });

      test(`${death.how}: a call waiting on the dead peer rejects with ERR_REMOTE_CLOSED`, async () => {
        const pair = await track(harness.open());
        await pair.peer.serve();
        const client = pair.local.connect();
        const tools = await client.require('tools');
        expect(await tools.add(2, 3)).toBe(5);
        const pending = tools.never();
        await death.kill(pair);
        await expect(pending).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
        expect(client.closed).toBe(true);
        expect(client.stats().pendingCalls).toBe(0);
      });
    });

    describe('oversize', () => {
      const oversize = harness.oversize;
      if (!applies(oversize)) {
        test.skip(`not applicable: ${oversize.notApplicable}`, () => {});
        return;
      }
      const cap = 1024;
      const big = { pad: 'x'.repeat(2 * cap) };
      test('sending more than the cap throws ERR_REMOTE_TOO_LARGE; the transport stays open and the next message arrives', async () => {
        const { local, peer } = await started(oversize.open(cap));
        const result = await local.send(big);
        expect(result).toEqual({ sent: false, error: expect.objectContaining({ code: 'ERR_REMOTE_TOO_LARGE' }) });
        await stillWorks(local, peer, 'a refused oversized send');
        expect(peer.log.messages).toHaveLength(1);
        expect(peer.log.problems).toEqual([]);
      });

      test('an incoming message over the cap is skipped and reported through problem; the next one arrives', async () => {
        const { local, peer } = await started(oversize.open(cap));
        expect(await peer.send(big)).toEqual({ sent: true });
        await stillWorks(peer, local, 'an oversized incoming message');
        expect(local.log.messages).toHaveLength(1);
        expect(local.log.problems).toHaveLength(1);
        expect(local.log.problems[0].message).toMatch(/more than|cap|too large/i);
      });
    });

    describe('a message structured clone refuses', () => {
      const clones = harness.clones;
      if (clones !== true) {
        test.skip(`not applicable: ${clones.notApplicable}`, () => {});
        return;
      }
      test('send throws ERR_REMOTE_UNENCODABLE and sends nothing; the transport stays open and the next message arrives', async () => {
        const { local, peer } = await started();
        const result = await local.send({ op: 'refused', v: refusedValue() });
        expect(result).toEqual({ sent: false, error: expect.objectContaining({ code: 'ERR_REMOTE_UNENCODABLE' }) });
        await stillWorks(local, peer, 'a message structured clone refused');
        expect(peer.log.messages).toHaveLength(1);
        expect(peer.log.problems).toEqual([]);
      });

      test('the same before the peer started: send throws at once, and the message after it arrives once the peer starts', async () => {
        const pair = await track(harness.open());
        await pair.local.start();
        const result = await pair.local.send({ op: 'refused', v: refusedValue() });
        expect(result).toEqual({ sent: false, error: expect.objectContaining({ code: 'ERR_REMOTE_UNENCODABLE' }) });
        expect(await pair.local.send({ op: 'after', what: 'a refused send before the peer started' })).toEqual({ sent: true });
        await pair.peer.start();
        await until(() => pair.peer.log.messages.length > 0, 'the message after the refused one');
        expect(pair.peer.log.messages).toEqual([{ op: 'after', what: 'a refused send before the peer started' }]);
        expect(pair.local.log.closes).toEqual([]);
      });
    });

    describe('backlog', () => {
      const backlog = harness.backlog;
      if (!applies(backlog)) {
        test.skip(`not applicable: ${backlog.notApplicable}`, () => {});
        return;
      }
      test('a peer that stops reading: the transport closes with ERR_REMOTE_BACKLOG instead of growing', async () => {
        const cap = 256 * 1024;
        const pair = await track(backlog.open(cap));
        await pair.local.start();
        await pair.peer.start();
        await backlog.stopReading(pair);
        const pad = 'x'.repeat(16 * 1024);
        // Far more than the cap plus every buffer on the way (kernel socket buffers are a few MiB).
        const limit = 2000;
        let sent = 0;
        for (; sent < limit && pair.local.log.closes.length === 0; sent++) {
          const result = await pair.local.send({ sent, pad });
          if (!result.sent) {
            expect(result.error.code).toBe('ERR_REMOTE_CLOSED');
            break;
          }
          if (sent % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
        }
        await until(() => pair.local.log.closes.length > 0, 'the backlog close');
        expect(sent).toBeLessThan(limit);
        expect(pair.local.log.closes).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_BACKLOG' })]);
        expect(await pair.local.send({ after: 'backlog' })).toEqual(CLOSED);
      });
    });

    describe('malformed input', () => {
      const into = (side: 'local' | 'peer') => async () => {
        const pair = await started();
        const target = pair[side];
        const other = side === 'local' ? pair.peer : pair.local;
        const junk = await (side === 'local' ? harness.malformed.intoLocal(pair) : harness.malformed.intoPeer(pair));
        await stillWorks(other, target, 'junk on the wire');
        expect(target.log.messages).toEqual([{ op: 'still-works', what: 'junk on the wire' }]);
        expect(target.log.problems).toHaveLength(junk.reported);
        await stillWorks(target, other, 'junk on the wire, the other way');
      };
      test('junk arriving here is dropped (and reported where the transport can tell); the next valid message arrives', into('local'));
      test('junk arriving at the peer: the same', into('peer'));
    });

    describe("'messageerror'", () => {
      const messageError = harness.messageError;
      if (!applies(messageError)) {
        test.skip(`not applicable: ${messageError.notApplicable}`, () => {});
        return;
      }
      test("emitted on this end's port: reported through problem, the transport stays usable", async () => {
        const pair = await started();
        messageError.emitLocal(pair);
        expect(pair.local.log.problems).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_PROTOCOL' })]);
        expect(pair.local.log.problems[0].message).toMatch(/could not be deserialized/);
        await stillWorks(pair.peer, pair.local, 'a messageerror here');
        await stillWorks(pair.local, pair.peer, 'a messageerror here, the other way');
      });

      test("emitted on the peer's port: the same", async () => {
        const pair = await started();
        await messageError.emitPeer(pair);
        expect(pair.peer.log.problems).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_PROTOCOL' })]);
        await stillWorks(pair.local, pair.peer, 'a messageerror at the peer');
        await stillWorks(pair.peer, pair.local, 'a messageerror at the peer, the other way');
      });

      const real = messageError.real;
      if (!applies(real)) {
        test.skip(`a real one: not applicable: ${real.notApplicable}`, () => {});
        return;
      }
      test('a real one (a message nested too deep to deserialize here): reported, the transport stays usable', async () => {
        const pair = await started();
        await real(pair);
        await until(() => pair.local.log.problems.length > 0, 'the lost message report');
        expect(pair.local.log.problems[0].message).toMatch(/could not be deserialized/);
        await stillWorks(pair.peer, pair.local, 'a real messageerror');
        expect(pair.local.log.messages).toHaveLength(1);
      });
    });

    describe('start()', () => {
      test('start() twice throws, on both ends', async () => {
        const { local, peer } = await started();
        for (const end of [local, peer]) {
          expect(await end.startAgain()).toEqual(
            expect.objectContaining({ message: expect.stringMatching(/start\(\) was already called/) }),
          );
        }
        await stillWorks(local, peer, 'start() twice');
      });

      const early = (late: 'local' | 'peer') => async () => {
        const pair = await track(harness.open());
        const sender = late === 'local' ? pair.peer : pair.local;
        const receiver = pair[late];
        await sender.start();
        await sender.sendMany('early', 50);
        // No event says the messages reached an end that is not started: give them time.
        await quiet(200);
        await receiver.start();
        await until(() => receiver.log.messages.length === 50, 'the early messages');
        expect(receiver.log.messages).toEqual(Array.from({ length: 50 }, (_, i) => ({ tag: 'early', i })));
        await stillWorks(receiver, sender, 'a late start()');
      };
      test('messages that arrive here before start() are delivered after it, in order', early('local'));
      test('messages sent to the peer before its start() are delivered after it, in order', early('peer'));
    });
  });
}
