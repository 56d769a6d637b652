// mytoken AT [comment]: trade the mytoken for an access token.
import { Command } from 'commander';
import { writeToken } from '../../output/terminal.js';
import type { Context } from '../context.js';
import { addFlags, type FlagSpec, list, readFlags, str } from '../flags.js';
import { addTokenSourceFlags, readTokenFlags } from '../options/token-source.js';
import { helpIfAsked, unexpectedArguments } from '../help.js';
import { checkTokenTarget } from '../../target.js';

const flags: FlagSpec[] = [
  { key: 'scope', names: ['-s', '--scope'], value: 'SCOPE', repeatable: true, description: 'scope to request', defaultText: 'every scope the mytoken allows' },
  { key: 'aud', names: ['--aud', '--audience'], value: 'AUD', repeatable: true, description: 'audience to request' },
  { key: 'out', names: ['-o', '--out'], value: 'FILE', description: 'write the access token to FILE (mode 0600) instead of stdout' },
];

export const atMeta = { name: 'AT', aliases: ['at', 'access-token'], summary: 'get an access token' };

export function atCommand(ctx: () => Context): Command {
  const cmd = new Command(atMeta.name)
    .aliases(atMeta.aliases)
    .summary(atMeta.summary)
    .description('Trade the mytoken for an OpenID Connect access token and print it.')
    .argument('[comment]', 'a note stored with the access token on the server')
    .allowExcessArguments(true);
  addFlags(cmd, flags);
  addTokenSourceFlags(cmd);
  cmd.action(async (comment: string | undefined) => {
    if (helpIfAsked(cmd, cmd.args)) return;
    if (cmd.args.length > 1) throw unexpectedArguments(cmd, cmd.args.slice(1), 'one comment', 'quote a comment with spaces: mytoken AT "my comment"');
    const c = ctx();
    const v = readFlags(cmd, flags, c.env);
    // everything that can be checked is checked before a usage is spent
    checkTokenTarget(str(v.out));
    const source = readTokenFlags(cmd, c.env);
    // over ssh the key's own mytoken stays on the server
    const value = await c.operate(source, (ops) => ops.accessToken({ scopes: list(v.scope), audiences: list(v.aud), comment }), { output: str(v.out) });
    writeToken(value.access_token, str(v.out));
  });
  return cmd;
}
