// The rotation journal of a token file (`.NAME.rotation` beside it, 0600): which version of the
// mytoken a process is using, and, as soon as a reply rotated it, the new version, before the
// token file itself is rewritten. A later process (holding the file's lock) reads a journal left
// by one that ended too early: it adopts a new version that never reached the file, and knows
// when the version in the file was sent by a request whose answer never came.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isTokenText, readLimited, unlinkQuietly, writeFileAtomic } from '../safefs.js';
import { decodeJwtPayload } from './jwt.js';

export interface JournalEntry {
  v: 1;
  pid: number;
  /** ISO time of the entry */
  at: string;
  /** fingerprint of the version in use */
  using: string;
  /** after a rotation: fingerprint of the version it replaced, and the new version */
  replaces?: string;
  new?: string;
}

export function journalPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.rotation`);
}

/** A short fingerprint of a token: tells versions apart without keeping the token. */
export function fingerprint(token: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/** A journal entry of this process, now. */
export function journalEntry(entry: Omit<JournalEntry, 'v' | 'pid' | 'at'>): JournalEntry {
  return { v: 1, pid: process.pid, at: new Date().toISOString(), ...entry };
}

/**
 * Where a store keeps its rotation journal: a file beside a token file (fileJournal), or a place
 * of the store's own for a store whose tokens must not be written to disk.
 */
export interface Journal {
  read(): Promise<JournalEntry | undefined>;
  /** records `entry`, durably when it holds a new version; false when it could not. Never throws. */
  write(entry: JournalEntry): Promise<boolean>;
  remove(): Promise<void>;
}

/** The journal beside `file` (`.NAME.rotation`). */
export function fileJournal(file: string): Journal {
  return {
    read: async () => readJournal(file),
    write: async (entry) => writeJournal(file, entry),
    remove: async () => removeJournal(file),
  };
}

/** Checks what a journal holds: an entry of ours, well formed; else undefined. */
export function parseJournal(text: string): JournalEntry | undefined {
  try {
    const e = JSON.parse(text) as Partial<JournalEntry>;
    if (e.v !== 1 || typeof e.pid !== 'number' || typeof e.using !== 'string' || typeof e.at !== 'string') return undefined;
    if (e.new !== undefined && (!isTokenText(e.new) || typeof e.replaces !== 'string')) return undefined;
    return e as JournalEntry;
  } catch {
    return undefined;
  }
}

/** Records the state of `file`'s mytoken; `sync` when the entry holds a new version. Never throws. */
function writeJournal(file: string, full: JournalEntry): boolean {
  try {
    // a new version must be in place at once (a kill a moment later must not lose it), and on disk
    writeFileAtomic(journalPath(file), `${JSON.stringify(full)}\n`, { sync: full.new !== undefined && 'after-rename' });
    return true;
  } catch {
    return false;
  }
}

function removeJournal(file: string): void {
  unlinkQuietly(journalPath(file));
}

/** The journal left beside `file`, if there is one of ours (own file, not a link, well formed). */
function readJournal(file: string): JournalEntry | undefined {
  try {
    return parseJournal(readLimited(journalPath(file), { maxBytes: 64 * 1024, noFollow: true, own: true }));
  } catch {
    return undefined;
  }
}

/**
 * Whether the journal's new version is the successor of `current` (the version in the file): it
 * replaced exactly that version, and for JWTs it is the same mytoken with a higher `seq_no`.
 */
export function isSuccessor(entry: JournalEntry, current: string): boolean {
  if (!entry.new || entry.new === current || entry.replaces !== fingerprint(current)) return false;
  const a = decodeJwtPayload(current);
  const b = decodeJwtPayload(entry.new);
  if (!a || !b) return !a && !b;
  return a.jti === b.jti && typeof a.seq_no === 'number' && typeof b.seq_no === 'number' && b.seq_no > a.seq_no;
}

/** Removes temp files of `file`, its lock and its journal that a process killed while writing left. */
export function removeOrphans(file: string, alive: (pid: number) => boolean): void {
  const dir = dirname(file);
  const base = basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const temp = new RegExp(`^(?:\\.${base}\\.|\\.${base}\\.lock\\.|\\.\\.${base}\\.rotation\\.)(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = temp.exec(name);
    if (m && !alive(Number(m[1]))) unlinkQuietly(join(dir, name));
  }
}
