// mytoken info: what a mytoken is (decoded locally), its introspection, history, sub-tokens, the
// user's mytokens, and the notifications attached to it.
import type { Command } from 'commander';
import { MytokenError, UsageError } from '../../errors.js';
import { prettyJson, reindentVerbatim, typed } from '../../output/json.js';
import { out } from '../../output/terminal.js';
import { historyTable, INTROSPECTION, mytokensTable, notificationsAndCalendars, treeModel } from '../../output/views.js';
import { payloadText } from '../../tokens/jwt.js';
import { group, leaf } from '../command.js';
import type { Context } from '../context.js';
import { defineFlags } from '../flags.js';
import { helpIfAsked, strayWords } from '../help.js';
import { readTokenFlags } from '../options/token-source.js';

const listFlags = defineFlags({ includeMomId: { names: ['--include-mom-id'], description: "add a first column with each mytoken's mom id" } });

/** `info list-mytokens` and `MT list-mytokens`: every mytoken of the user, as a tree. */
export function listMytokensCommand(ctx: () => Context): Command {
  return leaf(ctx, {
    name: 'list-mytokens',
    aliases: ['list'],
    summary: 'list all your mytokens',
    description: 'List all mytokens of the user, sub-tokens under their parents (needs the capability manage_mytokens:list).',
    flags: listFlags,
    run: async ({ ctx: c, source, flags }) => {
      const res = await c.operate(source, (ops) => ops.listMytokens());
      out(mytokensTable(res.mytokens ?? [], flags.includeMomId, c.style()));
    },
  });
}

export const infoMeta = { name: 'info', aliases: ['tokeninfo'], summary: 'show what a mytoken is and what happened with it' };

export function infoCommand(ctx: () => Context): Command {
  const introspectCmd = leaf(ctx, {
    name: 'introspect',
    summary: 'ask the server about the mytoken',
    description: 'Print what the server knows of the mytoken, as JSON, including how often each restriction has been used.',
    run: async ({ ctx: c, source }) => {
      const res = await c.operate(source, (ops) => ops.introspect());
      out(prettyJson(typed(res, INTROSPECTION)));
    },
  });
  const historyCmd = leaf(ctx, {
    name: 'history',
    summary: 'show the event history of the mytoken',
    run: async ({ ctx: c, source }) => {
      const res = await c.operate(source, (ops) => ops.history());
      out(historyTable(res.events ?? []));
    },
  });
  const subtokensCmd = leaf(ctx, {
    name: 'subtokens',
    aliases: ['token-tree', 'tree'],
    summary: 'show the mytoken and its sub-tokens as a tree (JSON)',
    run: async ({ ctx: c, source }) => {
      const res = await c.operate(source, (ops) => ops.subtokens());
      if (!res.mytokens) throw new MytokenError('the server answered without a token tree');
      out(prettyJson(typed(res.mytokens, treeModel())));
    },
  });
  const notificationsCmd = leaf(ctx, {
    name: 'notifications',
    summary: 'show the notifications and calendars the mytoken is in',
    flags: {
      momId: {
        names: ['--mom-id'],
        value: 'MOM_ID',
        repeatable: true,
        description: 'ask about these mytokens instead (mom ids, or this, children)',
      },
    },
    run: async ({ ctx: c, source, flags }) => {
      const momIds = flags.momId;
      const res = await c.operate(source, (ops) => ops.tokenNotifications(momIds));
      const style = c.style();
      if (res.mom_id_mapping) {
        out(
          Object.entries(res.mom_id_mapping)
            .map(([id, r]) => `Token ${id}:\n${notificationsAndCalendars(r ?? {}, style)}`)
            .join('\n'),
        );
      } else {
        out(notificationsAndCalendars(res, style));
      }
    },
  });

  const info = group(
    {
      ...infoMeta,
      description:
        'Without a subcommand: decode the mytoken (a JWT) locally and print its claims as JSON. ' +
        'The subcommands ask the server.',
      tokenFlags: true,
    },
    [historyCmd, subtokensCmd, introspectCmd, listMytokensCommand(ctx), notificationsCmd],
  );
  // info has its own action: decode the mytoken without asking any server
  info.action(async () => {
    if (helpIfAsked(info, info.args)) return;
    if (info.args.length) throw strayWords(info, info.args);
    const c = ctx();
    const source = readTokenFlags(info, c.env);
    if (source.ssh !== undefined) throw new UsageError('info decodes the mytoken locally; --ssh has no mytoken to decode', 'use mytoken info introspect');
    const found = await c.requireMytoken(source);
    const text = payloadText(found.token);
    if (text === undefined) {
      throw new UsageError(
        `the mytoken from ${found.origin} is not a JWT, so it cannot be decoded locally`,
        'for a short mytoken ask the server: mytoken info introspect',
      );
    }
    out(reindentVerbatim(text));
  });
  return info;
}
