// A mytoken kept in the system keyring (keyring.ts): entry NAME of the service `mytoken`. Its
// rotation journal is kept in the keyring too (service `mytoken-rotation`, same NAME), so that no
// version of the mytoken is ever written to a file; its lock lives in the user's runtime folder.
import { join } from 'node:path';
import { ownFolder, runtimeDir } from '../cache.js';
import { UsageError } from '../errors.js';
import { type Journal, parseJournal } from './journal.js';
import { checkEntryName, Keyring } from './keyring.js';
import type { TokenStore, WriteBack } from './store.js';

type Env = Record<string, string | undefined>;

/** The service under which the rotation journals of keyring entries are kept. */
export const JOURNAL_SERVICE = 'mytoken-rotation';

export class KeyringStore implements TokenStore {
  readonly name: string;
  readonly journal: Journal;
  private readonly keyring: Keyring;

  /** `entry`: the entry's name (checked). Nothing is made or asked yet. */
  constructor(
    readonly entry: string,
    private readonly env: Env,
  ) {
    checkEntryName(entry);
    this.name = `keyring entry ${entry}`;
    this.keyring = new Keyring(env);
    this.journal = keyringJournal(new Keyring(env, { service: JOURNAL_SERVICE }), entry);
  }

  /**
   * The path the entry's lock is made beside, its folder made when missing: only when a mytoken
   * that may rotate is locked, so that a failed run (no keyring) leaves nothing behind.
   */
  get anchor(): string {
    return keyringAnchor(this.env, this.entry);
  }

  /** The mytoken in the entry; undefined when there is none (a KeyringUnavailable when there is no keyring). */
  read(): Promise<string | undefined> {
    return this.keyring.get(this.entry);
  }

  async reread(): Promise<string | undefined> {
    try {
      return await this.keyring.get(this.entry);
    } catch {
      return undefined;
    }
  }

  async write(token: string): Promise<WriteBack> {
    try {
      await this.keyring.set(this.entry, token);
      return { kind: 'written', name: this.name };
    } catch (e) {
      // no copy in a file: the caller shows the new version, which is then the only one
      return { kind: 'failed', name: this.name, reason: (e as Error).message, token };
    }
  }

  checkWritable(): void {
    /* whether the keyring takes a new version shows when the entry is read */
  }

  checkBeforeUse(): void {
    /* an entry has one name */
  }

  isTarget(): boolean {
    return false;
  }
}

/** Deletes entry `name` and its rotation journal: true when there was an entry. */
export async function deleteKeyringEntry(name: string, env: Env): Promise<boolean> {
  const had = await new Keyring(env).delete(name);
  await new Keyring(env, { service: JOURNAL_SERVICE }).delete(name);
  return had;
}

/** The path the lock of entry `entry` is made beside: the runtime folder, which must be the user's own. */
function keyringAnchor(env: Env, entry: string): string {
  const dir = runtimeDir(env);
  const where = dir ? join(dir, 'keyring') : undefined;
  if (!dir || !where || !ownFolder(dir, true) || !ownFolder(where, true)) {
    throw new UsageError(
      where ? `the folder for the locks of keyring entries, ${where}, is not a folder of your own` : 'there is no folder for the locks of keyring entries (neither XDG_RUNTIME_DIR nor HOME is set)',
      'set XDG_RUNTIME_DIR (or HOME) to a folder of your own, or keep the mytoken in a file instead: --MT-file FILE',
    );
  }
  return join(where, entry);
}

/** A rotation journal kept as a keyring entry (its value: the entry as JSON, which has no spaces). */
function keyringJournal(keyring: Keyring, entry: string): Journal {
  return {
    read: async () => {
      try {
        const text = await keyring.get(entry);
        return text === undefined ? undefined : parseJournal(text);
      } catch {
        return undefined;
      }
    },
    write: async (e) => {
      try {
        await keyring.set(entry, JSON.stringify(e));
        return true;
      } catch {
        return false;
      }
    },
    remove: async () => {
      try {
        await keyring.delete(entry);
      } catch {
        /* gone or unreachable: nothing to do */
      }
    },
  };
}
