// Restrictions: request parsing (5.3), evaluation (5.2) and sub-token tightening (5.4).
import { isIP } from 'node:net';
import { badRequest, isObject, jsonTypeName, parseTimeValue, splitList, unique } from './util.mjs';

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
}

export const RESTRICTION_CLAIMS = [
  'nbf',
  'exp',
  'scope',
  'audience',
  'hosts',
  'geoip_allow',
  'geoip_disallow',
  'usages_AT',
  'usages_other',
] as const;

export interface ClauseParseOptions {
  /** exp/nbf may be strings (mytoken endpoint); consent approval accepts numbers only. */
  allowTimeStrings: boolean;
  /** Requester IP replacing `hosts` entries equal to `this`; undefined: keep them. */
  thisIP?: string;
  now?: number;
}

function stringArray(v: unknown, member: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field Restriction.${member} of type []string`);
  }
  const out = (v as string[]).filter((x) => x !== '');
  return out.length ? out : undefined;
}

function usage(v: unknown, member: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field Restriction.${member} of type int64`);
  }
  return Math.max(0, v);
}

/** Normalises one raw clause object; returns undefined for a clause whose members are all empty. */
export function parseClause(raw: Record<string, unknown>, opts: ClauseParseOptions): Clause | undefined {
  const c: Clause = {};
  const now = opts.now;
  if (raw.nbf !== undefined && raw.nbf !== null) {
    const v = parseTimeValue(raw.nbf, 'nbf', opts.allowTimeStrings, now);
    if (v) c.nbf = v;
  }
  if (raw.exp !== undefined && raw.exp !== null) {
    const v = parseTimeValue(raw.exp, 'exp', opts.allowTimeStrings, now);
    if (v) c.exp = v;
  }
  if (raw.scope !== undefined && raw.scope !== null) {
    if (typeof raw.scope !== 'string') {
      throw badRequest(`json: cannot unmarshal ${jsonTypeName(raw.scope)} into Go struct field Restriction.scope of type string`);
    }
    const s = splitList(raw.scope).join(' ');
    if (s) c.scope = s;
  }
  const audience = stringArray(raw.audience, 'audience');
  if (audience) c.audience = audience;
  let hosts = stringArray(raw.hosts, 'hosts');
  if (hosts && opts.thisIP) hosts = unique(hosts.map((h) => (h.toLowerCase() === 'this' ? opts.thisIP! : h)));
  if (hosts) c.hosts = hosts;
  const allow = stringArray(raw.geoip_allow, 'geoip_allow');
  if (allow) c.geoip_allow = allow;
  const disallow = stringArray(raw.geoip_disallow, 'geoip_disallow');
  if (disallow) c.geoip_disallow = disallow;
  const at = usage(raw.usages_AT, 'usages_AT');
  if (at !== undefined) c.usages_AT = at;
  const other = usage(raw.usages_other, 'usages_other');
  if (other !== undefined) c.usages_other = other;
  return Object.keys(c).length ? c : undefined;
}

export function parseClauses(raw: Record<string, unknown>[] | undefined, opts: ClauseParseOptions): Clause[] {
  if (!raw) return [];
  const out: Clause[] = [];
  for (const r of raw) {
    if (!isObject(r)) throw badRequest('json: cannot unmarshal into Go value of type api.Restriction');
    const c = parseClause(r, opts);
    if (c) out.push(c);
  }
  return out;
}

/** Identity of a clause for usage counters: its content. */
export const clauseKey = (c: Clause) => JSON.stringify(canonicalClause(c));

export function canonicalClause(c: Clause): Clause {
  const out: Clause = {};
  for (const k of RESTRICTION_CLAIMS) if (c[k] !== undefined) (out as Record<string, unknown>)[k] = c[k];
  return out;
}

/** The `exp` claim of a token: latest clause exp, or undefined if any clause has none / no clauses. */
export function restrictionsExp(clauses: readonly Clause[]): number | undefined {
  if (!clauses.length || clauses.some((c) => !c.exp)) return undefined;
  return Math.max(...clauses.map((c) => c.exp!));
}

/** The `nbf` claim: `iat`, or the earliest clause nbf if every clause has one and it lies in the future. */
export function restrictionsNbf(clauses: readonly Clause[], iat: number): number {
  if (!clauses.length || clauses.some((c) => !c.nbf)) return iat;
  const earliest = Math.min(...clauses.map((c) => c.nbf!));
  return earliest > iat ? earliest : iat;
}

// ---------------------------------------------------------------------------------------------
// IP addresses and hosts

interface IPAddr {
  family: 4 | 6;
  value: bigint;
}

