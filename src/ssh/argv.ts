// The command line of the system ssh client for a request of the ssh grant (spec cli.md 11.1, with
// the value of --ssh split into words and the payload sent base64-encoded).
import { UsageError } from '../errors.js';

/**
 * Splits a --ssh value into words as a POSIX shell would (spaces, '…', "…", backslash), so that
 * `-p 2222 -i ~/.ssh/key user@host` works. A leading `~/` in a word becomes HOME.
 */
export function splitSshValue(value: string, home?: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < value.length && '"\\$`'.includes(value[i + 1]!)) word += value[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 < value.length) word += value[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`--ssh: the quote ${quote} in '${value}' is not closed`);
  if (inWord) words.push(word);
  if (!words.length) throw new UsageError('--ssh is empty', 'give a host from ~/.ssh/config, or ssh arguments such as "-p 2222 user@host"');
  return home ? words.map((w) => (w.startsWith('~/') ? `${home}${w.slice(1)}` : w)) : words;
}

/** The arguments for `ssh`: the --ssh words, the request name, and the payload as base64 JSON. */
export function sshArgs(target: string[], request: string, payload?: unknown): string[] {
  const args = [...target, request];
  if (payload !== undefined) args.push('application/json;base64', Buffer.from(JSON.stringify(payload)).toString('base64'));
  return args;
}
