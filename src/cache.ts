// The client's disk cache (XDG_CACHE_HOME/mytoken or ~/.cache/mytoken): entries that only save
// work, so a missing, broken or unwritable cache is never an error. Every entry records what it
// was made from, and a reader compares that before trusting it.
//
// What the cache holds steers the client (which server gets the mytoken, which config applies),
// so nothing in it may come from another local user: the cache root and the kind folder below it
// are used only when they are the user's own (not a symlink, owned by the user, not writable by
// others), and an entry only when the opened file is too (a regular file of one name). Anything
// else is ignored, neither read nor written, and silently: a folder with the wrong owner or mode
// is left as it is, not "fixed". bin/mytoken applies the same rules to its code cache.
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { isOwnFolder, readLimited, writeFileAtomic } from './safefs.js';

type Env = Record<string, string | undefined>;

/** The largest cache entry the client reads or writes. */
export const MAX_ENTRY_BYTES = 1024 * 1024;

/** The cache folder; relative XDG_CACHE_HOME and HOME are ignored (the XDG rule), never the working folder. */
export function cacheDir(env: Env): string | undefined {
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'mytoken');
  if (env.HOME && isAbsolute(env.HOME)) return join(env.HOME, '.cache', 'mytoken');
  return undefined;
}

/**
 * The client's folder for short-lived state such as the locks of keyring entries:
 * $XDG_RUNTIME_DIR/mytoken (private to the user, emptied at logout), else the cache folder.
 */
export function runtimeDir(env: Env): string | undefined {
  if (env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR)) return join(env.XDG_RUNTIME_DIR, 'mytoken');
  return cacheDir(env);
}

/** 32-bit FNV-1a of a string, in hex: tells long keys apart in file names. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * The cache file for `key` (a URL, a path) under `kind`: a readable, file-name-safe form of the key,
 * shortened with a hash when long. Two keys may share a file; the entry's own record tells them apart.
 * The file is always <cache root>/<kind>/<name>: ownCacheFolders relies on that.
 */
export function cachePath(env: Env, kind: string, key: string): string | undefined {
  const dir = cacheDir(env);
  if (!dir) return undefined;
  let name = key.replace(/[^A-Za-z0-9.-]+/g, '_');
  if (name.length > 100) name = `${name.slice(0, 90)}-${fnv1a(key)}`;
  return join(dir, kind, `${name}.json`);
}

/**
 * Whether the folders of the cache file `file` (its kind folder and the cache root above it) are the
 * user's own. With `create`, a missing one is made first, mode 0700; one that exists is never changed.
 */
export function ownCacheFolders(file: string, create = false): boolean {
  const kind = dirname(file);
  const root = dirname(kind);
  return ownFolder(root, create) && ownFolder(kind, create);
}

/** Whether `dir` is a folder of the user's own; with `create`, a missing one is made first (0700). */
export function ownFolder(dir: string, create: boolean): boolean {
  if (isOwnFolder(dir)) return true;
  if (!create) return false;
  try {
    // recursive: the cache root's parents may be missing too; an existing path is no error here,
    // and whatever is there is judged by the check below
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return false;
  }
  return isOwnFolder(dir);
}

/**
 * The entry in `file`, or undefined when there is none, it cannot be read or parsed, or it or its
 * folders are not the user's own. The file is checked once opened (not followed if a symlink).
 */
export function readCacheEntry<T>(file: string | undefined): Partial<T> | undefined {
  if (!file || !ownCacheFolders(file)) return undefined;
  try {
    const entry: unknown = JSON.parse(readLimited(file, { maxBytes: MAX_ENTRY_BYTES, noFollow: true, own: true }));
    return entry && typeof entry === 'object' ? (entry as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores an entry (atomically, private to the user) in folders of the user's own; a failure is ignored. */
export function writeCacheEntry(file: string | undefined, entry: unknown): void {
  if (!file) return;
  try {
    const text = JSON.stringify(entry);
    if (Buffer.byteLength(text) > MAX_ENTRY_BYTES) return; // it would not be read back
    if (!ownCacheFolders(file, true)) return;
    writeFileAtomic(file, text, { mode: 0o600 });
  } catch {
    /* a cache only saves work */
  }
}
