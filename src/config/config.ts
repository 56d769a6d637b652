// The config file: where it is, what it holds, and its defaults.
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { cachePath, readCacheEntry, writeCacheEntry } from '../cache.js';
import { UsageError } from '../errors.js';
import { FileProblem, jsonDepthIndex, LIMITS, readLimited } from '../safefs.js';

export const DEFAULT_INSTANCE = 'https://mytoken.data.kit.edu';
export const DEFAULT_CAPABILITIES: readonly string[] = ['AT', 'tokeninfo'];

export interface Config {
  instance: string;
  defaultProvider: string;
  defaultTokenCapabilities: string[];
  /** token_name_prefix with `<hostname>` already substituted */
  tokenNamePrefix: string;
  useWlcgTokenDiscovery: boolean;
  /** a new mytoken that the server narrowed (less than asked) is an error and revoked, not a warning */
  strict: boolean;
  /** the keyring entry whose mytoken is used when no flag names one ('' for none) */
  defaultKeyringEntry: string;
  providers: Record<string, string>;
  /** the file the config came from, if any */
  file?: string;
}

export function defaultConfig(): Config {
  return {
    instance: DEFAULT_INSTANCE,
    defaultProvider: '',
    defaultTokenCapabilities: [...DEFAULT_CAPABILITIES],
    tokenNamePrefix: hostname(),
    useWlcgTokenDiscovery: true,
    strict: false,
    defaultKeyringEntry: '',
    providers: {},
  };
}

type Env = Record<string, string | undefined>;

/**
 * Expands a leading `~` or `~/` to $HOME. With HOME unset or empty that is a UsageError: the
 * path would otherwise silently be a folder named `~` under the working directory.
 */
export function expandHome(path: string, env: Env): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  if (!env.HOME) throw new UsageError(`${path} starts with ~, but HOME is not set`, 'set HOME, or give the full path');
  return path === '~' ? env.HOME : join(env.HOME, path.slice(2));
}

/** The config files searched when none is named, most specific first. */
export function configCandidates(env: Env): string[] {
  const out: string[] = [];
  // relative XDG_CONFIG_HOME is ignored, as the XDG rules say
  if (env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)) out.push(join(env.XDG_CONFIG_HOME, 'mytoken', 'config.yaml'));
  if (env.HOME) {
    out.push(join(env.HOME, '.config', 'mytoken', 'config.yaml'));
    out.push(join(env.HOME, '.mytoken', 'config.yaml'));
  }
  return [...new Set(out)];
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the config. `explicit` is the path from --config / MYTOKEN_CONFIG / MYTOKEN_CONF: it must
 * exist. Otherwise the first existing candidate is used, or the defaults when there is none.
 */
export function loadConfig(explicit: string | undefined, env: Env): Config {
  let file: string | undefined;
  if (explicit !== undefined) {
    if (explicit === '') throw new UsageError('the config file path is empty (--config, MYTOKEN_CONFIG or MYTOKEN_CONF)');
    try {
      file = resolve(expandHome(explicit, env));
    } catch (e) {
      throw e instanceof UsageError ? new UsageError(`config file ${e.message}`, e.hint) : e;
    }
    if (!exists(file)) {
      throw new UsageError(`config file ${explicit} does not exist`, 'check the path given with --config, MYTOKEN_CONFIG or MYTOKEN_CONF');
    }
  } else {
    file = configCandidates(env).find(exists);
  }
  if (!file) return defaultConfig();
  let text: string;
  try {
    // a device (/dev/zero), a FIFO or a huge file is refused at once; /dev/null reads as empty
    text = readLimited(file, { maxBytes: LIMITS.config });
  } catch (e) {
    if (!(e instanceof FileProblem)) throw e;
    throw new UsageError(`config file ${file} ${e.why}`, 'give a YAML file with --config, MYTOKEN_CONFIG or MYTOKEN_CONF, or move this one away');
  }
  return { ...parseConfigCached(text, file, env), file };
}

/** The keys the client reads; the cache keeps only these (validated, so plain JSON). */
const KEYS = ['instance', 'default_provider', 'token_name_prefix', 'use_wlcg_token_discovery', 'strict', 'default_keyring_entry', 'default_token_capabilities', 'providers'];

interface ConfigCacheEntry {
  file: string;
  /** the whole text the data was parsed from */
  text: string;
  data: Record<string, unknown>;
}

/**
 * parseConfig, with the parsed keys kept in the disk cache: loading and running the YAML parser
 * costs ~6 ms, a third of a warm `mytoken AT`. An entry is used only for the identical text.
 */
function parseConfigCached(text: string, file: string, env: Record<string, string | undefined>): Config {
  const cache = cachePath(env, 'config', file);
  const hit = readCacheEntry<ConfigCacheEntry>(cache);
  if (hit?.file === file && hit.text === text && hit.data && typeof hit.data === 'object') {
    try {
      return configFrom(hit.data, file);
    } catch {
      /* not what this client accepts (any more): parse again, for the error with its line */
    }
  }
  const { data, lineOf } = parseYaml(text, file);
  const cfg = configFrom(data, file, lineOf);
  // configFrom accepted it: data is a mapping, or nothing (an empty file)
  const obj = (data ?? {}) as Record<string, unknown>;
  writeCacheEntry(cache, { file, text, data: Object.fromEntries(KEYS.filter((k) => k in obj).map((k) => [k, obj[k]])) } satisfies ConfigCacheEntry);
  return cfg;
}

