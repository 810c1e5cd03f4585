/**
 * Junk a peer can put on each kind of wire, for the malformed-input tests of the conformance
 * suite. Every item must be dropped; the comments say which ones the receiving transport can
 * tell were meant for it (and so must report through `problem`).
 */

/** Posted on a port: none is a protocol message (an object), all are reported. */
export const NOT_OBJECTS: readonly unknown[] = [5, 'text', null, undefined, true, [1, 2]];

/** Posted on a sync channel's port: not envelopes, or envelopes of something that is not an object; all reported. */
export const BAD_SYNC_ENVELOPES: readonly unknown[] = [
  ...NOT_OBJECTS,
  { x: 1 },
  { m: 5 },
  { m: null },
  { m: [1] },
  { m: 'text' },
];

/** Sent on a child-process IPC channel: the first ones carry our tag (reported), the rest are other traffic. */
export const IPC_JUNK = {
  tagged: [
    { weakwire: 'weakwire', message: 5 },
    { weakwire: 'weakwire', message: 'text' },
    { weakwire: 'weakwire', message: null },
    { weakwire: 'weakwire', message: [1, 2] },
    { weakwire: 'weakwire' },
    { weakwire: 'weakwire', close: 'not true' },
  ],
  other: [{ weakwire: 'another-channel', message: { op: 'x' } }, { app: 'unrelated' }, 'text', 42, null],
};

/**
 * Electron envelopes on the weakwire channel. `n: '<nonce>'` is the receiving transport's own
 * nonce (filled in by whoever sends): those can be told to be meant for it (reported).
 */
export const ELECTRON_JUNK = {
  ours: (nonce: string): unknown[] => [
    { k: 'msg', n: nonce, m: 5 },
    { k: 'msg', n: nonce, m: null },
    { k: 'msg', n: nonce, m: [1] },
    { k: 'msg', n: nonce },
    { k: 'bogus', n: nonce, m: {} },
  ],
  others: [
    { k: 'msg', n: 'not-a-nonce', m: {} },
    { k: 'msg', n: 'f'.repeat(32), m: {} },
    { k: 'msg', n: 42, m: {} },
    'text',
    null,
    5,
  ] as unknown[],
};

/** Frame payloads a stream peer can send that are not messages: all reported. */
export const BAD_FRAME_PAYLOADS: readonly Buffer[] = [
  // JSON text, not MessagePack
  Buffer.from('{"op":'),
  // a map cut short, a string that is not UTF-8, an array, a number, nil, nothing
  Buffer.from([0x82, 0xa2, 0x6f, 0x70]),
  Buffer.from([0x81, 0xa1, 0x61, 0xa2, 0xff, 0xfe]),
  Buffer.from([0x92, 1, 2]),
  Buffer.from([0x2a]),
  Buffer.from([0xc0]),
  Buffer.alloc(0),
  // an extension (msgpackr's would build a class named by the peer), a key that is not a string
  Buffer.from([0x81, 0xa1, 0x61, 0xd5, 0x65, 0, 0]),
  Buffer.from([0x81, 0x01, 0x02]),
  // an array announcing 4 billion items, a map with bytes after it
  Buffer.from([0x81, 0xa1, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff]),
  Buffer.from([0x80, 0x00]),
];

export { frameOf } from '../frames';
