// How a token file holds its mytoken: --MT-file files on their first line (what follows is kept),
// files found by WLCG discovery as their whole text.

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
