// mytoken settings grants: grant types of the user (the ssh grant) and the ssh keys it accepts.
import { isAbsolute } from 'node:path';
import type { Command } from 'commander';
import { addSshKey, deleteSshKey, listGrants, listSshKeys, pollSshKey, setGrant, type SshKeyAdded } from '../../api/grants.js';
import { MytokenError, MytokenServerError, UsageError } from '../../errors.js';
import { err, out } from '../../output/terminal.js';
import { grantsListing, sshKeysListing } from '../../output/views.js';
import { parseCapabilities, requestedRestrictions } from '../../request/mytoken.js';
import { nowSeconds } from '../../request/time.js';
import { appendHostEntry } from '../../ssh/config.js';
import { hostEntryProblem, showEntry } from '../../ssh/host-entry.js';
import { publicKeyFrom } from '../../ssh/keys.js';
import { group, leaf, type RunArgs } from '../command.js';
import type { Context } from '../context.js';
import { bool, str } from '../flags.js';
import { finishLogin } from '../login.js';
import { capabilityFlag } from '../options/capabilities.js';
import { readRestrictionFlags, restrictionFlags } from '../options/restrictions.js';

/** The command's one positional argument (leaf() has refused none): several are a usage error. */
function exactlyOne(a: RunArgs, what: string, example: string): string {
  if (a.cmd.args.length > 1) throw new UsageError(`give exactly one ${what}, not ${a.cmd.args.length}`, `e.g. ${example}`);
  return a.arg!;
}

function grantCommand(ctx: () => Context, enable: boolean): Command {
  const verb = enable ? 'enable' : 'disable';
  return leaf(ctx, {
    name: verb,
    summary: `${verb} a grant type (ssh)`,
    argument: { name: 'grant', what: 'grant type' },
    run: async (a) => {
      const grant = exactlyOne(a, 'grant type', `mytoken settings grants ${verb} ssh`);
      await a.ctx.withToken(a.cmd, (server, cred) => setGrant(server, cred, grant, enable));
      out(`Grant '${grant}' ${verb}d\n`);
    },
  });
}

/**
 * The HOME whose .ssh/config gets the host entry: refused when unset, empty or relative, before
 * anything is sent (the entry would otherwise land in ./.ssh/config of the working directory).
 */
function sshConfigHome(env: Record<string, string | undefined>): string {
  const home = env.HOME;
  if (home && isAbsolute(home)) return home;
  throw new UsageError(
    home ? `HOME (${home}) is not an absolute path, so the host entry for ~/.ssh/config has nowhere to go` : 'HOME is not set, so the host entry for ~/.ssh/config has nowhere to go',
    'set HOME, or add --no-write-host-entry to have the entry printed instead',
  );
}

async function addKey(a: RunArgs): Promise<void> {
  const c = a.ctx;
  const arg = exactlyOne(a, 'ssh public key', 'mytoken settings grants ssh add ~/.ssh/id_ed25519.pub');
  // everything that can be checked is checked before the mytoken is read
  const writeEntry = !bool(a.flags.noWriteHostEntry);
  const home = writeEntry ? sshConfigHome(c.env) : '';
  const key = publicKeyFrom(arg);
  const restrictions = requestedRestrictions(readRestrictionFlags(a.cmd, c.env), { now: nowSeconds(), env: c.env });
  const capabilities = parseCapabilities(str(a.flags.capability));
  const added = await c.withToken(a.cmd, async (server, cred): Promise<SshKeyAdded> => {
    let start;
    try {
      start = await addSshKey(server, cred, { key, name: str(a.flags.keyName), restrictions, capabilities });
    } catch (e) {
      // not a refused mytoken: a setting the user can change
      if (e instanceof MytokenServerError && e.error === 'access_denied' && /grant type not enabled/.test(e.errorDescription ?? '')) {
        throw new MytokenError(e.message, 1, 'enable it first: mytoken settings grants enable ssh');
      }
      throw e;
    }
    return finishLogin(c, server, start, pollSshKey);
  });
  out(`Successfully added ssh key\nPlease use the following username for ssh: '${added.ssh_user ?? ''}'\n`);
  const entry = added.ssh_host_config;
  if (!entry) return;
  const problem = hostEntryProblem(entry);
  if (problem) {
    // the server's fault, not the user's: status 1; the key itself is registered all the same
    const where = problem.line ? `line ${problem.line} ("${problem.text}"): ` : '';
    err(
      `mytoken: the key is added and stays registered, but the host entry the server sent was not ${writeEntry ? 'written to ~/.ssh/config' : 'printed as advice'}: ` +
        `${where}${problem.why}\n  The entry as sent (check it; add only what you trust to ~/.ssh/config yourself):\n${showEntry(entry)}` +
        '  If you do not trust the server, remove the key again: mytoken settings grants ssh delete <the key or its .pub file>\n',
    );
    c.partialFailure = true;
    return;
  }
  if (!writeEntry) {
    out(`You might want to add the following host entry to your ssh config file:\n\n${entry}\n`);
    return;
  }
  try {
    appendHostEntry(home, entry);
  } catch (e) {
    out(`You might want to add the following host entry to your ssh config file:\n\n${entry}\n`);
    err(`mytoken: the key is added, but ${home}/.ssh/config could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); add the entry above yourself\n`);
    c.partialFailure = true;
    return;
  }
  out("We added a host entry to your '~/.ssh/config' file. You can check and adapt it if necessary.\n");
}

