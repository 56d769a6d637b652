// mytoken AT [comment]: trade the mytoken for an access token.
import type { Command } from 'commander';
import { requestAccessToken } from '../../api/tokens.js';
import { MytokenError } from '../../errors.js';
import { writeToken } from '../../output/terminal.js';
import { checkOutputTarget } from '../../tokens/source.js';
import type { Context } from '../context.js';
import { leaf } from '../command.js';
import { defineFlags } from '../flags.js';
import { sshTarget } from '../options/token-source.js';
import { sshRequest } from '../../ssh/run.js';
import { checkTokenTarget } from '../../output/target.js';
import { isTokenText } from '../../safefs.js';

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
      const ssh = sshTarget(source, c.env);
      if (ssh) {
        // the ssh grant: the key's own mytoken stays on the server
        const payload: Record<string, string> = { grant_type: 'mytoken', mytoken: '' };
        if (v.scope.length) payload.scope = v.scope.join(' ');
        if (v.aud.length) payload.audience = v.aud.join(' ');
        if (comment) payload.comment = comment;
        const token = await sshRequest(ssh, 'AT', payload, c.signal);
        if (!isTokenText(token)) throw new MytokenError(`the ssh server answered with something that is not an access token: ${String(token).split('\n')[0]}`);
        writeToken(token, v.out);
        return;
      }
      const found = await c.requireMytoken(source);
      checkOutputTarget(v.out, found);
      const server = c.serverFor(found.token);
      // No abort signal on the request itself: a rotated token must reach the file.
      const value = await c.useMytoken(found, (session) => requestAccessToken(server, session, { scopes: v.scope, audiences: v.aud, comment }));
      if (!isTokenText(value.access_token)) {
        throw new MytokenError(
          value.access_token === undefined
            ? `the server ${server.instance} answered without an access token`
            : `the server ${server.instance} answered with something that is not an access token (not one line of printable text)`,
        );
      }
      writeToken(value.access_token, v.out);
    },
  });
}
