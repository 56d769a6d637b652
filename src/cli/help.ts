// Help: `help [command...]` (alias `h`) on commands that have subcommands, and `help` as the first
// argument of any other command, as upstream has it; and the errors for words that are not
// commands or arguments of the command they were given to.
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';

function findSub(cmd: Command, name: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** `settings grants` for the command `mytoken settings grants` (the root's name left out). */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * A word the user typed, for a message: only when it looks like a command name (lower case, short).
 * Anything else may be a token given in the wrong place, and a token is never shown.
 */
export function shownWord(word: string): string | undefined {
  return /^[a-z][a-z0-9_-]{0,31}$/.test(word) ? word : undefined;
}

/** The help of the command `words` name below `from` (`X help Y Z`, `help Y Z`). */
export function showHelp(from: Command, words: readonly string[]): void {
  let cmd = from;
  for (const w of words) {
    const sub = findSub(cmd, w);
    if (!sub) throw unknownCommand(cmd, w);
    cmd = sub;
  }
  cmd.outputHelp();
}

/** `X help ...` (or `X h ...`): shows the help and says so; otherwise false. */
export function helpIfAsked(cmd: Command, args: readonly string[]): boolean {
  if (args[0] !== 'help' && args[0] !== 'h') return false;
  showHelp(cmd, args.slice(1));
  return true;
}

/** `name` is not a subcommand of `parent`: the error, with the nearest subcommand name when one is close. */
export function unknownCommand(parent: Command, name: string): UsageError {
  const path = pathOf(parent);
  const subs = parent.commands.filter((c) => c.name() !== 'help');
  const shown = shownWord(name);
  const what = `unknown command '${path ? `${path} ` : ''}${shown ?? '…'}'${shown ? '' : ' (an argument that is not a command name)'}`;
  const see = `see mytoken ${path ? `${path} ` : ''}--help`;
  if (!subs.length) return new UsageError(what, `${path} has no subcommands; ${see}`);
  const near = closest(
    name,
    subs.flatMap((c) => [c.name(), ...c.aliases()]),
  );
  return new UsageError(what, near ? `did you mean ${near}? (${see})` : `the commands are: ${subs.map((c) => c.name()).join(', ')}; ${see}`);
}

/**
 * Positional arguments a command does not take: a usage error (upstream ignores them, which hides
 * mistakes such as `mytoken revoke TOKEN` revoking the mytoken found elsewhere). `takes` names the
 * one argument the command does take (`one tag name`), if any; `hint` says what to do instead.
 */
export function unexpectedArguments(cmd: Command, extra: readonly string[], takes?: string, hint?: string, mayBeToken = false): UsageError {
  const path = pathOf(cmd);
  const shown = mayBeToken ? undefined : shownWord(extra[0]!);
  const got = shown ? `'${shown}'${extra.length > 1 ? ` and ${extra.length - 1} more` : ''}` : `${extra.length} argument${extra.length > 1 ? 's' : ''}`;
  const message = takes ? `unexpected argument ${got}: ${path} takes ${takes}` : `${path} takes no arguments (got ${got})`;
  return new UsageError(message, hint ?? `see mytoken ${path} --help`);
}

/**
 * Words given to a command that has an action and subcommands (MT, info) that are none of its
 * subcommands: an unknown (perhaps mistyped: `info introspec`) subcommand when the first looks like
 * a command name, else arguments the command does not take (a token in the wrong place, not shown).
 */
export function strayWords(cmd: Command, words: readonly string[], hint?: string): UsageError {
  return shownWord(words[0]!) ? unknownCommand(cmd, words[0]!) : unexpectedArguments(cmd, words, undefined, hint);
}

/** Adds `help [command...]` (alias `h`) to a command with subcommands. */
export function addHelpCommand(parent: Command): void {
  parent.addCommand(
    new Command('help')
      .alias('h')
      .summary('show help for a command')
      .argument('[command...]', 'the command to show help for')
      .allowExcessArguments(true)
      .action((names: string[] | undefined) => showHelp(parent, names ?? [])),
  );
}
