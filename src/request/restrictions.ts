// Restriction clauses: from --restrictions (JSON, a JSON file, or template names) or from the
// single-clause flags (spec cli.md 9.3, 9.4; server-api.md 3.3).
import { UsageError } from '../errors.js';
import { parseJson, readJsonFile, shortJson } from './json.js';
import { localTime, timeFromJson } from './time.js';

/** One restriction clause, keys in wire order (B.2). */
export interface Clause {
  nbf?: number;
  exp?: number;
  scope?: string;
  audience?: string[];
  hosts?: string[];
  geoip_allow?: string[];
  geoip_disallow?: string[];
  usages_AT?: number;
  usages_other?: number;
  include?: string | string[];
}

/** An element of a restrictions array: a clause, or the name of a server-side restriction template. */
export type RestrictionEntry = Clause | string;

type Env = Record<string, string | undefined>;

export interface ParseContext {
  now: number;
  env: Env;
  /**
   * accept what is almost surely a mistake (--force): a clause that ended before now, a capability
   * name the client does not know
   */
  force?: boolean;
}

const LIST_KEYS = ['audience', 'hosts', 'geoip_allow', 'geoip_disallow'] as const;
const KEY_ORDER = ['nbf', 'exp', 'scope', 'audience', 'hosts', 'geoip_allow', 'geoip_disallow', 'usages_AT', 'usages_other', 'include'] as const;

/** Template names separated by spaces → what `include` carries: one name as a string, several as an array. */
export function includeValue(names: string[]): string | string[] | undefined {
  const list = names.filter((n) => n !== '');
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0]! : list;
}

export function splitNames(value: string): string[] {
  return value.split(' ').filter((n) => n !== '');
}

/** A whole number of at least 0, for usage limits. */
function usageCount(value: unknown, key: string, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new UsageError(`${where}: "${key}" must be a whole number, not ${shortJson(value)}`);
  if (value < 0) throw new UsageError(`${where}: "${key}" must not be negative (${value})`, 'use 0 to forbid that kind of usage');
  return value;
}

function stringList(value: unknown, key: string, where: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new UsageError(`${where}: "${key}" must be a list of strings, not ${shortJson(value)}`);
}

function includeOf(value: unknown, where: string): string | string[] {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new UsageError(`${where}: "include" must be a template name or a list of them, not ${shortJson(value)}`);
}

/**
 * Puts a clause's keys in wire order and checks that exp is not before nbf, and, given `ctx`, that
 * exp is not before now (unless forced): such a clause never allows anything.
 */
export function finishClause(c: Clause, where: string, ctx?: ParseContext): Clause {
  if (c.nbf && c.exp && c.exp < c.nbf) {
    throw new UsageError(`${where}: exp (${c.exp}) is earlier than nbf (${c.nbf}), so the mytoken could never be used`);
  }
  if (ctx && !ctx.force && c.exp && c.exp < ctx.now) {
    const flag = where === '--exp';
    throw new UsageError(
      `${where}: ${flag ? '' : 'exp '}${localTime(c.exp)} (${c.exp}) is in the past, so the mytoken could never be used`,
      `give a later time (${flag ? '--exp +30d' : '"exp": "+30d"'}, for example), or add --force to ask for it all the same`,
    );
  }
  const out: Clause = {};
  for (const k of KEY_ORDER) if (c[k] !== undefined) (out as Record<string, unknown>)[k] = c[k];
  return out;
}

/**
 * Checks and normalises one clause from JSON. Key names match case-insensitively. An unknown key is
 * an error: dropping it would make the mytoken less restricted than the user asked for.
 * Time values may be numbers or strings and are resolved to Unix seconds.
 */
