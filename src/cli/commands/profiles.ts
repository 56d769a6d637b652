// mytoken profiles: the server's profiles and templates (names to use in --profile, --restrictions,
// --capability @name, --rotation). No mytoken is needed.
import type { Command } from 'commander';
import { profileEntries, profileGroups, type TemplateKind } from '../../api/profiles.js';
import type { MytokenServer } from '../../api/server.js';
import { MytokenServerError } from '../../errors.js';
import { out } from '../../output/terminal.js';
import { profileGroupBlock, profileSection } from '../../output/views.js';
import { leaf, group } from '../command.js';
import type { Context } from '../context.js';
import { defineFlags } from '../flags.js';

const groupsFlag = defineFlags({
  groups: {
    names: ['--groups'],
    value: 'GROUP',
    repeatable: true,
    description: 'only these groups',
    defaultText: 'every group',
  },
});

/** The entry names of a group, or none when the group has no such list (the server answered 404). */
async function names(server: MytokenServer, groupName: string, kind: TemplateKind): Promise<string[]> {
  try {
    return (await profileEntries(server, groupName, kind)).map((e) => e.name);
  } catch (e) {
    if (e instanceof MytokenServerError && e.status === 404) return [];
    throw e;
  }
}

async function selectedGroups(server: MytokenServer, given: string[]): Promise<string[]> {
  return given.length ? given : profileGroups(server);
}

function kindCommand(ctx: () => Context, kind: TemplateKind, name: string, summary: string, aliases?: string[]): Command {
  return leaf(ctx, {
    name,
    aliases,
    summary,
    tokenFlags: 'ignored',
    flags: groupsFlag,
    run: async ({ ctx: c, flags }) => {
      const server = c.serverFor();
      for (const g of await selectedGroups(server, flags.groups)) {
        const found = await names(server, g, kind);
        if (found.length) out(profileGroupBlock(g, found));
      }
    },
  });
}

const SECTIONS: [TemplateKind, string][] = [
  ['profiles', 'Profiles'],
  ['capabilities', 'Capabilities'],
  ['restrictions', 'Restrictions'],
  ['rotation', 'Rotation'],
];

export const profilesMeta = { name: 'profiles', summary: "list the server's profiles and templates" };

export function profilesCommand(ctx: () => Context): Command {
  const groups = leaf(ctx, {
    name: 'groups',
    summary: 'list the groups of profiles and templates',
    tokenFlags: 'ignored',
    run: async ({ ctx: c }) => {
      for (const g of await profileGroups(c.serverFor())) out(`${g}\n`);
    },
  });
  const all = leaf(ctx, {
    name: 'list-all',
    aliases: ['all'],
    summary: 'list profiles and all templates',
    tokenFlags: 'ignored',
    flags: groupsFlag,
    run: async ({ ctx: c, flags }) => {
      const server = c.serverFor();
      const gs = await selectedGroups(server, flags.groups);
      for (const [kind, title] of SECTIONS) {
        const found: { group: string; names: string[] }[] = [];
        for (const g of gs) {
          const n = await names(server, g, kind);
          if (n.length) found.push({ group: g, names: n });
        }
        if (found.length) out(profileSection(title, found));
      }
    },
  });
  return group(
    {
      ...profilesMeta,
      description:
        "List the server's profiles and templates: names to use with MT --profile, --restrictions, --capability @NAME and --rotation " +
        '(write GROUP/NAME for a group other than _).',
    },
    [
      groups,
      kindCommand(ctx, 'profiles', 'list', 'list profiles', ['profiles']),
      kindCommand(ctx, 'capabilities', 'capabilities', 'list capability templates'),
      kindCommand(ctx, 'restrictions', 'restrictions', 'list restriction templates'),
      kindCommand(ctx, 'rotation', 'rotation', 'list rotation templates'),
      all,
    ],
  );
}
