// What the server offers: mytoken config, mytoken capabilities, mytoken list providers.
// None of them needs a mytoken.
import type { Command } from 'commander';
import { capabilityTree } from '../../api/profiles.js';
import { prettyJson, typed } from '../../output/json.js';
import { out } from '../../output/terminal.js';
import { capabilitiesListing, CONFIGURATION, providersListing } from '../../output/views.js';
import { group, leaf } from '../command.js';
import type { Context } from '../context.js';

export const configMeta = { name: 'config', summary: "print the server's configuration document" };
export const capabilitiesMeta = { name: 'capabilities', summary: 'list the capabilities a mytoken can have' };
export const listMeta = { name: 'list', summary: 'list what the server offers' };

export function configCommand(ctx: () => Context): Command {
  return leaf(ctx, {
    ...configMeta,
    description: "Print the mytoken server's configuration document (its endpoints, providers and features) as JSON.",
    tokenFlags: false,
    run: async ({ ctx: c }) => {
      const doc = await c.serverFor().configuration();
      out(prettyJson(typed(doc, CONFIGURATION, true)));
    },
  });
}

export function capabilitiesCommand(ctx: () => Context): Command {
  return leaf(ctx, {
    ...capabilitiesMeta,
    tokenFlags: false,
    run: async ({ ctx: c }) => {
      out(capabilitiesListing(await capabilityTree(c.serverFor())));
    },
  });
}

export function listCommand(ctx: () => Context): Command {
  const providers = leaf(ctx, {
    name: 'providers',
    aliases: ['issuers'],
    summary: 'list the OpenID providers the server supports',
    description: 'List the OpenID providers the server supports, with the short names the config file gives them.',
    tokenFlags: false,
    run: async ({ ctx: c }) => {
      const server = c.serverFor();
      const doc = await server.configuration();
      const cfg = c.config();
      out(providersListing(server.instance, doc.providers_supported ?? [], cfg.providers, cfg.defaultProvider || undefined));
    },
  });
  return group(listMeta, [providers]);
}
