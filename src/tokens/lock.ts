// The exclusive lock of a token file: only one process at a time uses (and may rotate) the mytoken
// in it. A lock is a file `.NAME.lock` beside the token file, made to appear whole (written
// elsewhere, then hard-linked into place, which fails when a lock exists) and naming its holder:
// pid, the holder's start time (against pid reuse) and host. A lock whose holder is gone is
// broken by one breaker at a time, who checks again that it is the same stale lock before
// removing it, so two waiters can never both remove a lock and both go on.
import { closeSync, linkSync, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { euid, readLimited, unlinkQuietly } from '../safefs.js';

export interface FileLock {
  /** the lock file */
  readonly path: string;
  release(): void;
}

/** The lock file that guards `file` (give the real path: every name of one file takes one lock). */
export function lockPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.lock`);
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), if known. */
export function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) is in parentheses and may hold spaces and parentheses itself
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Boot time in Unix seconds (btime of /proc/stat), if known. */
function bootTime(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds a lock, as its file says. */
export interface Holder {
  pid: number;
  ticks?: string;
  host?: string;
}

/** The holder named by a lock file's text (`PID TICKS HOST`, or an older client's `PID`). */
export function parseHolder(text: string): Holder | undefined {
  const m = /^(\d{1,10})(?: (\d+|-) (\S+))?\n?$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!(pid > 0)) return undefined;
  return { pid, ticks: m[2] && m[2] !== '-' ? m[2] : undefined, host: m[3] };
}

/**
 * Whether a lock is stale: its holder has ended. `mtimeMs` is the lock file's modification time.
 * A lock of another host is never judged (its processes cannot be seen from here).
 */
export function isStale(text: string, mtimeMs: number, nowMs = Date.now()): boolean {
  const holder = parseHolder(text);
  // a lock appears whole, so an empty or unreadable one is not ours being written (an older
  // client wrote the pid just after creating the file: give that a moment)
  if (!holder) return text === '' ? nowMs - mtimeMs > 1_000 : true;
  if (holder.host && holder.host !== hostname()) return false;
  if (!processAlive(holder.pid)) return true;
  const ticks = startTicks(holder.pid);
  if (ticks === undefined) return false; // no /proc: the pid is all there is to go by
  if (holder.ticks) return holder.ticks !== ticks;
  // an older client's lock: its holder cannot have started after the lock was written
  const boot = bootTime();
  return boot !== undefined && (boot + Number(ticks) / 100) * 1000 > mtimeMs + 2_000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockOptions {
  /** give up after this long (the error has code ELOCKED) */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Takes the exclusive lock that guards `file`, waiting while a live process holds it and breaking
 * it when its holder has ended. Resolves to undefined when no lock can be made there at all (a
 * read-only folder). Rejects with code ELOCKED on timeout, ABORT_ERR when `signal` aborts.
 */
export async function lockFile(file: string, opts: LockOptions): Promise<FileLock | undefined> {
  const lock = lockPath(file);
  const deadline = Date.now() + opts.timeoutMs;
  const me = `${process.pid} ${startTicks(process.pid) ?? '-'} ${hostname()}\n`;
  for (;;) {
    const made = tryCreate(lock, me);
    if (made === 'unwritable') return undefined;
    if (made !== 'exists') return held(lock, made);
    await breakIfStale(lock);
    if (opts.signal?.aborted) throw Object.assign(new Error('aborted'), { code: 'ABORT_ERR' });
    if (Date.now() > deadline) {
      const holder = readHolder(lock);
      const who = holder ? ` (held by process ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ''})` : '';
      throw Object.assign(new Error(`timed out waiting for the lock ${lock}${who}`), { code: 'ELOCKED' });
    }
    await sleep(10 + Math.floor(Math.random() * 20));
  }
}

function readHolder(lock: string): Holder | undefined {
  const seen = look(lock);
  return seen && 'text' in seen ? parseHolder(seen.text) : undefined;
}

/** Makes the lock file appear with its whole text: its inode number, 'exists' or 'unwritable'. */
function tryCreate(lock: string, text: string): number | 'exists' | 'unwritable' {
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const tmp = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return 'unwritable';
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, lock);
    return lstatSync(lock).ino;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'exists';
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
  } finally {
    unlinkQuietly(tmp);
  }
  // a file system without hard links: create the lock in place (it is briefly empty then)
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return lstatSync(lock).ino;
}

function held(lock: string, ino: number): FileLock {
  let released = false;
  return {
    path: lock,
    release() {
      if (released) return;
      released = true;
      try {
        // remove only our own lock, never one that replaced it
        if (lstatSync(lock).ino === ino) unlinkQuietly(lock);
      } catch {
        /* gone */
      }
    },
  };
}

/** The stale lock as first seen: removed only if it is still this very file. */
interface Seen {
  ino: number;
  text: string;
}

/**
 * The lock file as it is now: undefined when it is gone, `foreign` (why) when it is not a lock this
 * user could have made (another user's file, a link, a folder: in a shared folder such as /tmp
 * anyone can put one there, and it must neither be read on nor wait for).
 */
function look(lock: string): (Seen & { mtimeMs: number }) | { foreign: string } | undefined {
  try {
    const st = lstatSync(lock);
    if (!st.isFile()) return { foreign: 'is not a file' };
    const uid = euid();
    if (uid >= 0 && st.uid !== uid) return { foreign: `belongs to another user (uid ${st.uid})` };
    // a lock is one short line: more than that is garbage, read no further
    return { ino: st.ino, mtimeMs: st.mtimeMs, text: st.size > 512 ? '?' : readLimited(lock, { maxBytes: 512, noFollow: true }) };
  } catch {
    return undefined;
  }
}

async function breakIfStale(lock: string): Promise<void> {
  const seen = look(lock);
  if (seen && 'foreign' in seen) {
    throw Object.assign(new Error(`the lock file ${lock} ${seen.foreign}: it is not this client's lock`), { code: 'EFOREIGNLOCK' });
  }
  if (!seen || !isStale(seen.text, seen.mtimeMs)) return;
  const mutex = await breakerMutex(lock);
  if (!mutex) return; // another process is breaking it: look again soon
  try {
    // only a breaker removes another's lock, and only one breaker at a time: if the lock is still
    // the stale file seen above, nobody can have taken the lock since
    const now = look(lock);
    if (now && 'text' in now && now.ino === seen.ino && now.text === seen.text && isStale(now.text, now.mtimeMs)) unlinkQuietly(lock);
  } finally {
    mutex.release();
  }
}

/**
 * The right to break `lock`, held by one process at a time. On Linux an abstract Unix socket
 * bound under a name made of the lock's path: the kernel frees it when its holder dies, so it
 * never goes stale itself. Elsewhere a file beside the lock, given up after ten seconds.
 */
async function breakerMutex(lock: string): Promise<{ release(): void } | undefined> {
  if (process.platform === 'linux') {
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const name = `\0mytoken-lock-break-${createHash('sha256').update(lock).digest('hex').slice(0, 40)}`;
    const net = require('node:net') as typeof import('node:net');
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ path: name, exclusive: true }, () => resolve(true));
    });
    if (!bound) return undefined;
    server.unref();
    return { release: () => server.close() };
  }
  const file = `${lock}.break`;
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch {
    try {
      if (Date.now() - lstatSync(file).mtimeMs > 10_000) unlinkQuietly(file);
    } catch {
      /* gone */
    }
    return undefined;
  }
  return { release: () => unlinkQuietly(file) };
}
