// The capability flag ("C flag", spec cli.md 4.3) of MT and settings grants ssh add.
import { defineFlags } from '../flags.js';

export const capabilityFlags = defineFlags({
  capability: {
    names: ['--capability', '--capabilities'],
    value: 'CAPABILITIES',
    description: 'capabilities of the new mytoken: names separated by spaces, a JSON array, or @template',
    doc: 'capabilities of the new mytoken: names separated by spaces, a JSON array, or `@template`; a name the client does not know is an error (see `mytoken capabilities`)',
    defaultText: "default_token_capabilities from the config file when logging in; the parent's for a sub-token",
  },
});