function sshCommand(ctx: () => Context): Command {
  const keyArg = { name: 'ssh-key', what: 'ssh public key (a key line or a .pub file)' };
  const listCmd = leaf(ctx, {
    name: 'list',
    aliases: ['view'],
    summary: 'list your ssh keys',
    run: async ({ ctx: c, cmd }) => {
      const { enabled, keys } = await c.withToken(cmd, (server, cred) => listSshKeys(server, cred));
      out(sshKeysListing(enabled, keys));
    },
  });
  const add = leaf(ctx, {
    name: 'add',
    aliases: ['new'],
    summary: 'add an ssh key (you log in again to confirm)',
    description:
      'Add an ssh key: afterwards `ssh HOST AT` (or mytoken AT --ssh HOST) gives access tokens with no mytoken on the machine. ' +
      'The server asks you to log in again; the key gets its own mytoken with the restrictions and capabilities given.',
    argument: keyArg,
    flags: [
      ...restrictionFlags,
      { ...capabilityFlag, description: "capabilities of the key's mytoken: names separated by spaces or a JSON array", defaultText: "the server's default (AT)" },
      { key: 'keyName', names: ['--key-name'], value: 'NAME', description: 'a name for the key' },
      {
        key: 'noWriteHostEntry',
        names: ['--no-write-host-entry'],
        env: ['NO_WRITE_HOST_ENTRY'],
        description: 'print the host entry for ~/.ssh/config instead of adding it there',
      },
    ],
    run: addKey,
  });
  const del = leaf(ctx, {
    name: 'delete',
    aliases: ['remove', 'rm'],
    summary: 'delete an ssh key (by fingerprint, key or key file)',
    argument: keyArg,
    run: async (a) => {
      const arg = exactlyOne(a, 'ssh key', 'mytoken settings grants ssh delete SHA256:...');
      const which = arg.startsWith('SHA256:') ? { fingerprint: arg } : { key: publicKeyFrom(arg) };
      await a.ctx.withToken(a.cmd, (server, cred) => deleteSshKey(server, cred, which));
      out('Successfully removed ssh key\n');
    },
  });
  return group({ name: 'ssh', aliases: ['SSH'], summary: 'your ssh keys for the ssh grant', tokenFlags: true }, [listCmd, add, del]);
}

export function grantsCommand(ctx: () => Context): Command {
  const listCmd = leaf(ctx, {
    name: 'list',
    aliases: ['view'],
    summary: 'list your grant types and whether they are enabled',
    run: async ({ ctx: c, cmd }) => {
      const { grants, offered } = await c.withToken(cmd, async (server, cred) => ({
        grants: await listGrants(server, cred),
        offered: (await server.configuration()).mytoken_endpoint_grant_types_supported ?? [],
      }));
      out(grantsListing(grants, offered));
    },
  });
  return group({ name: 'grants', aliases: ['grant-types'], summary: 'grant types (the ssh grant) and ssh keys', tokenFlags: true }, [
    listCmd,
    grantCommand(ctx, true),
    grantCommand(ctx, false),
    sshCommand(ctx),
  ]);
}
