/**
 * Just enough Markdown for the link tests: the link targets of a document (code blocks and code
 * spans excluded, where brackets are not links) and the anchors GitHub and npm give its headings.
 */

/** The text with fenced code blocks blanked out, line count kept for messages. */
function withoutCodeBlocks(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined && opening) {
      fence = opening[1];
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
}

export interface Link {
  target: string;
  line: number;
}

/** Inline links and images, reference definitions and HTML href/src attributes. */
export function links(text: string): Link[] {
  const found: Link[] = [];
  withoutCodeBlocks(text).forEach((raw, index) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, '');
    const patterns = [
      /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
      /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g,
      /\b(?:href|src)="([^"]+)"/g,
    ];
    for (const pattern of patterns) {
      for (const match of line.matchAll(pattern)) found.push({ target: match[1], line: index + 1 });
    }
  });
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/<[^>]+>/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a document's headings make, with -1, -2 … for repeated headings. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of withoutCodeBlocks(text)) {
    const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}