export function clauseFromJson(value: unknown, where: string, ctx: ParseContext): RestrictionEntry {
  if (typeof value === 'string') return value; // a template name
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}: a restriction clause must be a JSON object, not ${shortJson(value)}`);
  }
  const c: Clause = {};
  for (const [rawKey, v] of Object.entries(value)) {
    const key = KEY_ORDER.find((k) => k.toLowerCase() === rawKey.toLowerCase());
    if (!key) {
      throw new UsageError(`${where}: unknown restriction "${rawKey}"`, `the restrictions are ${KEY_ORDER.join(', ')}`);
    }
    if (v === null) continue;
    switch (key) {
      case 'nbf':
      case 'exp': {
        const t = timeFromJson(v, key, ctx.now, where);
        if (t !== 0) c[key] = t;
        break;
      }
      case 'scope':
        if (typeof v === 'string') c.scope = v;
        else if (Array.isArray(v) && v.every((s) => typeof s === 'string')) c.scope = v.join(' ');
        else throw new UsageError(`${where}: "scope" must be a string of scopes separated by spaces, not ${shortJson(v)}`);
        if (c.scope === '') delete c.scope;
        break;
      case 'usages_AT':
      case 'usages_other':
        c[key] = usageCount(v, key, where);
        break;
      case 'include':
        c.include = includeOf(v, where);
        break;
      default: {
        const list = stringList(v, key, where);
        if (list.length) c[key as (typeof LIST_KEYS)[number]] = list;
      }
    }
  }
  return finishClause(c, where, ctx);
}

/** Whether a value names a file rather than templates: ./x, ../x, ~/x or an absolute path. */
export function looksLikePath(v: string): boolean {
  return v.startsWith('./') || v.startsWith('../') || v.startsWith('~/') || v.startsWith('/');
}

/**
 * Whether a value is JSON text rather than template names: an object, array or string literal, or
 * null/true/false. (Names may start with a digit, as in "1d", so numbers count as names.)
 */
export function isJsonText(v: string): boolean {
  const t = v.trim();
  return /^[{["]/.test(t) || ['null', 'true', 'false'].includes(t);
}

/**
 * The restrictions of a --restrictions value: a JSON object (one clause) or array, a path to a
 * JSON file with either, or template names separated by spaces. undefined for an empty array.
 */
export function parseRestrictions(value: string, flag: string, ctx: ParseContext): RestrictionEntry[] | undefined {
  let json: unknown;
  let where = flag;
  if (isJsonText(value)) {
    json = parseJson(value, flag);
  } else if (looksLikePath(value)) {
    json = readJsonFile(value, flag, ctx.env);
    where = `${flag} file ${value}`;
  } else {
    const include = includeValue(splitNames(value));
    return include === undefined ? undefined : [{ include }];
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) json = [json];
  if (!Array.isArray(json)) throw new UsageError(`${where}: must be a JSON object (one clause) or an array of clauses`);
  const clauses = json.map((c, i) => clauseFromJson(c, json.length > 1 ? `${where}, clause ${i + 1}` : where, ctx));
  return clauses.length ? clauses : undefined;
}

/** The values of the single-clause flags (--nbf, --exp, -s, --aud, --host, --geo-ip-*, --usages-*). */
export interface ClauseFlags {
  nbf?: number;
  exp?: number;
  scopes: string[];
  audiences: string[];
  hosts: string[];
  geoipAllow: string[];
  geoipDisallow: string[];
  usagesAT?: number;
  usagesOther?: number;
}

/** The one clause the single-clause flags make, or undefined when none was given (ctx: see finishClause). */
export function clauseFromFlags(f: ClauseFlags, ctx?: ParseContext): Clause | undefined {
  const c: Clause = {};
  if (f.nbf) c.nbf = f.nbf;
  if (f.exp) c.exp = f.exp;
  const scope = f.scopes.filter((s) => s !== '').join(' ');
  if (scope) c.scope = scope;
  if (f.audiences.length) c.audience = f.audiences;
  if (f.hosts.length) c.hosts = f.hosts;
  if (f.geoipAllow.length) c.geoip_allow = f.geoipAllow;
  if (f.geoipDisallow.length) c.geoip_disallow = f.geoipDisallow;
  if (f.usagesAT !== undefined) c.usages_AT = f.usagesAT;
  if (f.usagesOther !== undefined) c.usages_other = f.usagesOther;
  if (Object.keys(c).length === 0) return undefined;
  return finishClause(c, '--exp', ctx);
}
