// Native addons of the single binary. A single executable cannot load a `.node` file from inside
// itself, so the binary carries the addon as an asset and the first run that needs it writes it to
// the user's private cache folder (<cache root>/native/, the rules of src/cache.ts: folders of the
// user's own, mode 0700, never "fixed" when they are not). Every load checks the file against the
// SHA-256 the binary was built with, on the opened descriptor, and loads that very descriptor
// (/proc/self/fd/N), so what is loaded is what was checked. A file that differs (planted, truncated,
// left by another version) is replaced from the asset, never loaded.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheDir, ownCacheFolders } from './cache.js';
import { errnoText, ownProblem, writeFileAtomic } from './safefs.js';

type Env = Record<string, string | undefined>;

/** An addon the binary carries: the name of its asset and the SHA-256 (hex) of its bytes. */
export interface EmbeddedAddon {
  asset: string;
  sha256: string;
}

/** Why an embedded addon could not be loaded; `message` completes "the native module ...". */
export class AddonProblem extends Error {}

/** The largest addon file read back for its hash check. */
const MAX_ADDON_BYTES = 64 * 1024 * 1024;

/** Where the addon is kept: one file per content, so two versions of the binary never share one. */
export function addonPath(env: Env, addon: EmbeddedAddon): string | undefined {
  const root = cacheDir(env);
  const base = addon.asset.replace(/\.node$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');
  return root && join(root, 'native', `${base}-${addon.sha256.slice(0, 16)}.node`);
}

/** Why `dir` is not a folder of the user's own, in words, or undefined when it is (or is missing). */
function folderProblem(dir: string): string | undefined {
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return 'is a symbolic link';
    if (!st.isDirectory()) return 'is not a folder';
    return ownProblem(st);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : errnoText(e);
  }
}

/**
 * The exports of the addon `addon`, whose bytes `bytes` gives (the binary's asset), loaded from the
 * private cache. Throws AddonProblem when there is no private folder for it, the folder is not the
 * user's own, the file cannot be written, or the loader refuses it.
 */
export function loadEmbeddedAddon(env: Env, addon: EmbeddedAddon, bytes: () => Uint8Array): unknown {
  const file = addonPath(env, addon);
  if (!file) throw new AddonProblem('has no private folder to be unpacked to (neither XDG_CACHE_HOME nor HOME is an absolute path)');
  const kind = dirname(file);
  if (!ownCacheFolders(file, true)) {
    const root = dirname(kind);
    const why = folderProblem(root) ? `${root} ${folderProblem(root)}` : `${kind} ${folderProblem(kind) ?? 'cannot be made'}`;
    throw new AddonProblem(`cannot be unpacked to a private folder: ${why}`);
  }
  const found = loadIfIntact(file, addon.sha256);
  if (found.loaded) return found.exports;
  try {
    // a new file under a temporary name, renamed over whatever is there (a symlink is replaced,
    // not followed); 0700 like a library the loader maps
    writeFileAtomic(file, bytes(), { mode: 0o700 });
  } catch (e) {
    throw new AddonProblem(`cannot be unpacked to ${file}: ${errnoText(e)}`);
  }
  const written = loadIfIntact(file, addon.sha256);
  if (written.loaded) return written.exports;
  throw new AddonProblem(`unpacked to ${file} does not match the binary's copy (${written.why})`);
}

type Attempt = { loaded: true; exports: unknown } | { loaded: false; why: string };

/** Opens `file` (not following a symlink), checks owner, kind and hash on the descriptor, and loads it when all hold. */
function loadIfIntact(file: string, sha256: string): Attempt {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { loaded: false, why: errnoText(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { loaded: false, why: 'not a regular file' };
    const foreign = ownProblem(st);
    if (foreign) return { loaded: false, why: foreign };
    if (st.size > MAX_ADDON_BYTES) return { loaded: false, why: 'too large' };
    if (digest(fd, st.size) !== sha256) return { loaded: false, why: 'its SHA-256 differs' };
    return { loaded: true, exports: dlopen(fd, file) };
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 (hex) of the `size` bytes of the open file `fd`, read from its start. */
function digest(fd: number, size: number): string {
  // loaded here, when an addon is needed, not at every start
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(size, 1024 * 1024) || 1);
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
    if (pos > size) break; // grew while read: the hash will not match
  }
  return hash.digest('hex');
}

/** Loads the checked descriptor itself where /proc shows it (Linux), else the file by its name. */
function dlopen(fd: number, file: string): unknown {
  const viaFd = `/proc/self/fd/${fd}`;
  let target = file;
  try {
    const [a, b] = [fstatSync(fd), statSync(viaFd)];
    if (a.ino === b.ino && a.dev === b.dev) target = viaFd;
  } catch {
    /* no /proc: the name, in a folder only the user can change */
  }
  const module = { exports: {} as unknown };
  try {
    process.dlopen(module, target, osConstants.dlopen.RTLD_NOW);
  } catch (e) {
    throw new AddonProblem(`could not be loaded from ${file}: ${(e as Error).message.replace(viaFd, file)}`);
  }
  return module.exports;
}