/** Parses the YAML text of a config file; `file` is used in error messages. */
export function parseConfig(text: string, file: string): Config {
  const { data, lineOf } = parseYaml(text, file);
  return configFrom(data, file, lineOf);
}

/**
 * How many aliases (`*name`) a config file may use. The client's few keys need none; a handful of
 * anchors for provider URLs is plausible, 50 is ample for that, and it stops a "billion laughs"
 * file (aliases of aliases, expanding exponentially) long before it costs memory.
 */
const MAX_ALIASES = 50;

/** How deep `[` and `{` may nest in a config file (comments counted too); more is refused before parsing. */
const MAX_FLOW_DEPTH = 256;

/** The data of a config file's YAML, and a way to name the line of a top-level key. */
function parseYaml(text: string, file: string): { data: unknown; lineOf: (key: string) => string } {
  // yaml is only needed when a config file exists: load it here, not at start-up.
  const YAML = require('yaml') as typeof import('yaml');
  const lines = new YAML.LineCounter();
  const at = (offset: number | undefined): string => (offset === undefined ? '' : `, line ${lines.linePos(offset).line}`);
  const deep = jsonDepthIndex(text, MAX_FLOW_DEPTH);
  if (deep >= 0) {
    const line = text.slice(0, deep).split('\n').length;
    throw new UsageError(`config file ${file}, line ${line}: brackets nested more than ${MAX_FLOW_DEPTH} deep`, 'a config file needs only a few levels; check the file');
  }
  try {
    const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter: lines });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const reason = /call stack/.test(e.message) ? 'it nests too deeply' : e.message.split('\n')[0]!;
      throw new UsageError(`config file ${file}${at(e.pos[0])}: not valid YAML: ${reason}`);
    }
    const lineOf = (key: string): string => {
      const node = doc.contents && YAML.isMap(doc.contents) ? doc.contents.items.find((p) => YAML.isScalar(p.key) && p.key.value === key) : undefined;
      return at(node && YAML.isScalar(node.key) ? node.key.range?.[0] : undefined);
    };
    return { data: doc.toJS({ maxAliasCount: MAX_ALIASES }), lineOf };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // the parser's own refusals (too many aliases) and failures (a stack overflow): never "unexpected"
    const msg = e instanceof Error ? e.message : String(e);
    const reason = /alias/i.test(msg) ? `its aliases (*name) expand too much (more than ${MAX_ALIASES} uses), as in a "billion laughs" file` : /call stack/.test(msg) ? 'it nests too deeply' : msg;
    throw new UsageError(`config file ${file}: refused: ${reason}`, 'a config file needs no aliases and only a few levels; check the file');
  }
}

/** The config from a config file's data; `lineOf` places a bad key in the file. */
function configFrom(data: unknown, file: string, lineOf: (key: string) => string = () => ''): Config {
  const cfg = defaultConfig();
  if (data === null || data === undefined) return cfg;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`config file ${file}: expected a mapping of keys to values at the top level`);
  }
  const bad = (key: string, want: string): never => {
    throw new UsageError(`config file ${file}${lineOf(key)}: ${key} must be ${want}`);
  };
  const obj = data as Record<string, unknown>;
  const str = (key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined; // null keeps the default
    if (typeof v !== 'string') bad(key, 'a string');
    return v as string;
  };

  const instance = str('instance');
  if (instance !== undefined) cfg.instance = instance;
  const provider = str('default_provider');
  if (provider !== undefined) cfg.defaultProvider = provider;
  const entry = str('default_keyring_entry');
  if (entry !== undefined) cfg.defaultKeyringEntry = entry;
  const prefix = str('token_name_prefix');
  if (prefix !== undefined) cfg.tokenNamePrefix = prefix.replaceAll('<hostname>', hostname());

  for (const [key, field] of [
    ['use_wlcg_token_discovery', 'useWlcgTokenDiscovery'],
    ['strict', 'strict'],
  ] as const) {
    if (!(key in obj) || obj[key] === null) continue;
    if (typeof obj[key] !== 'boolean') bad(key, 'true or false');
    cfg[field] = obj[key] as boolean;
  }
  if ('default_token_capabilities' in obj) {
    const v = obj.default_token_capabilities;
    if (v === null) cfg.defaultTokenCapabilities = []; // an empty key clears the list
    else if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) bad('default_token_capabilities', 'a list of strings');
    else cfg.defaultTokenCapabilities = v as string[];
  }
  if ('providers' in obj) {
    const v = obj.providers;
    if (v === null) cfg.providers = {};
    else if (typeof v !== 'object' || Array.isArray(v) || Object.values(v as object).some((u) => typeof u !== 'string')) {
      bad('providers', 'a mapping of short names to issuer URLs');
    } else cfg.providers = { ...(v as Record<string, string>) };
  }
  return cfg;
}

/** The issuer URL for a provider given as a URL or as a short name from the config. */
export function resolveProvider(value: string, cfg: Config): string {
  if (/^https?:\/\//.test(value)) return value;
  const url = cfg.providers[value];
  if (url) return url;
  const known = Object.keys(cfg.providers);
  throw new UsageError(
    `unknown provider '${value}'`,
    known.length
      ? `use one of ${known.join(', ')} (from ${cfg.file}) or the provider's issuer URL`
      : `give the provider's issuer URL, or define '${value}' under providers: in the config file`,
  );
}
