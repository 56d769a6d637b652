// mytoken calendars: calendar feeds (ICS) with an event at the expiry of each mytoken in them.
import type { Command } from 'commander';
import { ensureTags, type Operations } from '../../api/operations.js';
import { ExitStatus, MytokenError, UsageError } from '../../errors.js';
import { err, out } from '../../output/terminal.js';
import { calendarsTable, summary } from '../../output/views.js';
import { edited } from '../options/lists.js';
import { group, leaf } from '../command.js';
import type { Context } from '../context.js';
import { defineFlags } from '../flags.js';
import { ask, confirm } from '../../output/prompt.js';
import { askTags, confirmDeletion, forceFlag, requireTerminal } from '../interactive.js';

const idArg = { name: 'calendar-id', what: 'calendar ID' };
const momId = defineFlags({ momId: { names: ['--mom-id'], value: 'MOM_ID', description: 'the mytoken with this mom id instead of the one given' } });

async function create(m: Operations, description: string | undefined, tags: string[]): Promise<void> {
  if (tags.length) await ensureTags(m, tags);
  const cal = await m.createCalendar({ description, tags });
  if (!cal.id) throw new MytokenError('the server answered without the ID of the new calendar');
  out(`\n✓ Calendar created successfully! ID: ${cal.id}\n`);
}

const notFound = (id: string) => new MytokenError(`calendar '${id}' not found`, ExitStatus.failure, 'see mytoken calendars list for your calendars');

export const calendarsMeta = { name: 'calendars', aliases: ['calendar'], summary: 'calendars with the expiry dates of your mytokens' };

export function calendarsCommand(ctx: () => Context): Command {
  const listCmd = leaf(ctx, {
    name: 'list',
    summary: 'list your calendars',
    run: async ({ ctx: c, source }) => {
      out(calendarsTable(await c.operate(source, (m) => m.listCalendars()), c.style()));
    },
  });
  const createCmd = leaf(ctx, {
    name: 'create',
    aliases: ['new'],
    summary: 'create a calendar',
    flags: {
      description: { names: ['--description'], value: 'TEXT', description: 'what the calendar is for' },
      tags: { names: ['--tags'], value: 'TAG', repeatable: 'trimmed', description: 'tag the calendar (tags that do not exist yet are created)' },
      interactive: { names: ['-i', '--interactive'], description: 'ask for the description and tags' },
    },
    run: async ({ ctx: c, source, flags }) => {
      if (!flags.interactive) {
        await c.operate(source, (m) => create(m, flags.description, flags.tags));
        return;
      }
      requireTerminal('--interactive');
      await c.operate(source, async (m) => {
        err('Create a calendar\n\n');
        const description = (await ask('Description', { default: flags.description ?? '' })) || undefined;
        const tags = await askTags(m, c.style());
        err(summary('The new calendar:', [['Description', description], ['Tags', tags.join(', ')]]));
        if (!(await confirm('Create it?', true))) return err('Cancelled.\n');
        await create(m, description, tags);
      });
    },
  });
  const updateCmd = leaf(ctx, {
    name: 'update',
    summary: "change a calendar's description or tags",
    argument: idArg,
    flags: {
      description: { names: ['--description'], value: 'TEXT', description: 'the new description' },
      addTags: { names: ['--add-tags'], value: 'TAG', repeatable: 'trimmed', description: 'add these tags (created if they do not exist)' },
      removeTags: { names: ['--remove-tags'], value: 'TAG', repeatable: 'trimmed', description: 'remove these tags' },
    },
    run: async ({ ctx: c, source, flags, arg }) => {
      const id = arg!;
      const description = flags.description;
      const add = flags.addTags;
      const remove = flags.removeTags;
      if (!description && !add.length && !remove.length) {
        throw new UsageError('nothing to change', 'give --description TEXT, --add-tags TAG or --remove-tags TAG');
      }
      await c.operate(source, async (m) => {
        const cal = (await m.listCalendars()).find((x) => x.id === id);
        if (!cal) throw notFound(id);
        if (add.length) await ensureTags(m, add);
        const tags = edited((cal.tags ?? []).map((t) => t.tag), add, remove);
        await m.updateCalendar(id, { description: description ?? cal.description, tags });
      });
      out(`Calendar '${id}' updated successfully\n`);
    },
  });
  const deleteCmd = leaf(ctx, {
    name: 'delete',
    aliases: ['rm', 'remove'],
    summary: 'delete a calendar',
    argument: idArg,
    flags: forceFlag,
    run: async ({ ctx: c, source, flags, arg }) => {
      const id = arg!;
      if (!(await confirmDeletion(`calendar ${id}`, flags.force))) return;
      await c.operate(source, async (m) => {
        // the server answers 204 also for an ID it does not know (server-api 4.10), so look first
        if (!(await m.listCalendars()).some((x) => x.id === id)) throw notFound(id);
        await m.deleteCalendar(id);
      });
      out(`Calendar '${id}' deleted successfully\n`);
    },
  });
  const subscribeCmd = leaf(ctx, {
    name: 'subscribe',
    aliases: ['add'],
    summary: "add a mytoken's expiry to a calendar",
    argument: idArg,
    flags: { ...momId, comment: { names: ['--comment'], value: 'TEXT', description: 'text for the calendar event' } },
    run: async ({ ctx: c, source, flags, arg }) => {
      const id = arg!;
      await c.operate(source, (m) => m.calendarToken('subscribe', id, { momId: flags.momId, comment: flags.comment }));
      out(`Successfully subscribed to calendar '${id}'\n`);
    },
  });
  const unsubscribeCmd = leaf(ctx, {
    name: 'unsubscribe',
    summary: "take a mytoken's expiry out of a calendar",
    argument: idArg,
    flags: momId,
    run: async ({ ctx: c, source, flags, arg }) => {
      const id = arg!;
      await c.operate(source, (m) => m.calendarToken('unsubscribe', id, { momId: flags.momId }));
      out(`Successfully unsubscribed from calendar '${id}'\n`);
    },
  });
  return group(
    {
      ...calendarsMeta,
      description: 'Calendars (ICS feeds to subscribe to in a calendar app) with an event when each mytoken in them expires.',
      tokenFlags: true,
    },
    [listCmd, createCmd, updateCmd, deleteCmd, subscribeCmd, unsubscribeCmd],
  );
}
