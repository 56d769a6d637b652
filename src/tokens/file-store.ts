// A mytoken kept in a file: --MT-file's (the token is the first line; the rest of the file is kept
// when a rotated version replaces it) or one WLCG discovery found (the whole text, trimmed). The
// file's real path is resolved once: every name of one file takes one lock, and the new version
// is written there, whichever name the user gave.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { LIMITS, readLimited, writeFileAtomic } from '../safefs.js';
import { checkTokenTarget } from '../target.js';
import { replaceFirstLine, type TokenFileFormat, tokenIn } from './file-format.js';
import type { TokenStore, WriteBack } from './store.js';
import { fileJournal, type Journal } from './journal.js';

/** The real path of an existing file: every name (symlink) of one file gives the same answer. */
export function realFile(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether `out` names the file `real` (an existing real path): by inode, or by its real folder. */
function sameFile(out: string, real: string): boolean {
  try {
    const a = statSync(out);
    const b = statSync(real);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    /* `out` does not exist (yet): compare where it would be */
  }
  try {
    return join(realpathSync(dirname(out)), basename(out)) === real;
  } catch {
    return false;
  }
}

export class FileStore implements TokenStore {
  /**
   * `name`: the file as the user or discovery named it; `flag`: how messages name the file's
   * source ('--MT-file', 'the token file'); `anchor`: its real path, when the caller has it already
   */
  constructor(
    readonly name: string,
    private readonly format: TokenFileFormat,
    private readonly flag: string,
    readonly anchor: string = realFile(name),
  ) {}

  get file(): string {
    return this.name;
  }

  get journal(): Journal {
    return fileJournal(this.anchor);
  }

  async reread(): Promise<string | undefined> {
    try {
      const got = tokenIn(readLimited(this.anchor, { maxBytes: LIMITS.tokenFile }), this.format);
      return 'token' in got ? got.token : undefined;
    } catch {
      return undefined;
    }
  }

  async write(token: string): Promise<WriteBack> {
    const file = this.anchor;
    try {
      let content = token;
      if (this.format === 'first-line') {
        // keep whatever follows the first line (comments, other tokens)
        let old = '';
        try {
          old = readFileSync(file, 'utf8');
        } catch {
          /* gone: write just the token */
        }
        content = replaceFirstLine(old, token);
      }
      writeFileAtomic(file, content, { keepMode: true });
      return { kind: 'written', name: this.name };
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      const copy = `${file}.rotated-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        writeFileAtomic(copy, token);
        return { kind: 'failed', name: this.name, reason, copy, token };
      } catch {
        return { kind: 'failed', name: this.name, reason, token };
      }
    }
  }

  /**
   * The file must be replaceable (each use of a rotating mytoken rewrites it): refused otherwise,
   * since the new version would have nowhere to go and the version in the file stops working.
   */
  checkWritable(): void {
    try {
      checkTokenTarget(this.anchor, this.flag);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(
        `${e.message}, but the mytoken rotates: each use replaces it there with a new version`,
        'keep the token file where it can be rewritten (the version in it stops working once the server rotates it)',
      );
    }
  }

  /** A file with several names (hard links) cannot be rewritten for all of them at once. */
  checkBeforeUse(): void {
    let links = 1;
    try {
      links = statSync(this.anchor).nlink;
    } catch {
      return;
    }
    if (links > 1) {
      const named = this.name;
      throw new UsageError(
        `${named} has ${links} names (hard links): a rotated mytoken would be written back under one name only, ` +
          'and the others would keep a version the server no longer accepts',
        `give the mytoken a file of its own (cp ${named} ${named}.new && mv ${named}.new ${named}), or use a symbolic link`,
      );
    }
  }

  isTarget(out: string): boolean {
    return sameFile(out, this.anchor);
  }
}
