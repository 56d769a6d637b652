// The flags of the root command, usable before or after any command name.
import type { Command } from 'commander';
import { addFlags, defineFlags } from '../flags.js';

export const globalFlags = defineFlags({
  config: {
    names: ['--config'],
    value: 'FILE',
    env: ['MYTOKEN_CONFIG', 'MYTOKEN_CONF'],
    description: 'use this config file instead of the default locations',
    doc: 'use this config file (it must exist) instead of the default locations',
  },
  url: {
    names: ['--url', '--mytoken-url'],
    value: 'URL',
    env: ['MYTOKEN_URL'],
    description: 'the mytoken server to use, instead of instance from the config file',
    doc: 'the mytoken server to use, instead of `instance` from the config file (a JWT mytoken goes to the server that issued it)',
  },
  noColor: { names: ['--no-color'], description: 'no colours in the output (NO_COLOR does the same)', doc: 'no colours in the output (the environment variable `NO_COLOR` does the same)' },
});

export function addGlobalFlags(root: Command): Command {
  return addFlags(root, globalFlags);
}
