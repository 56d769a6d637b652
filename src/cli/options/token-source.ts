// The token-source flags (--MT, --MT-prompt, --MT-env, --MT-keyring, --MT-file, and --ssh for the ssh grant) shared by every command that needs a mytoken.
import type { Command } from 'commander';
import { splitSshValue } from '../../ssh/argv.js';
import type { SshTarget } from '../../ssh/run.js';
import { errBytes } from '../../output/terminal.js';
import { defineFlags, readFlags } from '../flags.js';

export const tokenSourceFlags = defineFlags({
  mt: {
    names: ['--MT'],
    value: 'MYTOKEN',
    description: 'the mytoken itself (visible to other local users in the process list; prefer --MT-file)',
    doc: 'the mytoken itself; other local users can see it in the process list, so prefer the others',
  },
  mtPrompt: { names: ['--MT-prompt'], description: 'ask for the mytoken on the terminal, without echo', doc: 'ask for the mytoken on the terminal, without echo (needs a terminal)' },
  mtEnv: { names: ['--MT-env'], value: 'ENV', description: 'read the mytoken from the environment variable ENV' },
  mtKeyring: {
    names: ['--MT-keyring'],
    value: 'NAME',
    env: ['MYTOKEN_MT_KEYRING'],
    description: 'read the mytoken from the system keyring entry NAME; a rotated mytoken is written back there',
    doc: 'read the mytoken from the system keyring entry NAME (see `mytoken keyring`); a rotated mytoken is written back there',
  },
  mtFile: {
    names: ['--MT-file'],
    value: 'FILE',
    description: 'read the mytoken from the first line of FILE; a rotated mytoken is written back there',
    doc:
      'read the mytoken from the first line of FILE (a trailing CR is dropped; a first line with spaces or other stray characters is refused, ' +
      'saying where and how to fix it); a rotated mytoken is written back there',
  },
  ssh: {
    names: ['--ssh'],
    value: 'SSH',
    description: 'use the ssh grant instead of a mytoken: a host from ~/.ssh/config, or ssh arguments such as "-p 2222 user@host"',
  },
});

/** The token-source flags as given: where the mytoken comes from, or the ssh grant instead. */
export interface TokenFlags {
  mt?: string;
  mtPrompt: boolean;
  mtEnv?: string;
  mtKeyring?: string;
  mtFile?: string;
  /** --ssh: the host entry or ssh arguments, as written */
  ssh?: string;
}

/**
 * The token-source flags given to `cmd`, or else to the group commands above it (`calendars
 * --MT-file F list`); MYTOKEN_MT_KEYRING is a default that any source on the command line beats.
 */
export function readTokenFlags(cmd: Command, env: Record<string, string | undefined>): TokenFlags {
  const v = readFlags(cmd, tokenSourceFlags, {});
  for (let anc = cmd.parent; anc; anc = anc.parent) {
    const up = readFlags(anc, tokenSourceFlags, {});
    v.mt ??= up.mt;
    v.mtPrompt ||= up.mtPrompt;
    v.mtEnv ??= up.mtEnv;
    v.mtKeyring ??= up.mtKeyring;
    v.mtFile ??= up.mtFile;
    v.ssh ??= up.ssh;
  }
  const named = v.mt !== undefined || v.mtPrompt || v.mtEnv !== undefined || v.mtKeyring !== undefined || v.mtFile !== undefined || v.ssh !== undefined;
  const mtKeyring = named ? v.mtKeyring : readFlags(cmd, tokenSourceFlags, env).mtKeyring;
  return { mt: v.mt, mtPrompt: v.mtPrompt, mtEnv: v.mtEnv, mtKeyring, mtFile: v.mtFile, ssh: v.ssh };
}

/** The --ssh value split into ssh's arguments (ssh's messages shown as they come); undefined without --ssh. */
export function sshTarget(source: TokenFlags, env: Record<string, string | undefined>): SshTarget | undefined {
  return source.ssh === undefined ? undefined : { args: splitSshValue(source.ssh, env.HOME), onStderr: errBytes };
}
