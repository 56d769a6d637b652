// What a mytoken's text may be, and how a token file holds it: --MT-file files on their first line
// (what follows is kept), files found by WLCG discovery as their whole text.
import { LIMITS } from '../safefs.js';

/** How a token file is laid out: the first line (--MT-file) or the whole file trimmed (WLCG). */
export type TokenFileFormat = 'first-line' | 'trimmed';

/**
 * What keeps `token` from being a mytoken as text (one word of printable ASCII, at most 16 KiB),
 * said exactly ("ends with a space", "has a tab at character 12"), or undefined when nothing does.
 * The token itself is never part of the answer.
 */
export function tokenTextProblem(token: string): string | undefined {
  if (token.length > LIMITS.token) return `is longer than ${LIMITS.token / 1024} KiB, too long for a mytoken`;
  const i = token.search(/[^\x21-\x7e]/);
  if (i < 0) return undefined;
  const c = token.charCodeAt(i);
  const what =
    c === 0x20 ? 'a space' : c === 0x09 ? 'a tab' : c === 0x0a ? 'a line break' : c === 0x0d ? 'a carriage return (CR)' : c < 0x20 || c === 0x7f ? 'a control character' : 'a character that is not ASCII';
  if (i === 0) return `starts with ${what}`;
  if (i === token.length - 1) return `ends with ${what}`;
  return `has ${what} at character ${i + 1}`;
}

/** The token in a token file's text, or why there is none (and the text problem, if that is why). */
export function tokenIn(text: string, format: TokenFileFormat): { token: string } | { why: string; problem?: string } {
  const token = format === 'first-line' ? firstLine(text) : text.trim();
  if (!token) return { why: format === 'first-line' ? 'holds no mytoken (its first line is empty)' : 'holds no mytoken (it is empty)' };
  const problem = tokenTextProblem(token);
  if (problem) return { why: `holds no usable mytoken: its ${format === 'first-line' ? 'first line' : 'text'} ${problem}`, problem };
  return { token };
}

/** The first line of a token file, without its line break (a CR before it is dropped too). */
export function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl === -1 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** `text` with its first line replaced by `token`: the rest of the file is kept. */
export function replaceFirstLine(text: string, token: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? token : token + text.slice(nl);
}
