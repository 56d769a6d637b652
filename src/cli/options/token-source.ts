// The token-source flags (--MT, --MT-prompt, --MT-env, --MT-file, and --ssh for the ssh grant) shared by every command that needs a mytoken.
import type { Command } from 'commander';
import { splitSshValue } from '../../ssh/argv.js';
import type { SshTarget } from '../../ssh/run.js';
import { errBytes } from '../../output/terminal.js';
import type { TokenSourceOptions } from '../../tokens/source.js';
import { addFlags, bool, type FlagSpec, readFlags, str } from '../flags.js';

export const tokenSourceFlags: FlagSpec[] = [
  { key: 'mt', names: ['--MT'], value: 'MYTOKEN', description: 'the mytoken itself (visible to other local users in the process list; prefer --MT-file)' },
  { key: 'mtPrompt', names: ['--MT-prompt'], description: 'ask for the mytoken on the terminal, without echo' },
  { key: 'mtFile', names: ['--MT-file'], value: 'FILE', description: 'read the mytoken from the first line of FILE; a rotated mytoken is written back there' },
  { key: 'mtEnv', names: ['--MT-env'], value: 'ENV', description: 'read the mytoken from the environment variable ENV' },
  {
    key: 'ssh',
    names: ['--ssh'],
    value: 'SSH',
    description: 'use the ssh grant instead of a mytoken: a host from ~/.ssh/config, or ssh arguments such as "-p 2222 user@host"',
  },
];

export function addTokenSourceFlags(cmd: Command): Command {
  return addFlags(cmd, tokenSourceFlags);
}

/** The token-source flags given to `cmd`, or else to the group commands above it (`calendars --MT-file F list`). */
function readHere(cmd: Command, env: Record<string, string | undefined>) {
  const v = readFlags(cmd, tokenSourceFlags, env);
  for (let anc = cmd.parent; anc; anc = anc.parent) {
    const up = readFlags(anc, tokenSourceFlags, env);
    for (const k of Object.keys(v)) v[k] ??= up[k];
  }
  return v;
}

export function readTokenSource(cmd: Command, env: Record<string, string | undefined>): TokenSourceOptions {
  const v = readHere(cmd, env);
  return { mt: str(v.mt), mtPrompt: bool(v.mtPrompt), mtEnv: str(v.mtEnv), mtFile: str(v.mtFile) };
}

/** The --ssh value given to `cmd` or a group above it, split into ssh's arguments (ssh's messages shown as they come); undefined without --ssh. */
export function readSshTarget(cmd: Command, env: Record<string, string | undefined>): SshTarget | undefined {
  const v = str(readHere(cmd, env).ssh);
  return v === undefined ? undefined : { args: splitSshValue(v, env.HOME), onStderr: errBytes };
}
