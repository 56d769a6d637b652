// Rotation write-back: a rotated mytoken replaces the old one in the store it came from (a file:
// store.ts), under the store's lock, before the command prints anything; it is never dropped. The
// journal beside the store's anchor (journal.ts) carries a new version across a process killed
// before the store was rewritten.
import { AnswerLostError, InterruptedError, MytokenError, MytokenServerError, RefusedError } from '../errors.js';
import { isTokenText } from '../safefs.js';
import { fingerprint, isSuccessor, journalEntry, type JournalEntry, removeOrphans } from './journal.js';
import { isJwt, mayRotate } from './jwt.js';
import { lockFile, processAlive } from './lock.js';
import type { FoundToken } from './source.js';
import type { WriteBack } from './store.js';

/** Stores `newToken` where `found` came from. Never rejects: failures are described in the result. */
async function writeBack(found: FoundToken, newToken: string): Promise<WriteBack> {
  return found.store ? found.store.write(newToken) : { kind: 'not-stored', token: newToken, origin: found.origin };
}

/** The mytoken in use by a command: the newest version, kept current across several requests. */
export interface TokenSession {
  /** the version to send now */
  readonly token: string;
  /** whether using it may make the server rotate it (requests then wait for their answer longer) */
  readonly mayRotate: boolean;
  onSlow?: (seconds: number) => void;
  /**
   * Takes the `token_update` of a reply, if it has one: the new version is written back at once
   * and used by every later request. A new version that is not a token is refused (status 1).
   */
  update(reply: { token_update?: { mytoken?: unknown } } | undefined): Promise<void>;
}

export interface UseOptions {
  signal?: AbortSignal;
  /** how long to wait for another process's lock on the token's store */
  lockTimeoutMs: number;
  /** told about every write-back, as it happens */
  onWriteBack?: (wb: WriteBack) => void;
  /** told when a request that may rotate the mytoken has had no answer within the ordinary timeout */
  onSlow?: (seconds: number) => void;
  /** told when a new version left by an interrupted run was taken from the journal (`name`: the store's) */
  onRecovered?: (name: string, wb: WriteBack) => void;
}

/** A journal's word on the version now in the store: sent by a run that never got the answer. */
function interruptedUse(entry: JournalEntry | undefined, token: string): JournalEntry | undefined {
  return entry && entry.using === fingerprint(token) ? entry : undefined;
}

/**
 * Runs `use` with the mytoken. When the token came from a store and may rotate, the store is
 * locked first and read again, so two processes sharing one rotating token take turns and each
 * uses the newest version; a new version an interrupted run left in the journal is adopted first;
 * every `token_update` is journaled and written back before the next request and before the lock
 * is released, also when a later request fails. A mytoken that says it rotates (a JWT with a
 * rotation claim) is refused before anything is sent when its store could not take a new version;
 * a short token does not say, so one on a read-only mount is used as it is.
 */
export async function withMytoken<T>(found: FoundToken, use: (session: TokenSession) => Promise<T>, opts: UseOptions): Promise<T> {
  const { store } = found;
  const rotating = mayRotate(found.token);
  if (store && rotating && isJwt(found.token)) store.checkWritable();
  if (!store || !rotating) return use(plainSession(found, rotating, opts));
  const anchor = store.anchor;
  const named = store.name;
  let lock;
  try {
    lock = await lockFile(anchor, { timeoutMs: opts.lockTimeoutMs, signal: opts.signal });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ABORT_ERR') throw new InterruptedError();
    const hint =
      code === 'EFOREIGNLOCK'
        ? 'keep the mytoken in a folder of your own (another user can put files in this one), or remove the lock file if you know where it came from'
        : undefined;
    throw new MytokenError(`could not lock ${store.file ? `the token file ${named}` : named}: ${(e as Error).message}`, undefined, hint);
  }
  // kept when the next run needs it: a new version the store did not get, or a lost answer
  let keepJournal = false;
  try {
    store.checkBeforeUse();
    let current: FoundToken = { ...found, token: (await store.reread()) ?? found.token };
    const left = await store.journal.read();
    if (left) {
      removeOrphans(anchor, processAlive);
      if (isSuccessor(left, current.token)) {
        const wb = await writeBack(current, left.new!);
        current = { ...current, token: left.new! };
        opts.onRecovered?.(named, wb);
      }
    }
    const suspect = interruptedUse(left, current.token);
    await store.journal.write(journalEntry({ using: fingerprint(current.token) }));
    const session = plainSession(
      current,
      true,
      {
        ...opts,
        onWriteBack: (wb) => {
          if (wb.kind === 'failed') keepJournal = true; // the next run takes the new version from it
          opts.onWriteBack?.(wb);
        },
      },
      (old, next) => store.journal.write(journalEntry({ using: fingerprint(next), replaces: fingerprint(old.token), new: next })),
    );
    try {
      return await use(session);
    } catch (e) {
      // the journal stays: the next run can tell why the server refuses this version, if it does
      if (e instanceof AnswerLostError) keepJournal = true;
      if (suspect && e instanceof MytokenServerError && e.error === 'invalid_token') {
        keepJournal = true; // later runs explain the refusal the same way
        throw new RefusedError(
          `the server no longer accepts the mytoken in ${named}: an earlier run (process ${suspect.pid}, ${suspect.at}) sent this version and ` +
            'ended before it got the answer, so the server rotated it and the new version was lost',
          'log in again for a new mytoken (mytoken MT)',
        );
      }
      throw e;
    }
  } finally {
    if (!keepJournal) await store.journal.remove();
    lock?.release();
  }
}

function plainSession(found: FoundToken, rotating: boolean, opts: UseOptions, journal?: (old: FoundToken, next: string) => Promise<unknown>): TokenSession {
  let current = found;
  return {
    get token() {
      return current.token;
    },
    mayRotate: rotating,
    onSlow: opts.onSlow,
    async update(reply) {
      const next = reply?.token_update?.mytoken;
      if (next === undefined || next === current.token) return;
      if (!isTokenText(next)) {
        throw new MytokenError('the server answered with a rotated mytoken that is not a token (not one line of printable text); nothing was written');
      }
      await journal?.(current, next);
      const wb = await writeBack(current, next);
      current = { ...current, token: next };
      opts.onWriteBack?.(wb);
    },
  };
}
