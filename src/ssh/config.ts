// The host entry the server suggests for the ssh grant, appended to ~/.ssh/config.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { hostEntryProblem } from './host-entry.js';

/**
 * Appends `entry` to HOME/.ssh/config (the folder is created with mode 0700, the file with 0600
 * when missing). Returns the file written, or throws the file system's error. The caller has
 * checked the entry with hostEntryProblem and `home` (an absolute path); both are checked again
 * here, so that nothing else can reach the file: a relative HOME would write ./.ssh/config.
 */
export function appendHostEntry(home: string, entry: string): string {
  if (!isAbsolute(home)) throw new Error(`appendHostEntry: HOME (${JSON.stringify(home)}) is not an absolute path`);
  const problem = hostEntryProblem(entry);
  if (problem) throw new Error(`appendHostEntry: the entry is not safe (line ${problem.line}: ${problem.why})`);
  const dir = join(home, '.ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'config');
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, `\n${entry}\n`);
  } finally {
    closeSync(fd);
  }
  return file;
}
