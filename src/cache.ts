// The client's disk cache (XDG_CACHE_HOME/mytoken or ~/.cache/mytoken): entries that only save
// work, so a missing, broken or unwritable cache is never an error. Every entry records what it
// was made from, and a reader compares that before trusting it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './tokens/files.js';

type Env = Record<string, string | undefined>;

export function cacheDir(env: Env): string | undefined {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'mytoken');
  if (env.HOME) return join(env.HOME, '.cache', 'mytoken');
  return undefined;
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
 */
export function cachePath(env: Env, kind: string, key: string): string | undefined {
  const dir = cacheDir(env);
  if (!dir) return undefined;
  let name = key.replace(/[^A-Za-z0-9.-]+/g, '_');
  if (name.length > 100) name = `${name.slice(0, 90)}-${fnv1a(key)}`;
  return join(dir, kind, `${name}.json`);
}

/** The entry in `file`, or undefined when there is none or it cannot be read or parsed. */
export function readCacheEntry<T>(file: string | undefined): Partial<T> | undefined {
  if (!file) return undefined;
  try {
    const entry: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return entry && typeof entry === 'object' ? (entry as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores an entry (atomically, private to the user); a failure is ignored. */
export function writeCacheEntry(file: string | undefined, entry: unknown): void {
  if (!file) return;
  try {
    writeFileAtomic(file, JSON.stringify(entry), { mode: 0o600, mkdir: true });
  } catch {
    /* a cache only saves work */
  }
}
