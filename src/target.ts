// Files a command will write (-o FILE, ~/.ssh/config, the file a rotating mytoken goes back to),
// checked before anything is sent: a token the server issues, a usage it counts or a login the
// user did is not thrown away because the file cannot be written afterwards. The checks really
// create and remove a file, since permission bits say nothing for root (or an immutable folder,
// or a read-only mount). Nothing here prints: the token stores (tokens/) use it as well as the
// commands.
import { closeSync, constants, openSync, statSync, type Stats, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { errnoText } from './safefs.js';

/** Whether writeToken prints to stdout for this -o value instead of writing a file. */
export const isStdoutTarget = (target: string | undefined): target is undefined | '-' | '/dev/stdout' => target === undefined || target === '-' || target === '/dev/stdout';

/** A path for a shell command line (single-quoted when it needs quotes). */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-][\w@%+=:,./~-]*$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The first part of `dir` (from the root down) that exists and is not a folder. */
function fileInPath(dir: string): string | undefined {
  const parts: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    parts.unshift(p);
    if (dirname(p) === p) break;
  }
  return parts.find((p) => {
    const st = statOf(p);
    return st !== undefined && !st.isDirectory();
  });
}

/** Why no file can be created in the folder `dir` (it tries: creates and removes one), or undefined. */
function cannotCreateIn(dir: string): string | undefined {
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  const probe = join(dir, `.mytoken-probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  } catch (e) {
    return errnoText(e);
  }
  unlinkSync(probe);
  return undefined;
}

/** The folder `dir` exists, is a folder (the path goes through no file) and takes new files. */
function checkFolder(dir: string, what: string, missingHint: string, writeHint: string): void {
  const st = statOf(dir);
  if (!st || !st.isDirectory()) {
    const file = fileInPath(dir);
    if (file) throw new UsageError(`${what}: ${file} is a file, not a folder`, writeHint);
    throw new UsageError(`${what}: the folder ${dir} does not exist`, missingHint);
  }
  const why = cannotCreateIn(dir);
  if (why) throw new UsageError(`${what}: cannot write files in the folder ${dir} (${why})`, writeHint);
}

/**
 * Checks that writeToken can put a token at `target` (-o): not a folder, not a device or pipe, in
 * a folder that exists and takes new files (the token goes to a temp file there, renamed over the
 * target). Stdout needs no check. Throws a UsageError that says what to do.
 */
export function checkTokenTarget(target: string | undefined, flag = '-o'): void {
  if (isStdoutTarget(target)) return;
  const path = target!;
  const what = `${flag} ${path}`;
  const st = statOf(path);
  if (st?.isDirectory()) throw new UsageError(`${what} is a folder`, `name a file in it, e.g. ${flag} ${shellWord(join(path, 'mytoken'))}`);
  if (st && !st.isFile()) throw new UsageError(`${what} is not a regular file (a device, pipe or socket)`, `name a file, or leave out ${flag} (or give ${flag} -) for stdout`);
  if (st) {
    // the token replaces the file (a rename); only an immutable or append-only file refuses that
    // (EPERM). Opening it for writing, without truncating, tells so and changes nothing.
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') throw new UsageError(`${what} cannot be replaced (operation not permitted: an immutable or append-only file?)`, 'name another file');
    }
  }
  const dir = dirname(path);
  // a quoted ~ reaches the client as it is: the shell expands it only when it is not quoted
  const missing = /^~[/]/.test(path) ? `the shell expands ~ only outside quotes: write ${flag} "$HOME/${path.slice(2)}"` : `create it first: mkdir -p ${shellWord(dir)}`;
  checkFolder(dir, what, missing, 'name a file in a folder you can write to');
}

/**
 * Checks that text can be appended to `file`, creating its folder if need be (mkdir -p): an
 * existing file must be a regular file that opens for appending (it is not changed); otherwise
 * the nearest existing folder above it must take new files. `hint` says what else the user can do.
 */
export function checkAppendTarget(file: string, hint: string): void {
  const st = statOf(file);
  if (st) {
    if (!st.isFile()) throw new UsageError(`${file} is not a regular file`, hint);
    try {
      closeSync(openSync(file, constants.O_WRONLY | constants.O_APPEND));
    } catch (e) {
      throw new UsageError(`cannot write to ${file} (${errnoText(e)})`, hint);
    }
    return;
  }
  let dir = dirname(file);
  while (!statOf(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const bad = fileInPath(dirname(file));
  if (bad) throw new UsageError(`cannot write to ${file}: ${bad} is a file, not a folder`, hint);
  const why = cannotCreateIn(dir);
  if (why) throw new UsageError(`cannot create ${file}: cannot write files in the folder ${dir} (${why})`, hint);
}
