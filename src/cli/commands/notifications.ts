// mytoken notifications: e-mail notifications about what happens with your mytokens.
import type { Command } from 'commander';
import { ensureTags, type Operations } from '../../api/operations.js';
import { type NewNotification, NOTIFICATION_CLASSES } from '../../api/notifications.js';
import { ExitStatus, MytokenError, UsageError } from '../../errors.js';
import { err, out } from '../../output/terminal.js';
import { classList, notificationsTable, summary } from '../../output/views.js';
import { edited, commaNames } from '../options/lists.js';
import { group, leaf } from '../command.js';
import type { Context } from '../context.js';
import { defineFlags } from '../flags.js';
import { ask, confirm } from '../../output/prompt.js';
import { askTags, confirmDeletion, forceFlag, requireTerminal } from '../interactive.js';

const codeArg = { name: 'management-code', what: 'management code' };
const momId = defineFlags({ momId: { names: ['--mom-id'], value: 'MOM_ID', description: 'the mytoken with this mom id instead of the one given' } });
const TYPES = ['mail', 'ics_invite'];

/**
 * What `create` prints for an `ics_invite`: the server mails the invitation once and keeps nothing
 * (server-api 4.9, 204), so there is no management code. Said on stdout like every other success
 * line, in a shape no script takes for a management code (upstream prints the management-code line
 * with an empty code).
 */
export const ICS_INVITE_SENT = '\n✓ Calendar invitation sent by e-mail (an ics_invite is sent once and not stored, so there is no management code)\n';

async function create(m: Operations, n: NewNotification): Promise<void> {
  if (n.tags.length) await ensureTags(m, n.tags);
  const code = await m.createNotification(n);
  if (code) return out(`\n✓ Notification created successfully! Management code: ${code}\n`);
  if (n.type === 'ics_invite') return out(ICS_INVITE_SENT);
  throw new MytokenError('the server answered without the management code of the new notification');
}

/** The interactive create: asks for everything, shows a summary, creates on confirmation. */
async function createInteractively(c: Context, m: Operations): Promise<void> {
  err('Create a notification\n\n');
  const type = await ask('Type', { choices: TYPES, default: 'mail' });
  err(`\nNotification classes (a class includes the ones under it):\n${classList(NOTIFICATION_CLASSES)}\n`);
  const classes = commaNames(await ask('Classes, separated by commas'));
  if (!classes.length) throw new UsageError('a notification needs at least one class');
  const userWide = await confirm('For all your mytokens (user-wide)?', false);
  const tags = userWide ? [] : await askTags(m, c.style());
  const comment = type === 'ics_invite' ? (await ask('Comment for the calendar invitation', { default: '' })) || undefined : undefined;
  err(
    summary('The new notification:', [
      ['Type', type],
      ['Classes', classes.join(', ')],
      ['User-wide', String(userWide)],
      ['Tags', tags.join(', ')],
      ['Comment', comment],
    ]),
  );
  if (!(await confirm('Create it?', true))) return err('Cancelled.\n');
  await create(m, { type, classes, userWide, tags, comment });
}

export const notificationsMeta = { name: 'notifications', aliases: ['notify'], summary: 'e-mail notifications about your mytokens' };

