// The token-source flags (--MT, --MT-prompt, --MT-env, --MT-file) shared by every command that needs a mytoken.
import type { Command } from 'commander';
import type { TokenSourceOptions } from '../../tokens/source.js';
import { addFlags, bool, type FlagSpec, readFlags, str } from '../flags.js';

export const tokenSourceFlags: FlagSpec[] = [
  { key: 'mt', names: ['--MT'], value: 'MYTOKEN', description: 'the mytoken itself (visible to other local users in the process list; prefer --MT-file)' },
  { key: 'mtPrompt', names: ['--MT-prompt'], description: 'ask for the mytoken on the terminal, without echo' },
  { key: 'mtFile', names: ['--MT-file'], value: 'FILE', description: 'read the mytoken from the first line of FILE; a rotated mytoken is written back there' },
  { key: 'mtEnv', names: ['--MT-env'], value: 'ENV', description: 'read the mytoken from the environment variable ENV' },
];

export function addTokenSourceFlags(cmd: Command): Command {
  return addFlags(cmd, tokenSourceFlags);
}

/** The token-source flags given to `cmd`, or else to the group commands above it (`calendars --MT-file F list`). */
export function readTokenSource(cmd: Command, env: Record<string, string | undefined>): TokenSourceOptions {
  const v = readFlags(cmd, tokenSourceFlags, env);
  for (let anc = cmd.parent; anc; anc = anc.parent) {
    const up = readFlags(anc, tokenSourceFlags, env);
    for (const k of Object.keys(v)) v[k] ??= up[k];
  }
  return { mt: str(v.mt), mtPrompt: bool(v.mtPrompt), mtEnv: str(v.mtEnv), mtFile: str(v.mtFile) };
}
