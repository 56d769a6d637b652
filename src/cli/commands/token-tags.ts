// mytoken MT tags add|remove: put a tag on a mytoken or take it off.
import type { Command } from 'commander';
import { out } from '../../output/terminal.js';
import { group, leaf } from '../command.js';
import type { Context } from '../context.js';
import { defineFlags } from '../flags.js';

const flags = defineFlags({
  momId: { names: ['--mom-id'], value: 'MOM_ID', description: 'the mytoken with this mom id instead of the one given' },
  includeChildren: { names: ['--include-children'], description: 'its sub-tokens too' },
});

function tagCommand(ctx: () => Context, op: 'add' | 'remove'): Command {
  return leaf(ctx, {
    name: op,
    aliases: op === 'remove' ? ['rm', 'delete'] : undefined,
    summary: op === 'add' ? 'put a tag on the mytoken' : 'take a tag off the mytoken',
    description:
      (op === 'add' ? 'Put a tag on the mytoken (create the tag first: mytoken settings tags create).' : 'Take a tag off the mytoken.') +
      ' Needs the capability tokeninfo:tags, or manage_mytokens:tags with --mom-id.',
    argument: { name: 'tag', what: 'tag name' },
    flags,
    run: async ({ ctx: c, source, flags: v, arg }) => {
      const tag = arg!;
      const change = { tag, momId: v.momId, includeChildren: v.includeChildren };
      await c.operate(source, (ops) => ops.tokenTag(op, change));
      out(`Tag '${tag}' ${op === 'add' ? 'added' : 'removed'} successfully\n`);
    },
  });
}

export function tokenTagsCommand(ctx: () => Context): Command {
  return group({ name: 'tags', summary: 'tag mytokens' }, [tagCommand(ctx, 'add'), tagCommand(ctx, 'remove')]);
}
