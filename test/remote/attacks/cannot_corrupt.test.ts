/**
 * docs/security.md: a hostile peer cannot corrupt data. Bytes become the same messages however
 * the peer cuts them into reads, and decoded values are built by defining their keys, never by
 * assigning them.
 */
import fc from 'fast-check';
import { frameOfSize, trickledStream } from './trickle';

describe('a stream peer that cuts its frames into reads of any sizes', () => {
  test('delivers every message intact and in order (small reads are gathered, large ones kept)', () => {
    const readSizes = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 4000, max: 20_000 }));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 30, max: 40_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(readSizes, { minLength: 1, maxLength: 50 }),
        (frameSizes, sizes) => {
          const frames = frameSizes.map((size, i) => {
            const frame = frameOfSize(size);
            frame.fill(0x61 + (i % 26), 4 + 19, frame.length - 2); // tell the frames apart
            return frame;
          });
          const bytes = Buffer.concat(frames);
          const { emitter, messages } = trickledStream();
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = sizes[i % sizes.length];
            emitter.emit('data', bytes.subarray(at, at + size));
            at += size;
          }
          expect(messages).toEqual(frames.map((frame) => JSON.parse(frame.subarray(4).toString())));
        },
      ),
      { numRuns: 150 },
    );
  });
});
