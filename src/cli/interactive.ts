// Questions the management commands ask: confirmations of deletes and the interactive create flows.
import type { Operations } from '../api/operations.js';
import { UsageError } from '../errors.js';
import { ask, canAsk, confirm } from '../output/prompt.js';
import type { Style } from '../output/style.js';
import { err } from '../output/terminal.js';
import { defineFlags } from './flags.js';
import { commaNames } from './options/lists.js';

/** -f/--force of the commands that ask before deleting (confirmDeletion). */
export const forceFlag = defineFlags({ force: { names: ['-f', '--force'], description: 'do not ask for confirmation' } });

/**
 * Whether to go on with deleting `what`: yes with --force, else the user is asked. Without a
 * terminal to ask on, nothing is deleted and the command fails, so a script notices.
 */
export async function confirmDeletion(what: string, force: boolean): Promise<boolean> {
  if (force) return true;
  if (!canAsk()) throw new UsageError(`not deleting ${what}: there is no terminal to confirm on`, 'pass --force to delete without asking');
  if (await confirm(`Delete ${what}?`, false)) return true;
  err('Cancelled.\n');
  return false;
}

/** Checks that the interactive flow can ask its questions. */
export function requireTerminal(flag: string): void {
  if (!canAsk()) throw new UsageError(`${flag} needs a terminal to ask its questions`, 'in scripts give the values as flags');
}

/** Shows the user's tags and asks which to use. */
export async function askTags(m: Operations, style: Style): Promise<string[]> {
  const tags = await m.listTags();
  if (tags.length) err(`\nYour tags: ${style.tags(tags)}\n`);
  return commaNames(await ask('Tags, separated by commas (new ones are created; empty for none)', { default: '' }));
}
