// Rotation write-back: a rotated mytoken replaces the old one in the file it came from, under the
// file's lock, before the command prints anything; it is never dropped.
import { readFileSync } from 'node:fs';
import { InterruptedError, MytokenError } from '../errors.js';
import { lockFile, replaceFirstLine, writeFileAtomic } from './files.js';
import { mayRotate } from './jwt.js';
import { type FoundToken, rereadToken } from './source.js';

export type WriteBack =
  /** the new token is in the file */
  | { kind: 'written'; file: string }
  /** the token came from no file: the caller must show the new token to the user */
  | { kind: 'not-stored'; token: string; origin: string }
  /** the file could not be written: the new token is in `copy`, or only in `token` */
  | { kind: 'failed'; file: string; reason: string; copy?: string; token: string };

/** Stores `newToken` where `found` came from. Never throws: failures are described in the result. */
export function writeBack(found: FoundToken, newToken: string): WriteBack {
  if (!found.file) return { kind: 'not-stored', token: newToken, origin: found.origin };
  const file = found.file;
  try {
    let content = newToken;
    if (found.format === 'first-line') {
      // keep whatever follows the first line (comments, other tokens)
      let old = '';
      try {
        old = readFileSync(file, 'utf8');
      } catch {
        /* gone: write just the token */
      }
      content = replaceFirstLine(old, newToken);
    }
    writeFileAtomic(file, content);
    return { kind: 'written', file };
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const copy = `${file}.rotated-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      writeFileAtomic(copy, newToken);
      return { kind: 'failed', file, reason, copy, token: newToken };
    } catch {
      return { kind: 'failed', file, reason, token: newToken };
    }
  }
}

/** The mytoken in use by a command: the newest version, kept current across several requests. */
export interface TokenSession {
  /** the version to send now */
  readonly token: string;
  /**
   * Takes the `token_update` of a reply, if it has one: the new version is written back at once
   * and used by every later request.
   */
  update(reply: { token_update?: { mytoken?: string } } | undefined): void;
}

export interface UseOptions {
  signal?: AbortSignal;
  /** told about every write-back, as it happens */
  onWriteBack?: (wb: WriteBack) => void;
}

/**
 * Runs `use` with the mytoken. When the token came from a file and may rotate, the file is locked
 * first and read again, so two processes sharing one rotating token take turns and each uses the
 * newest version; every `token_update` is written back before the next request and before the
 * lock is released, also when a later request fails.
 */
export async function withMytoken<T>(found: FoundToken, use: (session: TokenSession) => Promise<T>, opts: UseOptions = {}): Promise<T> {
  let lock: Awaited<ReturnType<typeof lockFile>>;
  let current = found;
  if (found.file && mayRotate(found.token)) {
    try {
      lock = await lockFile(found.file, { signal: opts.signal });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ABORT_ERR') throw new InterruptedError();
      throw new MytokenError(`could not lock the token file ${found.file}: ${(e as Error).message}`);
    }
    current = rereadToken(found);
  }
  const session: TokenSession = {
    get token() {
      return current.token;
    },
    update(reply) {
      const next = reply?.token_update?.mytoken;
      if (!next || next === current.token) return;
      const wb = writeBack(current, next);
      current = { ...current, token: next };
      opts.onWriteBack?.(wb);
    },
  };
  try {
    return await use(session);
  } finally {
    lock?.release();
  }
}
