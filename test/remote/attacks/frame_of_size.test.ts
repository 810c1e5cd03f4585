/** The attack tests' frame builder makes a frame of every size they ask for. */
import { frameOfSize } from './trickle';

test('frameOfSize gives a frame of exactly the size asked, around every string size class', () => {
  // MessagePack strings change head size at 32, 256 and 65,536 bytes.
  const sizes = [];
  for (let size = 30; size <= 320; size++) sizes.push(size);
  for (let size = 65_530; size <= 65_580; size++) sizes.push(size);
  for (const size of sizes) expect(frameOfSize(size).length).toBe(size);
});
