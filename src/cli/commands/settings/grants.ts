// mytoken settings grants: grant types of the user (the ssh grant) and the ssh keys it accepts.
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import type { MytokenServer } from '../../../api/server.js';
import { addSshKey, deleteSshKey, listGrants, listSshKeys, pollSshKey, setGrant, type SshKeyAdded } from '../../../api/grants.js';
import { ExitStatus, InterruptedError, MytokenError, MytokenServerError, UsageError } from '../../../errors.js';
import { err, errorMessage, out } from '../../../output/terminal.js';
import { grantsListing, sshKeysListing } from '../../../output/views.js';
import { parseCapabilities, requestedRestrictions } from '../../../request/mytoken.js';
import { nowSeconds } from '../../../request/time.js';
import { appendHostEntry } from '../../../ssh/config.js';
import { hostEntryProblem, showEntry } from '../../../ssh/host-entry.js';
import { publicKeyFrom } from '../../../ssh/keys.js';
import { addToKnownHosts, type HostKey, hostOfEntry, knownHostsLine, knownHostsName, publishedHostKeys, publishedOnes, scanHostKeys, sshFingerprint } from '../../../ssh/known-hosts.js';
import { group, leaf, type RunArgs } from '../../command.js';
import type { Context } from '../../context.js';
import { defineFlags } from '../../flags.js';
import { finishLogin } from '../../login.js';
import { capabilityFlags } from '../../options/capabilities.js';
import { forceFlags, restrictionFlags, restrictionOptions } from '../../options/restrictions.js';
import { checkAppendTarget } from '../../../target.js';

