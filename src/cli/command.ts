// Building the commands: groups that only hold subcommands, and leaf commands with their flags.
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { Context } from './context.js';
import { addFlags, type FlagSpec, type FlagValue, readFlags } from './flags.js';
import { addHelpCommand, helpIfAsked, unexpectedArguments, unknownCommand } from './help.js';
import { addTokenSourceFlags, readTokenFlags, type TokenFlags } from './options/token-source.js';

export interface GroupSpec {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  /** the token-source flags, for every subcommand (`calendars --MT-file F list`) */
  tokenFlags?: boolean;
}

/** A command that only holds subcommands: alone it shows its help, an unknown subcommand is an error. */
/** A summary as a sentence, for the top of a command's help. */
const sentence = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}.`;

export function group(spec: GroupSpec, children: Command[]): Command {
  const cmd = new Command(spec.name).summary(spec.summary).description(spec.description ?? sentence(spec.summary));
  if (spec.aliases) cmd.aliases(spec.aliases);
  if (spec.tokenFlags) addTokenSourceFlags(cmd);
  for (const c of children) cmd.addCommand(c);
  addHelpCommand(cmd);
  cmd.allowExcessArguments(true).action(() => {
    if (cmd.args.length) throw unknownCommand(cmd, cmd.args[0]!);
    cmd.outputHelp();
  });
  return cmd;
}

export interface RunArgs {
  ctx: Context;
  cmd: Command;
  /** the token-source flags of the command and the groups above it */
  source: TokenFlags;
  flags: Record<string, FlagValue | undefined>;
  /** the positional argument (`<calendar-id>`, `<tag>`, ...), when the command has one */
  arg?: string;
}

export interface LeafSpec {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  /** the positional argument the command requires: its name in usage and in the error when it is missing */
  argument?: { name: string; what: string };
  flags?: FlagSpec[];
  /** takes the token-source flags (default true); 'ignored': accepted, unused and not in help */
  tokenFlags?: boolean | 'ignored';
  /** what to do instead when positional arguments the command does not take are given */
  extraArgsHint?: string;
  /** such arguments are likely tokens (revoke TOKEN): never shown in the error */
  extraArgsMayBeTokens?: boolean;
  run: (a: RunArgs) => Promise<void>;
}

export function leaf(ctx: () => Context, spec: LeafSpec): Command {
  const cmd = new Command(spec.name).summary(spec.summary).description(spec.description ?? sentence(spec.summary)).allowExcessArguments(true);
  if (spec.aliases) cmd.aliases(spec.aliases);
  if (spec.argument) cmd.argument(`[${spec.argument.name}]`, spec.argument.what);
  if (spec.tokenFlags !== false) addTokenSourceFlags(cmd);
  if (spec.tokenFlags === 'ignored') for (const o of cmd.options) o.hideHelp();
  if (spec.flags) addFlags(cmd, spec.flags);
  cmd.action(async () => {
    const first = cmd.args[0];
    if (helpIfAsked(cmd, cmd.args)) return;
    const usage = `usage: ${commandPath(cmd)}${spec.argument ? ` ${spec.argument.name.toUpperCase()}` : ''} [flags]`;
    if (spec.argument && !first) throw new UsageError(`missing the ${spec.argument.what}`, usage);
    const extra = cmd.args.slice(spec.argument ? 1 : 0);
    if (extra.length) throw unexpectedArguments(cmd, extra, spec.argument && `one ${spec.argument.what}`, spec.extraArgsHint ?? usage, spec.extraArgsMayBeTokens);
    const c = ctx();
    await spec.run({ ctx: c, cmd, source: readTokenFlags(cmd, c.env), flags: spec.flags ? readFlags(cmd, spec.flags, c.env) : {}, arg: spec.argument ? first : undefined });
  });
  return cmd;
}

/** `mytoken calendars update` */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
