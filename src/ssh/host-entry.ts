// The host entry a server sends for the ssh grant (`ssh_host_config`, spec server-api.md 6.6),
// checked before it goes into ~/.ssh/config: the server writes into a file that ssh obeys, so only
// what such an entry needs is let through. A hostile or broken server could otherwise add
// ProxyCommand or LocalCommand (commands run on every ssh), Include or Match, a `Host *` or
// `Host github.com` that redirects other connections, or escape sequences for the terminal.

/** What the spec's entry holds: `Host mytoken[-<key name>]`, HostName, Port, User; comments. */
const KEYS: Readonly<Record<string, { name: string; value: RegExp; what: string }>> = {
  host: { name: 'Host', value: /^mytoken(-[A-Za-z0-9._-]+)?$/, what: 'one name, mytoken or mytoken-<key name> (letters, digits, . _ -), no patterns' },
  hostname: { name: 'HostName', value: /^[A-Za-z0-9:][A-Za-z0-9.:-]*$/, what: 'one host name or IP address' },
  port: { name: 'Port', value: /^[1-9][0-9]{0,4}$/, what: 'a port number (1-65535)' },
  user: { name: 'User', value: /^[A-Za-z0-9._][A-Za-z0-9._-]*$/, what: 'one user name (letters, digits, . _ -)' },
};

/** Longer entries are refused: the spec's is about 200 bytes. */
export const MAX_HOST_ENTRY = 4096;

export interface HostEntryProblem {
  /** 1-based line of the entry; 0 for the entry as a whole */
  line: number;
  /** that line, shown safely (see showLine) */
  text: string;
  why: string;
}

/**
 * A line for the terminal: control and non-ASCII characters as \xNN / \u{…} (tabs as \t unless
 * `tabs` is set), cut to 100 characters.
 */
export function showLine(line: string, tabs = false): string {
  const hex = (c: string) => {
    const n = c.codePointAt(0)!;
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  };
  const safe = line.replace(/[^\x20-\x7e]/gu, (c) => (c !== '\t' ? hex(c) : tabs ? c : '\\t'));
  return safe.length > 100 ? `${safe.slice(0, 100)}…` : safe;
}

/** The entry for the terminal: every line shown safely (tabs kept), each indented by two spaces. */
export function showEntry(entry: string): string {
  const lines = entry.slice(0, MAX_HOST_ENTRY).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `  ${showLine(l, true)}\n`).join('') + (entry.length > MAX_HOST_ENTRY ? '  …\n' : '');
}

/**
 * Why `entry` must not go into ~/.ssh/config, or undefined when it may: only comments, blank lines
 * and `Key value` (or `Key=value`) lines; the first key is `Host`, once; then HostName, Port and
 * User, each at most once, each value one word of the characters KEYS allows (no spaces, quotes,
 * `%` tokens or `${}`); printable ASCII and tabs only.
 */
export function hostEntryProblem(entry: string): HostEntryProblem | undefined {
  if (entry.length > MAX_HOST_ENTRY) return { line: 0, text: '', why: `it is longer than ${MAX_HOST_ENTRY} characters` };
  const lines = entry.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const seen = new Set<string>();
  for (const [n, line] of lines.entries()) {
    const at = (why: string): HostEntryProblem => ({ line: n + 1, text: showLine(line), why });
    if (/[^\t\x20-\x7e]/.test(line)) return at('it holds a control character or a character that is not ASCII');
    if (/^[ \t]*(#|$)/.test(line)) continue;
    const m = /^[ \t]*([A-Za-z]+)(?:[ \t]*=[ \t]*|[ \t]+)(.*?)[ \t]*$/.exec(line);
    if (!m) return at('it is not a "Key value" line');
    const [, rawKey, value] = m as unknown as [string, string, string];
    const key = KEYS[rawKey.toLowerCase()];
    if (!key) return at(`${rawKey} is not allowed in the entry (only ${Object.values(KEYS).map((k) => k.name).join(', ')})`);
    if (seen.size === 0 && key.name !== 'Host') return at(`${key.name} comes before the Host line, so it would apply to other hosts`);
    if (seen.has(key.name)) return at(`${key.name} is given twice${key.name === 'Host' ? ' (a second host entry)' : ''}`);
    seen.add(key.name);
    if (!key.value.test(value) || (key.name === 'Port' && Number(value) > 65535)) return at(`${key.name} must be ${key.what}`);
  }
  if (!seen.has('Host')) return { line: 0, text: '', why: 'it has no Host line' };
  return undefined;
}
