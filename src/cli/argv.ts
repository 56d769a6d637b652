// Rewrites the command line into what commander understands, keeping upstream's flag syntax:
// long flags with one dash (`-MT x`) and booleans with a value (`--oidc=false`).
import { UsageError } from '../errors.js';
import { parseBool } from './flags.js';

export function normalizeArgv(args: string[], flags: Map<string, { takesValue: boolean }>): string[] {
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
