// mytoken settings: the user's settings at the server (grant types and ssh keys, e-mail, tags).
import type { Command } from 'commander';
import { UsageError } from '../../../errors.js';
import { normalizeColor } from '../../options/color.js';
import { out } from '../../../output/terminal.js';
import { emailBlock, tagsTable } from '../../../output/views.js';
import { group, leaf } from '../../command.js';
import { grantsCommand } from './grants.js';
import type { Context } from '../../context.js';
import { defineFlags } from '../../flags.js';

const colorFlag = defineFlags({
  color: {
    names: ['--color'],
    value: 'COLOR',
    description: 'colour of the tag: a name (red, teal, gold, ...) or hex digits (#3357ff, #35f)',
  },
});

function emailCommand(ctx: () => Context): Command {
  const get = leaf(ctx, {
    name: 'get',
    summary: 'show your e-mail address and mail preferences',
    run: async ({ ctx: c, source }) => {
      out(emailBlock(await c.operate(source, (m) => m.getEmail())));
    },
  });
  const update = leaf(ctx, {
    name: 'update',
    summary: 'change your e-mail address or mail format',
    description: 'Change your e-mail address (it must be verified again: the server mails a link) or the format of mails.',
    flags: {
      email: { names: ['--email'], value: 'ADDRESS', description: 'the new e-mail address' },
      html: { names: ['--html'], description: 'send HTML mails' },
      plain: { names: ['--plain'], description: 'send plain-text mails' },
    },
    run: async ({ ctx: c, source, flags }) => {
      const address = flags.email;
      const html = flags.html;
      const plain = flags.plain;
      if (!address && !html && !plain) throw new UsageError('nothing to change', 'give --email ADDRESS, --html or --plain');
      await c.operate(source, (m) => m.updateEmail({ address, preferHtml: html ? true : plain ? false : undefined }));
      out('Email preferences updated successfully\n');
    },
  });
  return group({ name: 'email', summary: 'your e-mail address for notifications' }, [get, update]);
}

function tagsCommand(ctx: () => Context): Command {
  const tagArg = { name: 'name', what: 'tag name' };
  const listCmd = leaf(ctx, {
    name: 'list',
    summary: 'list your tags',
    run: async ({ ctx: c, source }) => {
      out(tagsTable(await c.operate(source, (m) => m.listTags()), c.style()));
    },
  });
  const create = leaf(ctx, {
    name: 'create',
    summary: 'create a tag',
    argument: tagArg,
    flags: colorFlag,
    run: async ({ ctx: c, source, flags, arg }) => {
      const color = flags.color !== undefined ? normalizeColor(flags.color) : undefined;
      await c.operate(source, (m) => m.createTag(arg!, color));
      out(`Tag '${arg}' created successfully\n`);
    },
  });
  const update = leaf(ctx, {
    name: 'update',
    summary: 'rename a tag or change its colour',
    argument: tagArg,
    flags: { newName: { names: ['--new-name'], value: 'NAME', description: 'the new name of the tag' }, ...colorFlag },
    run: async ({ ctx: c, source, flags, arg }) => {
      const newName = flags.newName;
      const color = flags.color !== undefined ? normalizeColor(flags.color) : undefined;
      if (!newName && !color) throw new UsageError('nothing to change', 'give --new-name NAME or --color COLOR');
      await c.operate(source, (m) => m.updateTag(arg!, { newName, color }));
      out(`Tag '${arg}' updated successfully\n`);
    },
  });
  const del = leaf(ctx, {
    name: 'delete',
    aliases: ['rm', 'remove'],
    summary: 'delete a tag',
    argument: tagArg,
    run: async ({ ctx: c, source, arg }) => {
      await c.operate(source, (m) => m.deleteTag(arg!));
      out(`Tag '${arg}' deleted successfully\n`);
    },
  });
  return group({ name: 'tags', summary: 'your tags (to mark mytokens, calendars and notifications)' }, [listCmd, create, update, del]);
}

export const settingsMeta = { name: 'settings', summary: 'your settings at the server' };

export function settingsCommand(ctx: () => Context): Command {
  return group(
    { ...settingsMeta, tokenFlags: true },
    [grantsCommand(ctx), emailCommand(ctx), tagsCommand(ctx)],
  );
}