export function notificationsCommand(ctx: () => Context): Command {
  const listCmd = leaf(ctx, {
    name: 'list',
    summary: 'list your notifications',
    run: async ({ ctx: c, source }) => {
      out(notificationsTable(await c.operate(source, (m) => m.listNotifications()), c.style()));
    },
  });
  const createCmd = leaf(ctx, {
    name: 'create',
    aliases: ['subscribe', 'new'],
    summary: 'create a notification for the mytoken',
    description:
      'Create a notification: mails (type mail) about the classes of events chosen, for the mytoken given or (--user-wide) ' +
      'all your mytokens; or a one-time calendar invitation for its expiry (type ics_invite). Prints the management code.',
    flags: {
      type: { names: ['--type'], value: 'TYPE', description: 'mail or ics_invite' },
      classes: {
        names: ['--classes'],
        value: 'CLASS',
        repeatable: 'trimmed',
        description: `what to notify about: ${NOTIFICATION_CLASSES.map((x) => x.name).join(', ')}, or a part of security (security:ips, ...)`,
      },
      userWide: { names: ['--user-wide'], description: 'for all your mytokens, not only the one given' },
      tags: { names: ['--tags'], value: 'TAG', repeatable: 'trimmed', description: 'tag the notification (tags that do not exist yet are created)' },
      comment: { names: ['--comment'], value: 'TEXT', description: 'text of the calendar invitation (ics_invite)' },
      interactive: { names: ['-i', '--interactive'], description: 'ask for everything' },
    },
    run: async ({ ctx: c, source, flags }) => {
      if (flags.interactive) {
        requireTerminal('--interactive');
        await c.operate(source, (m) => createInteractively(c, m));
        return;
      }
      const type = flags.type;
      const classes = flags.classes;
      if (!type) throw new UsageError('missing --type', `give --type ${TYPES.join(' or ')}`);
      if (!classes.length) throw new UsageError('missing --classes', 'give --classes CLASS,...; see mytoken notifications create --help');
      const n: NewNotification = { type, classes, userWide: flags.userWide, tags: flags.tags, comment: flags.comment };
      await c.operate(source, (m) => create(m, n));
    },
  });
  const updateCmd = leaf(ctx, {
    name: 'update',
    summary: "change a notification's classes or tags",
    argument: codeArg,
    flags: {
      addClasses: { names: ['--add-classes'], value: 'CLASS', repeatable: 'trimmed', description: 'add these classes' },
      removeClasses: { names: ['--remove-classes'], value: 'CLASS', repeatable: 'trimmed', description: 'remove these classes' },
      addTags: { names: ['--add-tags'], value: 'TAG', repeatable: 'trimmed', description: 'add these tags (created if they do not exist)' },
      removeTags: { names: ['--remove-tags'], value: 'TAG', repeatable: 'trimmed', description: 'remove these tags' },
    },
    run: async ({ ctx: c, source, flags, arg }) => {
      const code = arg!;
      const [addC, removeC, addT, removeT] = [flags.addClasses, flags.removeClasses, flags.addTags, flags.removeTags];
      if (![addC, removeC, addT, removeT].some((l) => l!.length)) {
        throw new UsageError('nothing to change', 'give --add-classes, --remove-classes, --add-tags or --remove-tags');
      }
      await c.operate(source, async (m) => {
        const n = (await m.listNotifications()).find((x) => x.management_code === code);
        if (!n) throw new MytokenError(`notification with the management code '${code}' not found`, ExitStatus.failure, 'see mytoken notifications list for your notifications');
        if (addT!.length) await ensureTags(m, addT!);
        await m.updateNotification(code, {
          classes: edited(n.notification_classes ?? [], addC!, removeC!),
          tags: edited((n.tags ?? []).map((t) => t.tag), addT!, removeT!),
        });
      });
      out(`Notification '${code}' updated successfully\n`);
    },
  });
  const deleteCmd = leaf(ctx, {
    name: 'delete',
    aliases: ['rm', 'remove'],
    summary: 'delete a notification',
    argument: codeArg,
    flags: forceFlag,
    run: async ({ ctx: c, source, flags, arg }) => {
      const code = arg!;
      if (!(await confirmDeletion(`notification ${code}`, flags.force))) return;
      await c.operate(source, (m) => m.deleteNotification(code));
      out(`Notification '${code}' deleted successfully\n`);
    },
  });
  const addToken = leaf(ctx, {
    name: 'add-token',
    summary: 'add a mytoken to a notification',
    argument: codeArg,
    flags: { ...momId, includeChildren: { names: ['--include-children'], description: 'its sub-tokens too' } },
    run: async ({ ctx: c, source, flags, arg }) => {
      const code = arg!;
      await c.operate(source, (m) => m.notificationToken('add', code, { momId: flags.momId, includeChildren: flags.includeChildren }));
      out(`Token added to notification '${code}' successfully\n`);
    },
  });
  const removeToken = leaf(ctx, {
    name: 'remove-token',
    summary: 'take a mytoken out of a notification',
    argument: codeArg,
    flags: momId,
    run: async ({ ctx: c, source, flags, arg }) => {
      const code = arg!;
      await c.operate(source, (m) => m.notificationToken('remove', code, { momId: flags.momId }));
      out(`Token removed from notification '${code}' successfully\n`);
    },
  });
  return group(
    { ...notificationsMeta, tokenFlags: true },
    [listCmd, createCmd, updateCmd, deleteCmd, addToken, removeToken],
  );
}
