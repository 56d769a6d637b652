// mytoken MT: a new mytoken, from a transfer code, from a mytoken (sub-token) or by logging in (OIDC).
import type { Command } from 'commander';
import { exchangeTransferCode, forGrant, startAuthCodeFlow } from '../../api/tokens.js';
import type { MytokenRequest, MytokenResponse } from '../../api/types.js';
import { resolveProvider } from '../../config/config.js';
import { MytokenError, RefusedError, UsageError } from '../../errors.js';
import { warn, writeToken } from '../../output/terminal.js';
import { revokeIssued } from '../../api/revocation.js';
import { grantedDifferences } from '../../request/granted.js';
import { isTokenText } from '../../safefs.js';
import { finishLogin } from '../login.js';
import { newTokenRequest, withDefaultCapabilities, type NewTokenOptions, parseCapabilities } from '../../request/mytoken.js';
import { capabilityFlags } from '../options/capabilities.js';
import { forceFlags, restrictionFlags, restrictionOptions } from '../options/restrictions.js';
import { rotationFlags, rotationOptions } from '../options/rotation.js';
import type { Context } from '../context.js';
import { leaf } from '../command.js';
import { defineFlags } from '../flags.js';
import { nowSeconds } from '../../request/time.js';
import { checkTokenTarget } from '../../target.js';
import { listMytokensCommand } from './info.js';
import { tokenTagsCommand } from './token-tags.js';
import { checkKeyringTarget, keepInKeyring } from './keyring.js';

const flags = defineFlags({
  profile: {
    names: ['--profile'],
    value: 'PROFILE',
    env: ['MYTOKEN_PROFILE'],
    description: 'start from this request: a JSON mytoken request, or server-side profile names separated by spaces',
  },
  ...restrictionFlags,
  tc: { names: ['--TC'], value: 'TRANSFER_CODE', env: ['MYTOKEN_TC'], description: 'exchange this transfer code for the mytoken it stands for' },
  oidc: { names: ['--oidc'], description: 'log in with OpenID Connect even when a mytoken is available' },
  provider: {
    names: ['-i', '--provider', '--issuer'],
    value: 'PROVIDER',
    env: ['MYTOKEN_PROVIDER'],
    description: 'OpenID provider to log in with: a short name from the config file or an issuer URL',
    doc: 'OpenID provider to log in with: a short name from `providers:` in the config file, or its issuer URL',
    defaultText: 'default_provider from the config file',
  },
  ...capabilityFlags,
  ...rotationFlags,
  name: {
    names: ['-n', '--name'],
    value: 'NAME',
    description: 'name of the new mytoken (token_name_prefix from the config is put in front)',
    doc: 'name of the new mytoken; `token_name_prefix` from the config is put in front as `<prefix>:<name>`',
  },
  tokenType: {
    names: ['--token-type'],
    value: 'TYPE',
    description: 'form of the new mytoken: token (a JWT), short, or transfer (a transfer code to use on another machine)',
    doc: 'form of the new mytoken: `token` (a JWT), `short` (a short token) or `transfer` (a transfer code, printed, for `MT --TC` on another machine); anything else is an error',
    defaultText: 'token',
  },
  tags: { names: ['--tags'], value: 'TAG', repeatable: true, description: 'tag the new mytoken with this tag' },
  out: { names: ['-o', '--out'], value: 'FILE', description: 'write the mytoken to FILE (mode 0600) instead of stdout' },
  keyring: {
    names: ['--keyring'],
    value: 'NAME',
    description: 'keep the new mytoken in the system keyring entry NAME instead of printing it (an existing entry only with --force)',
  },
  force: {
    ...forceFlags.force,
    description: 'ask even when a restriction ended before now or a capability name is unknown to this client; with --keyring, replace an existing entry',
  },
  strict: {
    names: ['--strict'],
    env: ['MYTOKEN_STRICT'],
    description: 'fail, and revoke the new mytoken, when the server gives it less than asked (config: strict: true)',
    doc: 'when the server grants less than asked, fail (status 3) and revoke the new mytoken (config: `strict: true`)',
  },
});

/** The token the user asked for out of a mytoken response: the mytoken, or the transfer code. `peer`: who answered. */
function issuedToken(res: MytokenResponse, peer: string): string {
  const t = res.mytoken || res.transfer_code;
  if (!t) throw new MytokenError(`${peer} answered without a mytoken`);
  if (!isTokenText(t)) throw new MytokenError(`${peer} answered with a mytoken that is not a token (not one line of printable text)`);
  return t;
}

/**
 * Where the new mytoken goes: the keyring entry `keyring`, else `out` (a file, or stdout). A
 * keyring that fails at the last moment gets the token printed instead: a new mytoken is never lost.
 */
function delivery(out: string | undefined, keyring: string | undefined, env: Record<string, string | undefined>): (token: string) => Promise<void> {
  if (keyring === undefined) return async (token) => writeToken(token, out);
  return async (token) => {
    try {
      await keepInKeyring(keyring, token, env);
    } catch (e) {
      writeToken(token, undefined);
      throw new MytokenError(`could not keep the new mytoken in keyring entry ${keyring} (${(e as Error).message}); it was printed above instead`);
    }
  };
}

