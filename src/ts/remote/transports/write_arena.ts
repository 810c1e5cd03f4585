/**
 * Memory for outgoing frames on sockets, used again once the socket has written them.
 *
 * A frame must be a copy made before `send` returns (the caller may change its Buffer right
 * after), and msgpackr makes that copy into fresh memory each time a frame does not fit what it
 * has: for a megabyte, touching the fresh pages costs about twice the copy itself. The arena is
 * memory already touched. Frames are written one after another into it; each is lent to the
 * socket until the socket's write callback, and when no frame is lent the arena starts over from
 * its beginning. A frame that does not fit (the arena is busy, or too small) is written as
 * before, into memory of its own, and the arena grows, while nothing is lent, to hold two frames
 * of that size (a request and its answer may both be in flight), up to MAX_ARENA_BYTES.
 *
 * Only for streams whose write callback means the bytes were handed to the kernel or copied
 * (`net.Socket`, `tls.TLSSocket`): a stream in memory (a PassThrough pair) may hold a written
 * chunk, or give it to the reader as it is, long after its callback, and must own its frames.
 *
 * One arena per thread, shared by its sockets: a socket whose peer does not read keeps its frames
 * lent, and the others then write into memory of their own, as without the arena, until the
 * backlog closes that socket (its writes then fail and are given back).
 *
 * Memory kept: up to KEEP_BYTES for good. A larger arena (grown for large frames, at most
 * MAX_ARENA_BYTES) is held only through a WeakRef while no frame is lent, so a thread that has
 * stopped sending large frames gets its memory back at the next full garbage collection; a
 * thread that keeps sending them finds it still there and pays nothing.
 */
import { WeakRef, type Uint8Array } from '../builtins';
import type { FrameArena } from '../codec/frames';

const FIRST_BYTES = 64 * 1024;
/** The most memory the arena keeps: larger frames are written into memory of their own. */
export const MAX_ARENA_BYTES = 4 * 1024 * 1024;
/** The most memory the arena holds on to while idle; above it, only weakly. */
export const KEEP_BYTES = 256 * 1024;
const EMPTY = Buffer.alloc(0);
/** Below this much room msgpackr would start a new buffer anyway, so the arena is not offered. */
const MIN_ROOM = 4096;

export class WriteArena implements FrameArena {
  /** A Buffer: msgpackr writes strings with Buffer methods when it runs in Node.js. */
  bytes: Uint8Array = EMPTY;
  used = 0;
  /** Frames written into `bytes` that the stream has not given back yet. */
  private lent = 0;
  /** The largest frame that did not fit, for the next size of the arena. */
  private wanted = 0;
  /** An arena over KEEP_BYTES while idle (then `bytes` is empty): the collector may take it. */
  private idle: WeakRef<Uint8Array> | undefined;
  private idleLength = 0;

  /** Gives back one frame; the callback of a write that was `taken`. */
  private readonly giveBack = (): void => {
    if (--this.lent !== 0) return;
    this.used = 0;
    if (this.bytes.length > KEEP_BYTES) {
      this.idle = new WeakRef(this.bytes);
      this.idleLength = this.bytes.length;
      this.bytes = EMPTY;
    }
  };

  /** The arena to encode the next frame into, or undefined when it has too little room. */
  lend(): FrameArena | undefined {
    if (this.lent === 0) {
      if (this.idle !== undefined) this.wake();
      if (this.wanted > 0) this.grow();
    }
    return this.bytes.length - this.used >= MIN_ROOM ? this : undefined;
  }

  /** How many bytes the arena holds on to for good (a weakly held idle arena not counted). */
  get keptBytes(): number {
    return this.bytes.length;
  }

  /**
   * After encoding `frame` (with or without the arena): the callback to pass to the stream's
   * write when the frame is in the arena, else undefined.
   */
  taken(frame: Uint8Array): (() => void) | undefined {
    if (frame.buffer === this.bytes.buffer) {
      this.lent++;
      return this.giveBack;
    }
    if (frame.length > this.wanted && this.bytes.length < MAX_ARENA_BYTES) this.wanted = frame.length;
    return undefined;
  }

  /** Takes back the idle arena, or, if it was collected, makes one as large. */
  private wake(): void {
    this.bytes = this.idle!.deref() ?? Buffer.alloc(this.idleLength);
    this.idle = undefined;
  }

  /** Replaces the arena by a larger one; only while nothing is lent. */
  private grow(): void {
    const want = Math.min(MAX_ARENA_BYTES, 2 * (this.wanted + MIN_ROOM));
    this.wanted = 0;
    if (want <= this.bytes.length) return;
    let size = Math.max(FIRST_BYTES, this.bytes.length);
    while (size < want) size *= 2;
    this.bytes = Buffer.alloc(Math.min(size, MAX_ARENA_BYTES));
    this.used = 0;
  }
}

let arena: WriteArena | undefined;

/** This thread's arena, made on first use. */
export function writeArena(): WriteArena {
  return (arena ??= new WriteArena());
}
