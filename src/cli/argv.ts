// Rewrites the command line into what commander understands, keeping upstream's flag syntax:
// long flags with one dash (`-MT x`) and booleans with a value (`--oidc=false`).
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { flagTableOf, parseBool } from './flags.js';

/** What normalizeArgv needs to know of a long flag (its name without dashes). */
export type KnownFlags = Map<string, { takesValue: boolean }>;

/**
 * The long flags of the commands built in `root`'s tree (taken from their flag tables, so not
 * commander's own --help and --version), and whether each takes a value.
 */
export function knownFlags(root: Command): KnownFlags {
  const flags: KnownFlags = new Map();
  const walk = (cmd: Command) => {
    for (const flag of Object.values(flagTableOf(cmd))) {
      for (const name of flag.names) if (name.startsWith('--')) flags.set(name.slice(2), { takesValue: !!flag.value });
    }
    for (const sub of cmd.commands) walk(sub);
  };
  walk(root);
  return flags;
}

export function normalizeArgv(args: string[], flags: KnownFlags): string[] {
  // `mytoken -h AT` shows AT's help, as `mytoken AT -h` does
  if ((args[0] === '-h' || args[0] === '--help') && args[1] && !args[1].startsWith('-')) args = [...args.slice(1), '--help'];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^(--?)([^=-][^=]*)(=(.*))?$/s.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const [, dashes, name, withValue, value] = m as unknown as [string, string, string, string | undefined, string | undefined];
    const flag = flags.get(name);
    if (!flag || (dashes === '-' && name.length === 1)) {
      out.push(a);
      continue;
    }
    a = `--${name}`;
    if (!flag.takesValue) {
      if (withValue !== undefined) {
        const b = parseBool(value ?? '');
        if (b === undefined) throw new UsageError(`invalid value "${value}" for --${name}: use true or false`);
        if (b) out.push(a);
        continue;
      }
      out.push(a);
      continue;
    }
    if (withValue !== undefined) {
      out.push(`${a}=${value}`);
      continue;
    }
    out.push(a);
    // the next argument is the value, even when it starts with a dash
    if (i + 1 < args.length) out.push(args[++i]!);
  }
  return out;
}