function grantCommand(ctx: () => Context, enable: boolean): Command {
  const verb = enable ? 'enable' : 'disable';
  return leaf(ctx, {
    name: verb,
    summary: `${verb} a grant type (ssh)`,
    argument: { name: 'grant', what: 'grant type' },
    run: async (a) => {
      const grant = a.arg!;
      await a.ctx.withServer(a.source, (server, cred) => setGrant(server, cred, grant, enable));
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

const addKeyFlags = defineFlags({
  ...restrictionFlags,
  capability: {
    ...capabilityFlags.capability,
    description: "capabilities of the key's mytoken: names separated by spaces or a JSON array",
    doc: undefined, // MT's text (templates, the config's default) is not about this one
    defaultText: "the server's default (AT)",
  },
  keyName: { names: ['--key-name'], value: 'NAME', description: 'a name for the key' },
  noWriteHostEntry: {
    names: ['--no-write-host-entry'],
    env: ['NO_WRITE_HOST_ENTRY'],
    description: 'print the host entry for ~/.ssh/config instead of adding it there',
  },
  ...forceFlags,
});

async function addKey(a: RunArgs<typeof addKeyFlags>): Promise<void> {
  const c = a.ctx;
  const arg = a.arg!;
  // everything that can be checked is checked before the mytoken is read
  const writeEntry = !a.flags.noWriteHostEntry;
  const home = writeEntry ? sshConfigHome(c.env) : '';
  if (writeEntry) checkAppendTarget(join(home, '.ssh', 'config'), 'make ~/.ssh/config writable, or add --no-write-host-entry to have the entry printed instead');
  const key = publicKeyFrom(arg);
  const force = a.flags.force;
  const restrictions = requestedRestrictions(restrictionOptions(a.flags), { now: nowSeconds(), env: c.env, force });
  const capabilities = parseCapabilities(a.flags.capability, force);
  let used: MytokenServer | undefined;
  const added = await c.withServer(a.source, async (server, cred): Promise<SshKeyAdded> => {
    used = server;
    let start;
    try {
      start = await addSshKey(server, cred, { key, name: a.flags.keyName, restrictions, capabilities });
    } catch (e) {
      // not a refused mytoken: a setting the user can change
      if (e instanceof MytokenServerError && e.error === 'access_denied' && /grant type not enabled/.test(e.errorDescription ?? '')) {
        throw new MytokenError(e.message, ExitStatus.failure, 'enable it first: mytoken settings grants enable ssh');
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
  const hostKeys = await serverHostKeys(used!, entry, writeEntry, c.signal);
  const knownHostsAdvice = (start: string) => {
    if (!('keys' in hostKeys)) return;
    const lines = hostKeys.keys.map((k) => knownHostsLine(hostKeys.host, hostKeys.port, k));
    out(`${start} the following ${lines.length > 1 ? 'lines' : 'line'} (the server's ssh host key) to your '~/.ssh/known_hosts' file:\n\n${lines.join('\n')}\n`);
  };
  const advise = () => {
    out(`You might want to add the following host entry to your ssh config file:\n\n${entry}\n`);
    knownHostsAdvice('and');
  };
  if (!writeEntry) {
    advise();
  } else {
    try {
      appendHostEntry(home, entry);
    } catch (e) {
      advise();
      err(`mytoken: the key is added, but ${home}/.ssh/config could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); add the entry above yourself\n`);
      c.partialFailure = true;
      return;
    }
    out("We added a host entry to your '~/.ssh/config' file. You can check and adapt it if necessary.\n");
    if ('keys' in hostKeys) {
      const name = knownHostsName(hostKeys.host, hostKeys.port);
      try {
        const lines = addToKnownHosts(home, hostKeys.host, hostKeys.port, hostKeys.keys);
        out(lines.length ? `We added the server's ssh host key for ${name} to '~/.ssh/known_hosts'.\n` : `The server's ssh host key for ${name} is in '~/.ssh/known_hosts' already.\n`);
      } catch (e) {
        knownHostsAdvice('You might want to add');
        err(`mytoken: the key is added, but ${home}/.ssh/known_hosts could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); add the line above yourself\n`);
        c.partialFailure = true;
        return;
      }
    }
  }
  if ('why' in hostKeys) {
    err(errorMessage(new MytokenError(hostKeys.why, ExitStatus.failure, hostKeys.hint)));
    if (hostKeys.fails) c.partialFailure = true;
  }
}

/**
 * The host keys of the ssh server the host entry names, checked against the fingerprints the
 * server publishes (ssh_keys), for ~/.ssh/known_hosts; or why there are none (`fails`: the
 * server's answers do not fit together, which is the command's failure, not a mere note).
 */
async function serverHostKeys(
  server: MytokenServer,
  entry: string,
  writing: boolean,
  signal: AbortSignal,
): Promise<{ host: string; port: number; keys: HostKey[] } | { why: string; hint?: string; fails: boolean }> {
  const unchanged = writing ? 'so ~/.ssh/known_hosts was not changed' : 'so there is no line for ~/.ssh/known_hosts';
  const target = hostOfEntry(entry);
  if (!target) return { why: `the host entry names no HostName, ${unchanged}`, fails: false };
  const name = knownHostsName(target.host, target.port);
  const config = await server.configuration();
  if (config.ssh_keys === undefined || config.ssh_keys === null) {
    return { why: `the server publishes no ssh host keys (ssh_keys in its configuration), ${unchanged}`, hint: `the first ssh to ${name} shows the host key: ask the server's operators whether it is theirs`, fails: false };
  }
  const published = publishedHostKeys(config.ssh_keys);
  if ('why' in published) {
    return { why: `the ssh_keys in the server's configuration are not host keys (${published.why}), ${unchanged}`, hint: "tell the server's operators", fails: true };
  }
  const fingerprints = published.keys.map((k) => k.fingerprint).join(', ');
  let scanned: HostKey[];
  try {
    scanned = await scanHostKeys(target.host, target.port, published.keys, signal);
  } catch (e) {
    if (signal.aborted) throw new InterruptedError();
    return { why: `the ssh host key of ${name} could not be read (${(e as Error).message}), ${unchanged}`, hint: `when ssh asks, accept the host key only if its fingerprint is ${fingerprints}`, fails: false };
  }
  const keys = publishedOnes(scanned, published.keys);
  if (!keys.length) {
    const seen = scanned.map((k) => sshFingerprint(Buffer.from(k.base64, 'base64'))).join(', ');
    return {
      why: `the ssh host key at ${name} is not one the server publishes (it shows ${seen}; the server publishes ${fingerprints}), ${unchanged}`,
      hint: "do not accept it when ssh asks; tell the server's operators",
      fails: true,
    };
  }
  return { ...target, keys };
}

function sshCommand(ctx: () => Context): Command {
  const keyArg = { name: 'ssh-key', what: 'ssh public key (a key line or a .pub file)' };
  const listCmd = leaf(ctx, {
    name: 'list',
    aliases: ['view'],
    summary: 'list your ssh keys',
    run: async ({ ctx: c, source }) => {
      const { enabled, keys } = await c.withServer(source, (server, cred) => listSshKeys(server, cred));
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
    flags: addKeyFlags,
    run: addKey,
  });
  const del = leaf(ctx, {
    name: 'delete',
    aliases: ['remove', 'rm'],
    summary: 'delete an ssh key (by fingerprint, key or key file)',
    argument: keyArg,
    run: async (a) => {
      const arg = a.arg!;
      const which = arg.startsWith('SHA256:') ? { fingerprint: arg } : { key: publicKeyFrom(arg) };
      await a.ctx.withServer(a.source, (server, cred) => deleteSshKey(server, cred, which));
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
    run: async ({ ctx: c, source }) => {
      const { grants, offered } = await c.withServer(source, async (server, cred) => ({
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
