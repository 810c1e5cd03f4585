/**
 * The fuzz target's replays (test/fixtures/remote/fuzz_target.js): a message that took longer
 * than the slow bound on the wall clock is handled again (a duplicate to the session) to tell a busy machine
 * from a slow handler, and its seq goes into `probe().replayed`, for which the hostile peer then
 * expects one more answer on the transport. So every copy's answer must go out on the transport,
 * references and all. Before the fix a synchronous request's copy was answered into a no-op:
 * on a loaded machine the worker-sync fuzzer failed with "seq N: 0 answers, expected 1" for a
 * sync request that had its answer (and a copy that exported something left it pinned).
 * A scripted clock makes the slowness deterministic.
 */
import * as remote from '../../../src/ts/remote';
import type { Transport, TransportHandlers, WireMessage } from '../../../src/ts/remote/transport';

interface FuzzTarget {
  serve(transport: Transport): unknown;
  probe(): { replayed: number[]; stats: { objects: number; references: number } | undefined };
  dispose(): void;
}
const { createFuzzTarget } = require('../../fixtures/remote/fuzz_target.js') as {
  createFuzzTarget(r: typeof remote, options: { now: () => number; slowMs?: number }): FuzzTarget;
};

/** A clock on which each timed run takes 1 ms, except the next one after `slowNext()`. */
class ScriptedClock {
  private t = 0;
  private started = false;
  private nextRunMs = 1;

  /** The target's clock: it reads it once before and once after each run. */
  readonly now = (): number => {
    if (this.started) {
      this.t += this.nextRunMs;
      this.nextRunMs = 1;
    }
    this.started = !this.started;
    return this.t;
  };

  slowNext(): void {
    this.nextRunMs = 150;
  }
}

/** The peer's end, in this thread: what the session sends asynchronously lands in `sent`. */
class RecordingPeer {
  readonly sent: WireMessage[] = [];
  private handlers: TransportHandlers | undefined;
  readonly transport: Transport = {
    kind: 'recording',
    clone: true,
    start: (handlers) => {
      this.handlers = handlers;
    },
    send: (message) => {
      this.sent.push(message);
    },
    close: () => {},
  };

  post(message: WireMessage): void {
    this.handlers!.message(message);
  }

  /** A synchronous request: the answer given in place. */
  request(message: WireMessage): WireMessage | undefined {
    let answer: WireMessage | undefined;
    this.handlers!.message(message, (a) => {
      answer = a;
    });
    return answer;
  }

  answersTo(seq: number): WireMessage[] {
    return this.sent.filter((m) => (m.op === 'result' || m.op === 'error') && m.seq === seq);
  }
}

/** The id in a `ref` value of an answer, or undefined. */
function refOf(answer: WireMessage | undefined): number | undefined {
  const value = answer?.value as { $?: unknown; id?: unknown } | undefined;
  return value?.$ === 'ref' && typeof value.id === 'number' ? value.id : undefined;
}

let clock: ScriptedClock;
let peer: RecordingPeer;
let target: FuzzTarget;
let tools: number;

beforeEach(() => {
  clock = new ScriptedClock();
  peer = new RecordingPeer();
  // The bound the scripted times are written against, whatever FUZZ_SLOW_MS says (the ASan run).
  target = createFuzzTarget(remote, { now: clock.now, slowMs: 100 });
  target.serve(peer.transport);
  peer.post({ op: 'hello', seq: 1, protocol: remote.PROTOCOL_NAME, version: remote.PROTOCOL_VERSION });
  peer.post({ op: 'require', seq: 2, name: 'tools' });
  tools = refOf(peer.answersTo(2)[0])!;
  expect(tools).toBeGreaterThan(0);
});

afterEach(() => target.dispose());

test('a slow synchronous request gets its answer in place, and its copy one on the transport for each replayed seq', () => {
  clock.slowNext();
  const answer = peer.request({ op: 'call', seq: 3, target: tools, path: ['thisOf'], args: [] });
  expect(answer).toMatchObject({ op: 'result', seq: 3, value: 'tools' });
  const { replayed } = target.probe();
  expect(replayed).toEqual([3]);
  expect(peer.answersTo(3)).toHaveLength(replayed.length);
});

test('what the copy of a slow synchronous request exports reaches the peer, which can give it all back', () => {
  clock.slowNext();
  const answer = peer.request({ op: 'get', seq: 3, target: tools, path: ['fire'] });
  const fire = refOf(answer)!;
  expect(fire).toBeGreaterThan(0);
  const receipts = [answer, ...peer.answersTo(3)].filter((a) => refOf(a) === fire).length;
  // The tools module was required once: one receipt of it.
  peer.post({ op: 'free', e: [[fire, receipts], [tools, 1]] });
  expect(target.probe().stats).toMatchObject({ objects: 0, references: 0 });
});
