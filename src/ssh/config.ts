// The host entry the server suggests for the ssh grant, appended to ~/.ssh/config.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Appends `entry` to HOME/.ssh/config (the folder is created with mode 0700, the file with 0600
 * when missing). Returns the file written, or throws the file system's error.
 */
export function appendHostEntry(home: string, entry: string): string {
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
