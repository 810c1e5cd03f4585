// Every figure block the docs may hold, and filling a document's blocks from the results files.
import { benchBlocks } from './bench-blocks.mjs';
import { blockNames, fillBlocks } from './markers.mjs';
import { packageBlocks } from './package-blocks.mjs';
import { runtimeBlocks } from './runtime-blocks.mjs';
import { timingBlocks } from './timing-blocks.mjs';

export const BLOCKS = { ...benchBlocks, ...runtimeBlocks, ...packageBlocks, ...timingBlocks };

/** The documents whose blocks are generated. */
export const DOCUMENTS = ['README.md', 'docs/leak-testing.md'];

/** `text` with its figure blocks drawn from the results files. Unknown block names are errors. */
export function render(text, documentName) {
  const unknown = blockNames(text).filter((name) => !(name in BLOCKS));
  if (unknown.length > 0) {
    throw new Error(`${documentName}: unknown figure block(s) ${unknown.join(', ')}; known: ${Object.keys(BLOCKS).join(', ')}`);
  }
  return fillBlocks(text, (name) => BLOCKS[name]());
}
