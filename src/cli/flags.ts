// Flags as upstream has them (several long names, environment variables, repeatable comma-split
// values), declared by one table per command and read back as values whose types the compiler
// derives from the table: a boolean flag gives `boolean`, a flag with a value `string | undefined`,
// a repeatable one `string[]`.
import { type Command, Option } from 'commander';
import { commaNames } from './options/lists.js';

export interface Flag {
  /** long names with `--` (the first one is shown in help, the others are hidden aliases), and at most one short `-x` */
  readonly names: readonly string[];
  /** value placeholder (FILE, URL, ...); absent for a boolean flag */
  readonly value?: string;
  /**
   * may be given several times; every value is also split at commas. 'trimmed': the parts are
   * trimmed and empty ones dropped.
   */
  readonly repeatable?: true | 'trimmed';
  /** environment variables that give the value when the flag is absent, tried in order */
  readonly env?: readonly string[];
  /** one short line for help (and the README when there is no `doc`) */
  readonly description: string;
  /** a longer description, for the README's flag tables only */
  readonly doc?: string;
  /** shown as the default in help */
  readonly defaultText?: string;
  /** accepted, but shown neither in help nor in the README */
  readonly hidden?: boolean;
}

/** A command's flags, keyed by the name of the value each gives; in help order. */
export type FlagTable = { readonly [key: string]: Flag };

/** The value type of one flag. */
export type FlagValue<F extends Flag> = F extends { readonly value: string }
  ? F extends { readonly repeatable: true | 'trimmed' }
    ? string[]
    : string | undefined
  : boolean;

/** The key under which FlagValues name the environment variable that gave a value, by flag key. */
export const FROM_ENV = Symbol('flag values from environment variables');

/** The values of a table's flags, as given on the command line, else by their environment variables. */
export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]: FlagValue<T[K]> } & {
  readonly [FROM_ENV]: { readonly [K in keyof T]?: string };
};

/** Flags with no property that Flag does not have (a misspelt one is an error, not ignored). */
export type OnlyFlagProperties<T> = { [K in keyof T]: { [P in Exclude<keyof T[K], keyof Flag>]: never } };

/** A flag table with its literal types kept (so that the values' types can be derived from it). */
export function defineFlags<const T extends FlagTable>(table: T & OnlyFlagProperties<T>): T {
  return table;
}

/** The same flags, accepted but hidden. */
export function hiddenFlags<T extends FlagTable>(table: T): T {
  return Object.fromEntries(Object.entries(table).map(([k, f]) => [k, { ...f, hidden: true }])) as unknown as T;
}

/** The environment variable that gave the value of `key`; undefined when it came from the command line or nowhere. */
export function envSource<T extends FlagTable>(values: FlagValues<T>, key: keyof T): string | undefined {
  return values[FROM_ENV][key];
}

type Given = string | string[] | true;

const stores = new WeakMap<Command, Map<string, Given>>();

function storeOf(cmd: Command): Map<string, Given> {
  let s = stores.get(cmd);
  if (!s) {
    s = new Map();
    stores.set(cmd, s);
  }
  return s;
}

function helpText(flag: Flag): string {
  let t = flag.description;
  const longs = flag.names.filter((n) => n.startsWith('--'));
  if (longs.length > 1) t += ` (also ${longs.slice(1).join(', ')})`;
  if (flag.repeatable) t += ' [repeatable, comma-separated]';
  if (flag.defaultText) t += ` [default: ${flag.defaultText}]`;
  if (flag.env?.length) t += ` [env: ${flag.env.join(', ')}]`;
  return t;
}

const declared = new WeakMap<Command, FlagTable>();

/** The flag table of `cmd` itself (not its ancestors' flags it also accepts). */
export function flagTableOf(cmd: Command): FlagTable {
  return declared.get(cmd) ?? {};
}

/**
 * Declares the flags of `table` on `cmd`. With `owner`, they are an ancestor's flags repeated on a
 * deeper command (hidden in its help), and their values are stored as the ancestor's.
 */
export function addFlags(cmd: Command, table: FlagTable, inherited?: { owner: Command }): Command {
  const store = storeOf(inherited?.owner ?? cmd);
  if (!inherited) declared.set(cmd, { ...flagTableOf(cmd), ...table });
  for (const [key, flag] of Object.entries(table)) {
    const short = flag.names.find((n) => /^-[^-]$/.test(n));
    const longs = flag.names.filter((n) => n.startsWith('--'));
    const arg = flag.value ? ` <${flag.value}>` : '';
    longs.forEach((long, i) => {
      const opt = new Option(`${i === 0 && short ? `${short}, ` : ''}${long}${arg}`, i === 0 ? helpText(flag) : '');
      if (i > 0 || inherited || flag.hidden) opt.hideHelp();
      cmd.addOption(opt);
      cmd.on(`option:${opt.name()}`, (v: string | boolean | undefined) => {
        if (!flag.value) {
          store.set(key, true);
        } else if (flag.repeatable) {
          const prev = store.get(key);
          store.set(key, [...(Array.isArray(prev) ? prev : []), ...String(v).split(',')]);
        } else {
          store.set(key, String(v));
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
    for (const [key, flag] of Object.entries(flagTableOf(anc))) {
      if (flag.names.some((n) => own.has(n))) continue;
      addFlags(cmd, { [key]: flag }, { owner: anc });
      flag.names.forEach((n) => own.add(n));
    }
  }
}

/** The values of `table`'s flags given to `cmd` on the command line, else by the flags' environment variables. */
export function readFlags<T extends FlagTable>(cmd: Command, table: T, env: Record<string, string | undefined>): FlagValues<T> {
  const store = storeOf(cmd);
  const out: Record<string | symbol, unknown> = {};
  const fromEnv: Record<string, string> = {};
  for (const [key, flag] of Object.entries(table)) {
    let v = store.get(key);
    if (v === undefined && flag.env) {
      const name = flag.env.find((e) => env[e] !== undefined);
      if (name !== undefined) {
        const raw = env[name]!;
        fromEnv[key] = name;
        v = flag.repeatable ? raw.split(',') : flag.value ? raw : parseBool(raw) || undefined;
      }
    }
    if (!flag.value) out[key] = v === true;
    else if (!flag.repeatable) out[key] = typeof v === 'string' ? v : undefined;
    else {
      const values = Array.isArray(v) ? v : [];
      out[key] = flag.repeatable === 'trimmed' ? values.flatMap(commaNames) : values;
    }
  }
  out[FROM_ENV] = fromEnv;
  return out as FlagValues<T>;
}

/** Go's strconv.ParseBool, which upstream uses for `--flag=VALUE`. */
export function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

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
