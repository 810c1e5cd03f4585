/**
 * Messages the frame decoder vouches for. A message decodeFrame made, with no binary value left as
 * a view of its frame, is plain trees by construction: every container a new plain object (keys
 * defined as own properties) or a dense array, nothing named twice, only the kinds a frame can
 * hold. A clone in it needs no check beyond its depth, and the decoder knows how deep the whole
 * message nests. Only decodeFrame vouches, for objects it made itself; nothing a peer sends can.
 *
 * No Node.js built-ins: browsers run the frame decoder too.
 */
import { WeakMap } from '../builtins';

const depths = new WeakMap<object, number>();

/** Records that decodeFrame made `message`, a plain tree whose containers nest `depth` deep. */
export function vouchPlainFrame(message: object, depth: number): void {
  depths.set(message, depth);
}

/**
 * How deep `message` nests, if the frame decoder vouched for it; otherwise undefined. The vouch
 * holds once: the values decoded from the message are the application's from then on, and it may
 * change them, so a message decoded again is checked like any other.
 */
export function takePlainFrameDepth(message: object): number | undefined {
  const depth = depths.get(message);
  if (depth !== undefined) depths.delete(message);
  return depth;
}
