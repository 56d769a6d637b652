// mytoken revoke: revoke the mytoken (and its sub-tokens), or another one by its mom id.
import type { Command } from 'commander';
import { confirm, canAsk } from '../../output/prompt.js';
import { out, warn } from '../../output/terminal.js';
import { KeyringStore } from '../../tokens/keyring-store.js';
import { deleteEntry } from './keyring.js';
import { leaf } from '../command.js';
import type { Context } from '../context.js';

export const revokeMeta = { name: 'revoke', summary: 'revoke a mytoken' };

export function revokeCommand(ctx: () => Context): Command {
  return leaf(ctx, {
    ...revokeMeta,
    // `revoke TOKEN` would revoke the mytoken found elsewhere (a token file) and leave TOKEN alive
    extraArgsHint: 'name the mytoken to revoke with --MT-file FILE, --MT-env VAR or --MT TOKEN; another one of yours with --mom-id ID',
    extraArgsMayBeTokens: true,
    description:
      'Revoke the mytoken given, or with --mom-id another mytoken of yours (a sub-token of the one given, or any one ' +
      'when the mytoken given has the capability manage_mytokens:revoke). A token file is left as it is; a keyring entry is ' +
      'deleted after asking (kept with --keep-entry, or when there is no terminal to ask on).',
    flags: {
      recursive: { names: ['-r', '--recursive'], description: 'revoke its sub-tokens too' },
      momId: {
        names: ['--mom-id', '--MOM-ID', '--mom', '--MOM'],
        value: 'MOM_ID',
        env: ['MOM_ID'],
        description: 'revoke the mytoken with this mom id instead (see mytoken info list-mytokens --include-mom-id)',
      },
      keepEntry: { names: ['--keep-entry'], description: 'keep the keyring entry of the revoked mytoken (see --MT-keyring)' },
    },
    run: async ({ ctx: c, source, flags }) => {
      const momId = flags.momId;
      const recursive = flags.recursive;
      const found = source.ssh === undefined ? await c.requireMytoken(source) : undefined;
      await c.operate(source, (ops) => ops.revoke({ momId, recursive }), { found });
      out('Token revoked\n');
      // the entry of a mytoken revoked by its own value holds a dead token now
      const entry = !momId && found?.store instanceof KeyringStore ? found.store.entry : undefined;
      if (entry === undefined || flags.keepEntry) return;
      if (!canAsk()) return warn(`keyring entry ${entry} still holds the revoked mytoken; delete it with mytoken keyring delete ${entry} --force`);
      if (await confirm(`Delete keyring entry ${entry} too?`, true)) await deleteEntry(entry, c.env);
    },
  });
}