export function normalizeIP(ip: string): string {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return v4mapped ? v4mapped[1]! : ip;
}

function parseIP(s: string): IPAddr | undefined {
  const ip = normalizeIP(s.split('%')[0]!);
  const fam = isIP(ip);
  if (fam === 4) {
    return { family: 4, value: ip.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) };
  }
  if (fam === 6) {
    let text = ip;
    const lastColon = text.lastIndexOf(':');
    const tail = text.slice(lastColon + 1);
    if (tail.includes('.')) {
      const v4 = parseIP(tail)!.value;
      text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const groupsOf = (part: string) => (part ? part.split(':').map((g) => BigInt(parseInt(g, 16))) : []);
    let groups: bigint[];
    if (text.includes('::')) {
      const [l, r] = text.split('::') as [string, string];
      const left = groupsOf(l);
      const right = groupsOf(r);
      groups = [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
    } else {
      groups = groupsOf(text);
    }
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | g, 0n) };
  }
  return undefined;
}

type HostEntry =
  | { kind: 'ip'; addr: IPAddr }
  | { kind: 'net'; addr: IPAddr; prefix: number }
  | { kind: 'name'; name: string }
  | { kind: 'wildcard'; suffix: string };

const bits = (fam: 4 | 6) => (fam === 4 ? 32 : 128);
const mask = (fam: 4 | 6, prefix: number) => {
  const all = (1n << BigInt(bits(fam))) - 1n;
  return (all >> BigInt(bits(fam) - prefix)) << BigInt(bits(fam) - prefix) & all;
};

function parseHostEntry(entry: string): HostEntry {
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const addr = parseIP(entry.slice(0, slash));
    const prefix = Number(entry.slice(slash + 1));
    if (addr && Number.isInteger(prefix) && prefix >= 0 && prefix <= bits(addr.family)) {
      const network = addr.value & mask(addr.family, prefix);
      // a CIDR whose address part is not the network address is treated as that single IP
      return network === addr.value ? { kind: 'net', addr, prefix } : { kind: 'ip', addr };
    }
  }
  const addr = parseIP(entry);
  if (addr) return { kind: 'ip', addr };
  const name = entry.toLowerCase().replace(/\.$/, '');
  if (name.startsWith('*.')) return { kind: 'wildcard', suffix: name.slice(1) };
  return { kind: 'name', name };
}

function ipInEntry(ip: IPAddr, e: HostEntry): boolean {
  if (e.kind === 'ip') return e.addr.family === ip.family && e.addr.value === ip.value;
  if (e.kind === 'net') return e.addr.family === ip.family && (ip.value & mask(ip.family, e.prefix)) === e.addr.value;
  return false;
}

function nameInEntry(name: string, e: HostEntry): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (e.kind === 'name') return n === e.name;
  if (e.kind === 'wildcard') return n.endsWith(e.suffix);
  return false;
}

/** Lookup tables standing in for reverse DNS and a GeoIP database. */
export interface NetInfo {
  ptr(ip: string): string[];
  country(ip: string): string | undefined;
}

/** Does the client IP match one hosts entry (IP, CIDR, PTR name, `*.domain`)? */
export function hostMatches(clientIP: string, entry: string, net: NetInfo): boolean {
  const e = parseHostEntry(entry);
  const ip = parseIP(clientIP);
  if (e.kind === 'ip' || e.kind === 'net') return !!ip && ipInEntry(ip, e);
  return net.ptr(normalizeIP(clientIP)).some((n) => nameInEntry(n, e));
}

