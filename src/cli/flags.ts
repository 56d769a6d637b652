// Declaring flags the way the upstream client has them (several long names, environment
// variables, repeatable comma-split values) on top of commander, and reading them back.
import { type Command, Option } from 'commander';
import { commaNames } from './options/lists.js';

export interface FlagSpec {
  /** key in the values read back */
  key: string;
  /** every name, long ones with `--`, a one-letter one with `-`; the first long name is shown first */
  names: string[];
  /** value placeholder (FILE, URL, ...); absent for a boolean flag */
  value?: string;
  /** may be given several times; every value is also split at commas */
  repeatable?: boolean;
  /** environment variables that give the value when the flag is absent, tried in order */
  env?: string[];
  description: string;
  /** shown as the default in help */
  defaultText?: string;
}

export type FlagValue = string | string[] | boolean;

interface Store {
  values: Map<string, FlagValue>;
}

const stores = new WeakMap<Command, Store>();

function storeOf(cmd: Command): Store {
  let s = stores.get(cmd);
  if (!s) {
    s = { values: new Map() };
    stores.set(cmd, s);
  }
  return s;
}

/** Every flag name declared anywhere, without dashes, and whether it takes a value. */
export const knownFlags = new Map<string, { takesValue: boolean }>();

function helpText(spec: FlagSpec): string {
  let t = spec.description;
  const longs = spec.names.filter((n) => n.startsWith('--'));
  if (longs.length > 1) t += ` (also ${longs.slice(1).join(', ')})`;
  if (spec.repeatable) t += ' [repeatable, comma-separated]';
  if (spec.defaultText) t += ` [default: ${spec.defaultText}]`;
  if (spec.env?.length) t += ` [env: ${spec.env.join(', ')}]`;
  return t;
}

const declared = new WeakMap<Command, FlagSpec[]>();

/** The flags declared on `cmd` itself (not inherited ones). */
export function declaredFlags(cmd: Command): FlagSpec[] {
  return declared.get(cmd) ?? [];
}

/**
 * Declares the flags on `cmd`. With `owner`, they are an ancestor's flags repeated on a deeper
 * command (hidden in its help), and their values are stored as the ancestor's.
 */
export function addFlags(cmd: Command, specs: FlagSpec[], inherited?: { owner: Command }): Command {
  const store = storeOf(inherited?.owner ?? cmd);
  if (!inherited) declared.set(cmd, [...declaredFlags(cmd), ...specs]);
  for (const spec of specs) {
    const short = spec.names.find((n) => /^-[^-]$/.test(n));
    const longs = spec.names.filter((n) => n.startsWith('--'));
    const arg = spec.value ? ` <${spec.value}>` : '';
    longs.forEach((long, i) => {
      const flags = `${i === 0 && short ? `${short}, ` : ''}${long}${arg}`;
      const opt = new Option(flags, i === 0 ? helpText(spec) : '');
      if (i > 0 || inherited) opt.hideHelp();
      cmd.addOption(opt);
      knownFlags.set(long.slice(2), { takesValue: !!spec.value });
      cmd.on(`option:${opt.name()}`, (v: string | boolean | undefined) => {
        if (!spec.value) {
          store.values.set(spec.key, true);
        } else if (spec.repeatable) {
          const prev = store.values.get(spec.key);
          store.values.set(spec.key, [...(Array.isArray(prev) ? prev : []), ...String(v).split(',')]);
        } else {
          store.values.set(spec.key, String(v));
        }
      });
    });
  }
  return cmd;
}

/**
 * Makes every flag of `cmd`'s ancestors usable on `cmd` too (written after its name), unless
 * `cmd` declares a flag of the same name itself.
 */
export function inheritFlags(cmd: Command): void {
  const own = new Set(cmd.options.flatMap((o) => [o.long, o.short].filter((n): n is string => !!n)));
  for (let anc = cmd.parent; anc; anc = anc.parent) {
    for (const spec of declaredFlags(anc)) {
      if (spec.names.some((n) => own.has(n))) continue;
      addFlags(cmd, [spec], { owner: anc });
      spec.names.forEach((n) => own.add(n));
    }
  }
}

/** The values given on the command line, else by the flags' environment variables. */
export function readFlags(cmd: Command, specs: FlagSpec[], env: Record<string, string | undefined>): Record<string, FlagValue | undefined> {
  const store = storeOf(cmd);
  const out: Record<string, FlagValue | undefined> = {};
  for (const spec of specs) {
    let v = store.values.get(spec.key);
    if (v === undefined && spec.env) {
      const name = spec.env.find((e) => env[e] !== undefined);
      if (name !== undefined) {
        const raw = env[name]!;
        v = spec.repeatable ? raw.split(',') : spec.value ? raw : parseBool(raw) ?? false;
      }
    }
    out[spec.key] = v;
  }
  return out;
}

/** Go's strconv.ParseBool, which upstream uses for `--flag=VALUE`. */
export function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export const str = (v: FlagValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const list = (v: FlagValue | undefined): string[] => (Array.isArray(v) ? v : []);
/** A repeatable flag's values trimmed, without empty ones. */
export const names = (v: FlagValue | undefined): string[] => list(v).flatMap(commaNames);
export const bool = (v: FlagValue | undefined): boolean => v === true;

/**
 * An integer flag value as upstream reads it (Go strconv.ParseInt with base 0): decimal, 0x.. hex,
 * 0o.. or leading-0 octal, 0b.. binary, `_` between digits. undefined when it is not one.
 */
export function parseGoInt(v: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(v);
  if (!m) return undefined;
  const digits = m[2]!;
  if (/__|_$/.test(digits)) return undefined; // an underscore only between digits
  let n: bigint;
  if (/^0[oO]/.test(digits)) n = BigInt(`0o${digits.slice(2).replaceAll('_', '')}`);
  else if (/^0[0-7_]+$/.test(digits)) n = BigInt(`0o${digits.slice(1).replaceAll('_', '')}`);
  else n = BigInt(digits.replaceAll('_', ''));
  if (m[1] === '-') n = -n;
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(n);
}
