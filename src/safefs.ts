// The client's file-system rules: reading files it does not control with limits, telling whether a
// file or folder is the user's own, and writing files atomically. Nothing here prints or exits;
// problems are thrown as FileProblem (for the caller to name the flag or file) or answered as a
// reason string.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, statSync, type Stats, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Why a file could not be read safely: `why` completes a sentence "FILE ...". */
export class FileProblem extends Error {
  readonly code: string;
  readonly why: string;
  constructor(code: string, why: string) {
    super(why);
    this.code = code;
    this.why = why;
  }
}

/** File-system errors in words, for messages (the code itself where there are none). */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EFBIG: 'the file is too large',
  EBADF: 'it is not open for writing',
};

/** Why a file-system call failed, in words: the text for its code, else the code, else the message. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return ERRNO_TEXT[code] ?? (code || ((e as Error)?.message ?? String(e)));
}

/** Size limits for what the client reads. */
export const LIMITS = {
  /** a file holding a mytoken (the token is its first line; more lines are kept) */
  tokenFile: 64 * 1024,
  /** one mytoken, as read or as answered by a server */
  token: 16 * 1024,
  /** the config file */
  config: 1024 * 1024,
  /** a JSON file (--restrictions, --rotation, --profile) */
  jsonFile: 1024 * 1024,
  /** a server's reply body */
  reply: 8 * 1024 * 1024,
  /** nesting of JSON arrays and objects the user gives */
  jsonDepth: 64,
  /** nesting of JSON arrays and objects in a server's reply (a tree of sub-tokens is deeper) */
  replyDepth: 256,
} as const;

/** The effective user id, or -1 where there is none (Windows). */
export function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

const DEV_NULL_RDEV = (1 << 8) | 3;

function kindOf(st: Stats): string | undefined {
  if (st.isFIFO()) return 'is a named pipe (FIFO), not a file';
  if (st.isSocket()) return 'is a socket, not a file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device, not a file';
  if (st.isDirectory()) return 'is a directory, not a file';
  return undefined;
}

function sizeText(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${n / 1024} KiB`;
}

export interface ReadOptions {
  /** refuse a file larger than this many bytes */
  maxBytes: number;
  /** do not follow a symlink at the path itself */
  noFollow?: boolean;
  /** require the checks of ownProblem (owner, not writable by others, one name) */
  own?: boolean;
}

/**
 * Reads a regular file as UTF-8, at most `maxBytes` of it: a FIFO, socket, device or folder is
 * refused without blocking on it (/dev/null reads as empty), and a file that is (or grows) larger
 * than the limit is refused instead of read on. Throws FileProblem; the code of a failed open
 * (ENOENT, EACCES, ELOOP for a refused symlink) is kept.
 */
export function readLimited(path: string, opts: ReadOptions): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const why: Record<string, string> = {
      ENOENT: 'does not exist',
      EACCES: 'cannot be read (permission denied)',
      ELOOP: 'is a symbolic link, which is not followed here',
      EISDIR: 'is a directory, not a file',
    };
    throw new FileProblem(code, why[code] ?? `cannot be read (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV) return '';
    const kind = kindOf(st);
    if (kind) throw new FileProblem('ENOTREG', kind);
    if (opts.own) {
      const why = ownProblem(st);
      if (why) throw new FileProblem('ENOTOWN', why);
    }
    if (st.size > opts.maxBytes) throw new FileProblem('E2BIG', `is larger than ${sizeText(opts.maxBytes)}`);
    // read to the end, but never more than the limit (a file can grow, /proc files say size 0)
    const buf = Buffer.allocUnsafe(opts.maxBytes + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len > opts.maxBytes) throw new FileProblem('E2BIG', `is larger than ${sizeText(opts.maxBytes)}`);
    }
    return buf.toString('utf8', 0, len);
  } finally {
    closeSync(fd);
  }
}

/**
 * Why a file or folder (as stat or lstat saw it) is not safely the user's own, or undefined when it
 * is: owned by another user, writable by group or others, or (for a file) a second name of a file
 * (a hard link another user could have made).
 */
export function ownProblem(st: Stats, uid = euid()): string | undefined {
  if (uid < 0) return undefined; // no POSIX owners and modes (Windows): nothing to go by
  if (st.uid !== uid) return `belongs to another user (uid ${st.uid})`;
  if (st.mode & 0o022) return `can be changed by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  if (!st.isDirectory() && st.nlink > 1) return `has ${st.nlink} names (hard links)`;
  return undefined;
}

/** Whether `path` is a folder of the user's own: not a symlink, owned by the user, not writable by others. */
export function isOwnFolder(path: string, uid = euid()): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && !ownProblem(st, uid);
  } catch {
    return false;
  }
}

/** A token as servers and files must give it: one line of printable ASCII, not too long. */
export function isTokenText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= LIMITS.token && /^[\x21-\x7e]+$/.test(v);
}

/**
 * Where text first opens an array or object (`[`, `{`) more than `max` levels deep (an index into
 * `text`), or -1. One pass, no recursion; brackets inside double-quoted strings (escapes
 * included) do not count, and a closing bracket with nothing open is passed over. For JSON, and
 * for YAML's flow style as a conservative count (its comments and single-quoted strings count).
 */
export function jsonDepthIndex(text: string, max: number = LIMITS.jsonDepth): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return i;
    } else if ((c === 0x5d /* ] */ || c === 0x7d) /* } */ && depth > 0) {
      depth--;
    }
  }
  return -1;
}

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
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: WriteOptions = {}): void {
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
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
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

/** Writes all of `data` to `fd` (one write may take less than it was given; a full non-blocking pipe is waited out). */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < bytes.length; ) {
    let n: number;
    try {
      n = writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking pipe or terminal that is full for now
      throw e;
    }
    if (n <= 0) throw Object.assign(new Error('the file system took no more bytes'), { code: 'EIO' });
    off += n;
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
