// Helpers for the cache-guard tests (issue 11.5): folders every local user can write to, files
// another user (OTHER_UID, through asOtherUser) made, and listings that show what changed below a
// folder. Tests run as root, so every step of the other user goes through asOtherUser.
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { asOtherUser } from './helpers.mjs';

const made: string[] = [];

/** A fresh folder every user may create entries in, like /tmp (ours, mode 1777). */
export function sharedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mytoken-shared-'));
  chmodSync(dir, 0o1777);
  made.push(dir);
  return dir;
}

/** Deletes the folders made by sharedFolder(), with whatever the other user left in them. */
export function removeSharedFolders(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A string quoted for sh. */
export const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Has the other user write `content` to `file`, making its folders as needed (so they are theirs):
 * returns `file`. The content is handed over through a readable file in a shared folder.
 */
export function plantAs(file: string, content: string | Buffer): string {
  const staged = join(sharedFolder(), 'staged');
  writeFileSync(staged, content, { mode: 0o644 });
  chmodSync(staged, 0o644);
  asOtherUser(`mkdir -p ${q(dirname(file))} && cp ${q(staged)} ${q(file)}`);
  return file;
}

/** A file of the other user's with `content`, in a shared folder (to be moved or linked elsewhere). */
export function otherUsersFile(content: string | Buffer): string {
  return plantAs(join(sharedFolder(), 'theirs'), content);
}

/**
 * Lets other users pass through (not list, not write) the folders from tmpdir down to `file`'s
 * (mode 0711: still the user's own), so they can reach a file there that they may write to.
 */
export function letOthersThrough(file: string): void {
  for (let dir = dirname(file); dir.startsWith(`${tmpdir()}/`); dir = dirname(dir)) chmodSync(dir, 0o711);
}

/** Every entry below `dir` as "path uid mode" (symlinks not followed), sorted: shows any change. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(`${relative(dir, p)} ${st.uid} ${(st.mode & 0o7777).toString(8)} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}
