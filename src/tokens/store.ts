// Where a mytoken lives between runs, so that a rotated version can replace it there: a token file
// (file-store.ts) today. The rotation session (rotation.ts) works on this interface only; a new
// kind of store is one module implementing it, created where source.ts finds the token.

import type { Journal } from './journal.js';

/** What became of a rotated mytoken. */
export type WriteBack =
  /** the new token is in the store */
  | { kind: 'written'; name: string }
  /** the token came from no store (--MT, --MT-env ...): the caller must show the new token to the user */
  | { kind: 'not-stored'; token: string; origin: string }
  /** the store could not be written: the new token is in the file `copy`, or only in `token` */
  | { kind: 'failed'; name: string; reason: string; copy?: string; token: string };

export interface TokenStore {
  /** for messages: the file as the user or discovery named it */
  readonly name: string;
  /**
   * the path the lock file and the rotation journal are made beside (lock.ts, journal.ts): one for
   * every name of the same token (a file's real path)
   */
  readonly anchor: string;
  /** the file as the user or discovery named it, when the store is a file (hints: `-o FILE`) */
  readonly file?: string;
  /** where the rotation journal of this store is kept (a file beside a token file) */
  readonly journal: Journal;
  /** the token as it is now (read again under the lock); undefined when it cannot be read now */
  reread(): Promise<string | undefined>;
  /** stores a new version; never rejects, the result says how it went */
  write(token: string): Promise<WriteBack>;
  /** before anything is sent with a mytoken that rotates: refuses (UsageError) a store its new versions could not be written to */
  checkWritable(): void;
  /** under the lock, before the token is used: refuses (UsageError) a store that cannot be rewritten as a whole */
  checkBeforeUse(): void;
  /** whether writing the file `out` (-o) would overwrite this token */
  isTarget(out: string): boolean;
}