/**
 * Says on stderr how the new mytoken differs from the request (a server narrows a sub-token to its
 * parent without a word). With --strict that is an error: the new mytoken is revoked, or, if that
 * fails, delivered as usual so that a live mytoken is not lost.
 */
async function checkGranted(
  from: { peer: string; revokeIssued: (token: string) => Promise<void> },
  asked: MytokenRequest,
  res: MytokenResponse,
  strict: boolean,
  deliver: (token: string) => Promise<void>,
): Promise<void> {
  const diffs = grantedDifferences(asked, res);
  if (!diffs.length) return;
  const what = `the server did not grant the new mytoken as asked:\n  ${diffs.join('\n  ')}`;
  if (!strict) return warn(what);
  const token = issuedToken(res, from.peer);
  try {
    await from.revokeIssued(token);
  } catch (e) {
    await deliver(token);
    throw new RefusedError(`${what}\n  (--strict) and it could not be revoked (${(e as Error).message}), so it was kept as usual`, 'revoke it yourself if you do not want it (mytoken revoke)');
  }
  throw new RefusedError(`${what}\n  (--strict) so it was revoked`, 'ask for no more than the parent mytoken allows, or leave out --strict to take what the server gives');
}

export const mtMeta = { name: 'MT', aliases: ['mt', 'mytoken'], summary: 'get a new mytoken' };

export function mtCommand(ctx: () => Context): Command {
  return leaf(ctx, {
    ...mtMeta,
    description:
      'Get a new mytoken: from a transfer code (--TC), as a sub-token of the mytoken given (which must have the ' +
      'create_mytoken capability), or by logging in at an OpenID provider when there is no mytoken or --oidc is given.',
    flags,
    tokenFlags: 'last',
    subcommands: [tokenTagsCommand(ctx), listMytokensCommand(ctx)],
    extraArgsHint: 'a transfer code goes with --TC CODE; the subcommands are tags and list-mytokens (see mytoken MT --help)',
    run: async ({ ctx: c, flags: v, source }) => {
      const out = v.out;
      // a transfer code is used once, a login takes the user's time: the output is checked first
      checkTokenTarget(out);
      if (v.keyring !== undefined) {
        if (out !== undefined) throw new UsageError('--keyring and -o both say where the new mytoken goes', 'give one of them');
        if (v.tokenType === 'transfer') throw new UsageError('--keyring keeps mytokens, and --token-type transfer gives a transfer code', 'leave out one of them');
        await checkKeyringTarget(v.keyring, v.force, c.env);
      }
      const deliver = delivery(out, v.keyring, c.env);

      const tc = v.tc;
      if (tc) {
        const server = c.serverFor();
        const res = await exchangeTransferCode(server, tc, c.signal);
        await deliver(issuedToken(res, `the server ${server.instance}`));
        return;
      }

      // Everything the client can check is checked before a mytoken is read or a request is sent.
      const force = v.force;
      const strict = v.strict || c.config().strict;
      const options: NewTokenOptions = {
        profile: v.profile,
        name: v.name,
        tokenType: v.tokenType ?? 'token',
        ...rotationOptions(v),
        ...restrictionOptions(v),
        capabilities: parseCapabilities(v.capability, force),
        tags: v.tags,
        namePrefix: c.config().tokenNamePrefix,
      };
      const newRequest = newTokenRequest(options, { now: nowSeconds(), env: c.env, force });
      const found = source.ssh !== undefined || v.oidc ? undefined : await c.findMytoken(source);
      if (source.ssh !== undefined || found) {
        // a sub-token (over ssh: of the key's mytoken) has the parent's properties unless the user restricts them;
        // the lock on a rotating parent is held for the request only
        const { ops, value } = await c.operate(source, async (ops) => ({ ops, value: await ops.subtoken(newRequest) }), { found, output: out });
        await checkGranted(ops, newRequest, value, strict, deliver);
        await deliver(issuedToken(value, ops.peer));
        return;
      }

      const cfg = c.config();
      const loginRequest = withDefaultCapabilities(newRequest, cfg.defaultTokenCapabilities);
      const provider = v.provider || (loginRequest.oidc_issuer ? undefined : cfg.defaultProvider);
      if (!provider && !loginRequest.oidc_issuer) {
        throw new UsageError(
          'no OpenID provider to log in with',
          'pass -i NAME|URL, set default_provider in the config file, or pass a mytoken to create a sub-token',
        );
      }
      const issuer = provider ? resolveProvider(provider, cfg) : loginRequest.oidc_issuer!;
      const server = c.serverFor();
      const req = forGrant(loginRequest, 'oidc_flow', issuer);
      const start = await startAuthCodeFlow(server, req, c.signal);
      const res = await finishLogin(c, server, start);
      const peer = `the server ${server.instance}`;
      await checkGranted({ peer, revokeIssued: (t) => revokeIssued(server, t) }, loginRequest, res, strict, deliver);
      await deliver(issuedToken(res, peer));
    },
  });
}
