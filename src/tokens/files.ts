// Token files: atomic writes (temp file + rename, mode 0600) and an exclusive lock per file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` so that readers see the old content or the new, never a part: a temp
 * file in the same folder, flushed, then renamed over the target (a symlink there is replaced,
 * not followed). Throws the file system's error; the target is untouched then.
 */
export function writeFileAtomic(path: string, data: string, opts: { mode?: number; mkdir?: boolean } = {}): void {
  const dir = dirname(path);
  if (opts.mkdir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // node:crypto is loaded here, on a write, not at every start
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuietly(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkQuietly(tmp);
    throw e;
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

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FileLock {
  release(): void;
}

/** The lock file that guards `path`. */
export function lockPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.lock`);
}

/**
 * Takes the exclusive lock that guards `path` (a lock file created with O_EXCL holding our pid),
 * waiting while another live process holds it. A lock left by a process that no longer runs is
 * broken. Resolves to undefined when no lock can be created there at all (read-only folder).
 */
export async function lockFile(path: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<FileLock | undefined> {
  const lock = lockPath(path);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (!released) {
            released = true;
            unlinkQuietly(lock);
          }
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return undefined;
        throw e;
      }
    }
    breakStaleLock(lock);
    if (Date.now() > deadline) {
      throw Object.assign(new Error(`timed out waiting for the lock ${lock}`), { code: 'ELOCKED' });
    }
    if (opts.signal?.aborted) throw Object.assign(new Error('aborted'), { code: 'ABORT_ERR' });
    await sleep(10 + Math.floor(Math.random() * 20));
  }
}

function breakStaleLock(lock: string): void {
  let pid = NaN;
  let age = 0;
  try {
    pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    age = Date.now() - statSync(lock).mtimeMs;
  } catch {
    return; // gone already, or being written: try again
  }
  // A pid is written right after the file is created; give a fresh, empty lock file a moment.
  const stale = Number.isInteger(pid) && pid > 0 ? !processAlive(pid) : age > 5_000;
  if (stale) unlinkQuietly(lock);
}
