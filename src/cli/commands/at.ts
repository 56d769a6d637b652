// mytoken AT [comment]: trade the mytoken for an access token.
import { Command } from 'commander';
import { requestAccessToken } from '../../api/tokens.js';
import { MytokenError } from '../../errors.js';
import { writeToken } from '../../output/terminal.js';
import { checkOutputTarget } from '../../tokens/source.js';
import type { Context } from '../context.js';
import { addFlags, type FlagSpec, list, readFlags, str } from '../flags.js';
import { addTokenSourceFlags, readSshTarget, readTokenSource } from '../options/token-source.js';
import { sshRequest } from '../../ssh/run.js';
import { helpIfAsked, unexpectedArguments } from '../help.js';
import { checkTokenTarget } from '../../target.js';
import { isTokenText } from '../../safefs.js';

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
    const ssh = readSshTarget(cmd, c.env);
    if (ssh) {
      // the ssh grant: the key's own mytoken stays on the server
      const payload: Record<string, string> = { grant_type: 'mytoken', mytoken: '' };
      if (list(v.scope).length) payload.scope = list(v.scope).join(' ');
      if (list(v.aud).length) payload.audience = list(v.aud).join(' ');
      if (comment) payload.comment = comment;
      const token = await sshRequest(ssh, 'AT', payload, c.signal);
      if (!isTokenText(token)) throw new MytokenError(`the ssh server answered with something that is not an access token: ${String(token).split('\n')[0]}`);
      writeToken(token, str(v.out));
      return;
    }
    const found = await c.requireMytoken(readTokenSource(cmd, c.env));
    checkOutputTarget(str(v.out), found);
    const server = c.serverFor(found.token);
    // No abort signal on the request itself: a rotated token must reach the file.
    const value = await c.useMytoken(found, (session) => requestAccessToken(server, session, { scopes: list(v.scope), audiences: list(v.aud), comment }));
    if (!isTokenText(value.access_token)) {
      throw new MytokenError(
        value.access_token === undefined
          ? `the server ${server.instance} answered without an access token`
          : `the server ${server.instance} answered with something that is not an access token (not one line of printable text)`,
      );
    }
    writeToken(value.access_token, str(v.out));
  });
  return cmd;
}
