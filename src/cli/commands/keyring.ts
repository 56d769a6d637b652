// mytoken keyring: the mytokens kept in the system keyring (list, delete, import), and the
// keyring as the place MT keeps a new mytoken (MT --keyring NAME).
import { unlinkSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { localTime, renderTable } from '../../output/table.js';
import { out, warn } from '../../output/terminal.js';
import { decodeJwtPayload } from '../../tokens/jwt.js';
import { checkEntryName, Keyring } from '../../tokens/keyring.js';
import { deleteKeyringEntry } from '../../tokens/keyring-store.js';
import { checkIsMytoken, readTokenFile } from '../../tokens/source.js';
import { group, leaf } from '../command.js';
import type { Context } from '../context.js';
import { defineFlags } from '../flags.js';
import { confirmDeletion, forceFlag } from '../interactive.js';

type Env = Record<string, string | undefined>;

const nameArg = { name: 'name', what: 'keyring entry name' };

/**
 * Checks, before a mytoken is asked for, that it can be kept in entry `name`: a valid name, a
 * keyring that answers, and no entry of that name unless `replace` (its mytoken would be lost).
 */
export async function checkKeyringTarget(name: string, replace: boolean, env: Env): Promise<void> {
  checkEntryName(name);
  if (replace) return;
  if ((await new Keyring(env).get(name)) !== undefined) {
    throw new UsageError(`keyring entry ${name} exists already; replacing it would lose the mytoken in it`, 'choose another name, or pass --force to replace it');
  }
}

/** Keeps `token` in entry `name` and says so on stderr. */
export async function keepInKeyring(name: string, token: string, env: Env, what = 'the new mytoken'): Promise<void> {
  await new Keyring(env).set(name, token);
  warn(`kept ${what} in keyring entry ${name}`);
}

/** Deletes entry `name` with its rotation journal, and says so on stderr. */
export async function deleteEntry(name: string, env: Env): Promise<void> {
  await deleteKeyringEntry(name, env);
  warn(`deleted keyring entry ${name}`);
}

/** One row of `keyring list`: what the entry's JWT says of itself (never the token). */
function describe(name: string, token: string | undefined): string[] {
  const claims = token === undefined ? undefined : decodeJwtPayload(token);
  if (!claims) return [name, token === undefined ? '(gone)' : '(a short mytoken: ask the server)', '', ''];
  const exp = typeof claims.exp === 'number' ? localTime(claims.exp) : 'never';
  const caps = Array.isArray(claims.capabilities) ? claims.capabilities.join(' ') : '';
  return [name, typeof claims.iss === 'string' ? claims.iss : '', exp, caps];
}

export const keyringMeta = { name: 'keyring', summary: 'mytokens in the system keyring' };

export function keyringCommand(ctx: () => Context): Command {
  const listCmd = leaf(ctx, {
    name: 'list',
    aliases: ['ls'],
    summary: 'list the mytokens in the keyring (never their values)',
    tokenFlags: false,
    run: async ({ ctx: c }) => {
      const keyring = new Keyring(c.env);
      const { names, skipped } = await keyring.list();
      const rows: string[][] = [];
      for (const name of names) {
        let token: string | undefined;
        try {
          token = await keyring.get(name);
        } catch (e) {
          rows.push([name, `(${(e as Error).message})`, '', '']);
          continue;
        }
        rows.push(describe(name, token));
      }
      if (rows.length) out(renderTable(['NAME', 'SERVER', 'EXPIRES', 'CAPABILITIES'], rows));
      else warn('the keyring holds no mytokens (keep one there with mytoken MT --keyring NAME)');
      if (skipped) warn(`${skipped} entr${skipped === 1 ? 'y' : 'ies'} of the service mytoken ha${skipped === 1 ? 's' : 've'} a name this client does not use, and ${skipped === 1 ? 'is' : 'are'} not listed`);
    },
  });
  const deleteCmd = leaf(ctx, {
    name: 'delete',
    aliases: ['rm', 'remove'],
    summary: 'delete a mytoken from the keyring (it stays valid: revoke it first if it should not)',
    argument: nameArg,
    flags: forceFlag,
    tokenFlags: false,
    run: async ({ ctx: c, flags, arg }) => {
      const name = checkEntryName(arg!);
      const keyring = new Keyring(c.env);
      if ((await keyring.get(name)) === undefined) throw new UsageError(`keyring entry ${name} does not exist`, 'see mytoken keyring list');
      if (!(await confirmDeletion(`keyring entry ${name}`, flags.force))) return;
      await deleteEntry(name, c.env);
    },
  });
  const importCmd = leaf(ctx, {
    name: 'import',
    summary: 'move the mytoken of a file into the keyring',
    argument: nameArg,
    flags: defineFlags({
      file: { names: ['--MT-file'], value: 'FILE', description: 'the file whose first line is the mytoken' },
      removeFile: { names: ['--remove-file'], description: 'delete the file once the mytoken is in the keyring' },
      force: { names: ['--force'], description: 'replace an entry of that name (its mytoken is lost)' },
    }),
    tokenFlags: false,
    run: async ({ ctx: c, flags, arg }) => {
      const name = checkEntryName(arg!);
      if (flags.file === undefined) throw new UsageError('import needs the file: --MT-file FILE', `e.g. mytoken keyring import ${name} --MT-file ~/mytoken.txt`);
      if (!flags.file) throw new UsageError('--MT-file was given an empty path');
      const token = readTokenFile(flags.file, 'first-line', '--MT-file');
      checkIsMytoken(token, `--MT-file ${flags.file}`);
      await checkKeyringTarget(name, flags.force, c.env);
      await keepInKeyring(name, token, c.env, `the mytoken of ${flags.file}`);
      // the file goes only once the keyring is known to hold the very same token
      if (!flags.removeFile) return;
      if ((await new Keyring(c.env).get(name)) !== token) throw new UsageError(`keyring entry ${name} does not read back as the mytoken of ${flags.file}, so the file was kept`);
      unlinkSync(flags.file);
      warn(`removed ${flags.file}`);
    },
  });
  return group({ ...keyringMeta, description: 'The mytokens kept in the system keyring (service mytoken): use one with --MT-keyring NAME, keep a new one with mytoken MT --keyring NAME.' }, [
    listCmd,
    deleteCmd,
    importCmd,
  ]);
}
