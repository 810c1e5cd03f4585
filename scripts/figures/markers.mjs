// Figure blocks in Markdown: `<!-- figures:NAME -->…<!-- /figures:NAME -->`. What is between the
// two comments belongs to the generator; everything outside them is prose that people write. A
// block whose opening comment ends its line is a block of lines; otherwise it is inline text.

const BLOCK = /<!-- figures:([a-z0-9-]+) -->([\s\S]*?)<!-- \/figures:\1 -->/g;

/** Names of the blocks in `text`, in order. */
export function blockNames(text) {
  return [...text.matchAll(BLOCK)].map((match) => match[1]);
}

/** `text` with every block's content replaced by `render(name)`. */
export function fillBlocks(text, render) {
  return text.replace(BLOCK, (_whole, name, inner) => {
    const body = render(name);
    return inner.startsWith('\n')
      ? `<!-- figures:${name} -->\n${body}\n<!-- /figures:${name} -->`
      : `<!-- figures:${name} -->${body}<!-- /figures:${name} -->`;
  });
}
