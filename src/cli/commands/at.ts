// mytoken AT [comment]: trade the mytoken for an access token.
import type { Command } from 'commander';
import { writeToken } from '../../output/terminal.js';
import type { Context } from '../context.js';
import { leaf } from '../command.js';
import { defineFlags } from '../flags.js';
import { checkTokenTarget } from '../../target.js';

const flags = defineFlags({
  scope: { names: ['-s', '--scope'], value: 'SCOPE', repeatable: true, description: 'scope to request', defaultText: 'every scope the mytoken allows' },
  aud: { names: ['--aud', '--audience'], value: 'AUD', repeatable: true, description: 'audience to request' },
  out: { names: ['-o', '--out'], value: 'FILE', description: 'write the access token to FILE (mode 0600) instead of stdout' },
});

export const atMeta = { name: 'AT', aliases: ['at', 'access-token'], summary: 'get an access token' };

export function atCommand(ctx: () => Context): Command {
  return leaf(ctx, {
    ...atMeta,
    description: 'Trade the mytoken for an OpenID Connect access token and print it.',
    argument: { name: 'comment', what: 'comment', help: 'a note stored with the access token on the server', optional: true },
    extraArgsHint: 'quote a comment with spaces: mytoken AT "my comment"',
    flags,
    tokenFlags: 'last',
    run: async ({ ctx: c, flags: v, source, arg: comment }) => {
      // everything that can be checked is checked before a usage is spent
      checkTokenTarget(v.out);
      // over ssh the key's own mytoken stays on the server
      const value = await c.operate(source, (ops) => ops.accessToken({ scopes: v.scope, audiences: v.aud, comment }), { output: v.out });
      writeToken(value.access_token, v.out);
    },
  });
}
