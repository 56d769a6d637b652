// Token files: atomic writes (temp file + rename) and the first-line layout of --MT-file files.
import { closeSync, fchmodSync, fchownSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface WriteOptions {
  /** mode of a new file; default 0600 */
  mode?: number;
  /** create the folder (0700) when missing */
  mkdir?: boolean;
  /** keep the mode (and, when running as root, the owner) of the file being replaced */
  keepMode?: boolean;
  /**
   * flush to disk before the rename (true, the default: after a crash of the machine the file
   * holds the old text or the new), after it ('after-rename': the new text is in place as soon as
   * possible, for a process killed a moment later), or not at all (false)
   */
  sync?: boolean | 'after-rename';
}

/**
 * Writes `data` to `path` so that readers see the old content or the new, never a part: a temp
 * file in the same folder, flushed, then renamed over the target (a symlink there is replaced,
 * not followed: callers pass the real path of a file they mean to rewrite). Throws the file
 * system's error; the target is untouched then.
 */
export function writeFileAtomic(path: string, data: string, opts: WriteOptions = {}): void {
  const dir = dirname(path);
  if (opts.mkdir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let keep: { mode: number; uid: number; gid: number } | undefined;
  if (opts.keepMode) {
    try {
      const st = statSync(path);
      keep = { mode: st.mode & 0o777, uid: st.uid, gid: st.gid };
    } catch {
      /* a new file */
    }
  }
  // node:crypto is loaded here, on a write, not at every start
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
  try {
    if (keep) {
      fchmodSync(fd, keep.mode);
      if (process.geteuid?.() === 0) fchownSync(fd, keep.uid, keep.gid);
    }
    writeSync(fd, data);
    if (opts.sync === undefined || opts.sync === true) fsyncSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    unlinkQuietly(tmp);
    throw e;
  }
  try {
    if (opts.sync === 'after-rename') fsyncSync(fd);
  } catch {
    /* in place already; only the flush failed */
  } finally {
    closeSync(fd);
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
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