/** Is the hosts entry `w` contained in the hosts entry `b` (5.4)? */
function hostEntryWithin(w: string, b: string, net: NetInfo): boolean {
  const we = parseHostEntry(w);
  const be = parseHostEntry(b);
  if (we.kind === 'ip') {
    if (be.kind === 'ip' || be.kind === 'net') return ipInEntry(we.addr, be);
    const ipStr = w.split('/')[0]!;
    return net.ptr(normalizeIP(ipStr)).some((n) => nameInEntry(n, be));
  }
  if (we.kind === 'net') {
    if (be.kind === 'ip') return we.prefix === bits(we.addr.family) && ipInEntry(we.addr, be);
    if (be.kind === 'net') return we.prefix >= be.prefix && ipInEntry(we.addr, be);
    return false;
  }
  if (we.kind === 'name') return be.kind === 'name' || be.kind === 'wildcard' ? nameInEntry(we.name, be) : false;
  // wildcard
  if (be.kind === 'wildcard') return we.suffix.endsWith(be.suffix);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Evaluation (5.2)

export type UsageKind = 'AT' | 'other';

export interface Counter {
  at: number;
  other: number;
}

export interface UsageRequest {
  kind: UsageKind;
  ip: string;
  net: NetInfo;
  now: number;
  scopes?: string[];
  audiences?: string[];
  counter(c: Clause): Counter;
}

export function clauseUsable(c: Clause, u: UsageRequest): boolean {
  if (c.nbf && u.now < c.nbf) return false;
  if (c.exp && u.now > c.exp) return false;
  if (c.hosts?.length && !c.hosts.some((h) => hostMatches(u.ip, h, u.net))) return false;
  if (c.geoip_disallow?.length || c.geoip_allow?.length) {
    const country = u.net.country(normalizeIP(u.ip))?.toUpperCase();
    if (c.geoip_disallow?.length && country && c.geoip_disallow.some((x) => x.toUpperCase() === country)) return false;
    if (c.geoip_allow?.length && !(country && c.geoip_allow.some((x) => x.toUpperCase() === country))) return false;
  }
  const count = u.counter(c);
  if (u.kind === 'AT') {
    if (c.usages_AT !== undefined && count.at >= c.usages_AT) return false;
    if (u.scopes?.length && c.scope) {
      const allowed = new Set(splitList(c.scope));
      if (!u.scopes.every((s) => allowed.has(s))) return false;
    }
    if (u.audiences?.length && c.audience?.length) {
      const allowed = new Set(c.audience);
      if (!u.audiences.every((a) => allowed.has(a))) return false;
    }
  } else if (c.usages_other !== undefined && count.other >= c.usages_other) {
    return false;
  }
  return true;
}

/**
 * The charged clause for a usage: null for an unrestricted token (nothing is charged), the first
 * usable clause otherwise, undefined if no clause allows the usage (-> 403 usage_restricted).
 */
export function selectClause(clauses: readonly Clause[], u: UsageRequest): Clause | null | undefined {
  if (!clauses.length) return null;
  return clauses.find((c) => clauseUsable(c, u));
}

// ---------------------------------------------------------------------------------------------
// Tightening (5.4)

const subset = (w: readonly string[], b: readonly string[]) => w.every((x) => b.includes(x));

export function atLeastAsStrict(w: Clause, b: Clause, net: NetInfo): boolean {
  if ((w.nbf ?? 0) < (b.nbf ?? 0)) return false;
  if (b.exp && (!w.exp || w.exp > b.exp)) return false;
  if (b.scope && (!w.scope || !subset(splitList(w.scope), splitList(b.scope)))) return false;
  if (b.audience?.length && (!w.audience?.length || !subset(w.audience, b.audience))) return false;
  if (b.hosts?.length) {
    if (!w.hosts?.length) return false;
    if (!w.hosts.every((wh) => b.hosts!.some((bh) => hostEntryWithin(wh, bh, net)))) return false;
  }
  if (b.geoip_allow?.length) {
    if (!w.geoip_allow?.length) return false;
    const ballow = b.geoip_allow.map((x) => x.toUpperCase());
    if (!w.geoip_allow.every((x) => ballow.includes(x.toUpperCase()))) return false;
  }
  if (b.geoip_disallow?.length) {
    const wdis = (w.geoip_disallow ?? []).map((x) => x.toUpperCase());
    if (!b.geoip_disallow.every((x) => wdis.includes(x.toUpperCase()))) return false;
  }
  const le = (x: number | undefined, y: number | undefined) => y === undefined || (x !== undefined && x <= y);
  return le(w.usages_AT, b.usages_AT) && le(w.usages_other, b.usages_other);
}

/** Restrictions of a sub-token from the parent's `P` and the requested `W` (5.4). */
export function tightenRestrictions(
  parent: readonly Clause[],
  wanted: readonly Clause[],
  net: NetInfo,
): { restrictions: Clause[]; honoured: boolean } {
  if (!parent.length) return { restrictions: wanted.map((c) => ({ ...c })), honoured: true };
  if (!wanted.length) return { restrictions: parent.map((c) => ({ ...c })), honoured: true };
  const budget = parent.map((c) => ({ ...c }));
  const kept: Clause[] = [];
  for (const w of wanted) {
    const b = budget.find((b) => atLeastAsStrict(w, b, net));
    if (!b) continue;
    kept.push({ ...w });
    if (w.usages_AT !== undefined && b.usages_AT !== undefined) b.usages_AT -= w.usages_AT;
    if (w.usages_other !== undefined && b.usages_other !== undefined) b.usages_other -= w.usages_other;
  }
  if (!kept.length) return { restrictions: parent.map((c) => ({ ...c })), honoured: false };
  return { restrictions: kept, honoured: kept.length === wanted.length };
}
