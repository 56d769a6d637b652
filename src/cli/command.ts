// Building the commands: groups that only hold subcommands, and leaf commands with their flags.
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Context } from './context.js';
import { addFlags, type FlagTable, type FlagValues, hiddenFlags, type OnlyFlagProperties, readFlags } from './flags.js';
import { addHelpCommand, helpIfAsked, strayWords, unexpectedArguments, unknownCommand } from './help.js';
import { readTokenFlags, type TokenFlags, tokenSourceFlags } from './options/token-source.js';

export interface GroupSpec {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  /** the token-source flags, for every subcommand (`calendars --MT-file F list`) */
  tokenFlags?: boolean;
}

/** A summary as a sentence, for the top of a command's help. */
const sentence = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}.`;

/** A command that only holds subcommands: alone it shows its help, an unknown subcommand is an error. */
export function group(spec: GroupSpec, children: Command[]): Command {
  const cmd = new Command(spec.name).summary(spec.summary).description(spec.description ?? sentence(spec.summary));
  if (spec.aliases) cmd.aliases(spec.aliases);
  if (spec.tokenFlags) addFlags(cmd, tokenSourceFlags);
  for (const c of children) cmd.addCommand(c);
  addHelpCommand(cmd);
  cmd.allowExcessArguments(true).action(() => {
    if (cmd.args.length) throw unknownCommand(cmd, cmd.args[0]!);
    cmd.outputHelp();
  });
  return cmd;
}

export interface RunArgs<T extends FlagTable = {}> {
  ctx: Context;
  /** the token-source flags of the command and the groups above it */
  source: TokenFlags;
  /** the values of the command's own flags (its table, without the token-source flags) */
  flags: FlagValues<T>;
  /** the positional argument (`<calendar-id>`, `<tag>`, ...), when the command has one and it was given */
  arg?: string;
}

export interface LeafSpec<T extends FlagTable> {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  /**
   * the positional argument the command takes: its name in usage and `what` it is in errors (and in
   * help, unless `help` says more); a missing one is an error unless it is `optional`
   */
  argument?: { name: string; what: string; help?: string; optional?: boolean };
  /** the command's own flags, in help order */
  flags?: T & OnlyFlagProperties<T>;
  /**
   * takes the token-source flags (default true: shown before its own flags; 'last': after them);
   * 'ignored': accepted, unused and not in help
   */
  tokenFlags?: boolean | 'last' | 'ignored';
  /** subcommands beside the command's own action (MT tags, MT list-mytokens); a `help` command comes with them */
  subcommands?: Command[];
  /** what to do instead when positional arguments the command does not take are given */
  extraArgsHint?: string;
  /** such arguments are likely tokens (revoke TOKEN): never shown in the error */
  extraArgsMayBeTokens?: boolean;
  run: (a: RunArgs<T>) => Promise<void>;
}

/** A command that does something: its flags come from one table, and its action gets their values typed. */
export function leaf<const T extends FlagTable = {}>(ctx: () => Context, spec: LeafSpec<T>): Command {
  const cmd = new Command(spec.name).summary(spec.summary).description(spec.description ?? sentence(spec.summary)).allowExcessArguments(true);
  if (spec.aliases) cmd.aliases(spec.aliases);
  const arg = spec.argument;
  if (arg) cmd.argument(`[${arg.name}]`, arg.help ?? arg.what);
  const own: FlagTable = spec.flags ?? {};
  const tokens = spec.tokenFlags === false ? {} : spec.tokenFlags === 'ignored' ? hiddenFlags(tokenSourceFlags) : tokenSourceFlags;
  addFlags(cmd, spec.tokenFlags === 'last' ? { ...own, ...tokens } : { ...tokens, ...own });
  if (spec.subcommands) {
    for (const c of spec.subcommands) cmd.addCommand(c);
    addHelpCommand(cmd);
  }
  cmd.action(async () => {
    const first = cmd.args[0];
    if (helpIfAsked(cmd, cmd.args)) return;
    const usage = `usage: ${commandPath(cmd)}${arg ? ` ${arg.name.toUpperCase()}` : ''} [flags]`;
    if (arg && !arg.optional && !first) throw new UsageError(`missing the ${arg.what}`, usage);
    const extra = cmd.args.slice(arg ? 1 : 0);
    if (extra.length && spec.subcommands) throw strayWords(cmd, extra, spec.extraArgsHint);
    if (extra.length) throw unexpectedArguments(cmd, extra, arg && `one ${arg.what}`, spec.extraArgsHint ?? usage, spec.extraArgsMayBeTokens);
    const c = ctx();
    const flags = readFlags(cmd, (spec.flags ?? {}) as T, c.env);
    await spec.run({ ctx: c, source: readTokenFlags(cmd, c.env), flags, arg: arg ? first : undefined });
  });
  return cmd;
}

/** `mytoken calendars update` */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
