// Profiles and templates (spec 4.11) and the `include` machinery of spec section 5.13.
//
// The store holds named JSON snippets of four types in groups (`_` is the default group). Payloads
// are kept as stored (relative times stay relative, includes stay includes); they are resolved when
// a request uses them (requests.mts) or the profiles endpoint shows them (profiles-endpoint.mts).
// The reference deployment's templates (last paragraph of 4.11) are in DEFAULT_TEMPLATES.
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, isObject, jsonTypeName, splitList } from './util.mjs';

export type TemplateType = 'profiles' | 'capabilities' | 'restrictions' | 'rotation';
export const TEMPLATE_TYPES: readonly TemplateType[] = ['profiles', 'capabilities', 'restrictions', 'rotation'];
export const isTemplateType = (s: string): s is TemplateType => (TEMPLATE_TYPES as readonly string[]).includes(s);

export const DEFAULT_GROUP = '_';

/** Templates to install: group -> type -> name -> payload. */
export type TemplateSet = Record<string, Partial<Record<TemplateType, Record<string, unknown>>>>;

/** The templates the reference deployment ships in group `_` (spec 4.11). */
export const DEFAULT_TEMPLATES: Record<TemplateType, Record<string, unknown>> = {
  capabilities: {
    default: ['AT', 'tokeninfo'],
    'default+MT': ['@default', 'create_mytoken'],
    all: 'AT tokeninfo manage_mytokens create_mytoken settings',
  },
  restrictions: {
    '12h': { exp: '+12h' },
    '1d': { exp: '+1d' },
    '1w': { exp: '+1w' },
    '1m': { exp: '+30d' },
    '1y': { exp: '+1y' },
    'ip-this': { hosts: ['this'] },
    'web-default': { include: '12h ip-this', usages_AT: 15 },
  },
  rotation: {
    at: { on_AT: true },
    other: { on_other: true },
    'auto-revoke': { auto_revoke: true },
    daily: { lifetime: 86400 },
    weekly: { lifetime: 604800 },
    monthly: { lifetime: 2592000 },
    'at-other-auto-revoke': { include: ['at', 'other', 'auto-revoke'] },
    'at-other-daily-auto-revoke': { include: 'at other daily auto-revoke' },
    'at-other-weekly-auto-revoke': { include: 'at-other-auto-revoke weekly' },
    'at-other-no-auto-revoke': { include: 'at other', auto_revoke: false },
  },
  profiles: {
    agent: { capabilities: ['@all'] },
    'web-default': { restrictions: 'web-default', capabilities: ['@default'] },
  },
};

export interface TemplateStore {
  /** Payload of the template `group/name` of the given type, or undefined if there is none. */
  get(type: TemplateType, group: string, name: string): unknown;
}

export interface TemplateEntry {
  id: string;
  group: string;
  type: TemplateType;
  name: string;
  payload: unknown;
}

const clone = <T,>(v: T): T => (v === undefined ? v : structuredClone(v));

const duplicate = (name: string) => new ApiError(409, 'invalid_request', `a template named '${name}' already exists`);

/** The template store: entries in insertion order, each with a stable UUID. */
export class MemoryTemplateStore implements TemplateStore {
  private readonly entries: TemplateEntry[] = [];
  private readonly groupNames: string[] = [DEFAULT_GROUP];

  get(type: TemplateType, group: string, name: string): unknown {
    return clone(this.find(type, group, name)?.payload);
  }

  private find(type: TemplateType, group: string, name: string): TemplateEntry | undefined {
    return this.entries.find((e) => e.type === type && e.group === group && e.name === name);
  }

  addGroup(group: string): void {
    if (!this.groupNames.includes(group)) this.groupNames.push(group);
  }

  groups(): string[] {
    return [...this.groupNames];
  }

  hasGroup(group: string): boolean {
    return this.groupNames.includes(group);
  }

  /** Entries of a group and type, in insertion order. */
  list(type: TemplateType, group: string): TemplateEntry[] {
    return this.entries.filter((e) => e.type === type && e.group === group).map((e) => ({ ...e, payload: clone(e.payload) }));
  }

  /** Adds or replaces (by name) a template; used for installing templates at start. */
  set(type: TemplateType, group: string, name: string, payload: unknown): TemplateEntry {
    this.addGroup(group);
    const e = this.find(type, group, name);
    if (e) {
      e.payload = clone(payload);
      return e;
    }
    return this.add(type, group, name, payload);
  }

  /** Adds a template; 409 if the group already has one of that type and name. */
  add(type: TemplateType, group: string, name: string, payload: unknown): TemplateEntry {
    if (this.find(type, group, name)) throw duplicate(name);
    this.addGroup(group);
    const e: TemplateEntry = { id: randomUUID(), group, type, name, payload: clone(payload) };
    this.entries.push(e);
    return e;
  }

  byId(type: TemplateType, group: string, id: string): TemplateEntry | undefined {
    const e = this.entries.find((x) => x.type === type && x.group === group && x.id === id.toLowerCase());
    return e && { ...e, payload: clone(e.payload) };
  }

  /** Updates name and/or payload of an entry; false if there is no such entry. */
  update(type: TemplateType, group: string, id: string, change: { name?: string; payload?: unknown }): boolean {
    const e = this.entries.find((x) => x.type === type && x.group === group && x.id === id.toLowerCase());
    if (!e) return false;
    if (change.name !== undefined && change.name !== e.name) {
      if (this.find(type, group, change.name)) throw duplicate(change.name);
      e.name = change.name;
    }
    if (change.payload !== undefined) e.payload = clone(change.payload);
    return true;
  }

  remove(type: TemplateType, group: string, id: string): boolean {
    const i = this.entries.findIndex((x) => x.type === type && x.group === group && x.id === id.toLowerCase());
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }

  all(): TemplateEntry[] {
    return this.entries.map((e) => ({ ...e, payload: clone(e.payload) }));
  }
}

/** A store with the default templates (unless `defaults` is false), extra templates and groups. */
export function createTemplateStore(opts: { defaults?: boolean; extra?: TemplateSet; groups?: string[] } = {}): MemoryTemplateStore {
  const store = new MemoryTemplateStore();
  if (opts.defaults !== false) {
    for (const type of TEMPLATE_TYPES) {
      for (const [name, payload] of Object.entries(DEFAULT_TEMPLATES[type])) store.set(type, DEFAULT_GROUP, name, payload);
    }
  }
  for (const g of opts.groups ?? []) store.addGroup(g);
  for (const [group, byType] of Object.entries(opts.extra ?? {})) {
    store.addGroup(group);
    for (const [type, byName] of Object.entries(byType ?? {})) {
      if (!isTemplateType(type)) throw new Error(`templates: unknown template type '${type}' in group '${group}'`);
      for (const [name, payload] of Object.entries(byName ?? {})) store.set(type, group, name, payload);
    }
  }
  return store;
}

// ---------------------------------------------------------------------------------------------
// include resolution (5.13)

const MAX_DEPTH = 16;

/** `name` (group `_`) or `group/name`, a leading `@` ignored. */
export function parseTemplateName(rawName: string): { group: string; name: string } {
  const name = rawName.startsWith('@') ? rawName.slice(1) : rawName;
  const parts = name.split('/').filter(Boolean);
  if (parts.length > 2) throw badRequest('malformed include name');
  return parts.length === 2 ? { group: parts[0]!, name: parts[1]! } : { group: DEFAULT_GROUP, name: parts[0] ?? '' };
}

function lookup(store: TemplateStore, type: TemplateType, rawName: string, depth: number): unknown {
  const shown = rawName.startsWith('@') ? rawName.slice(1) : rawName;
  if (depth > MAX_DEPTH) throw badRequest(`include depth exceeded at '${shown}'`);
  const { group, name } = parseTemplateName(rawName);
  const v = store.get(type, group, name);
  if (v === undefined) throw badRequest(`unknown include name: '${shown}'`);
  return v;
}

/**
 * `include` values: a string of names separated by single spaces, or an array of names. As in the
 * reference parser an empty name (two spaces in a row, an empty array entry) is an unknown name.
 */
function includeNames(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(' ');
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw badRequest(`json: cannot unmarshal ${jsonTypeName(v)} into include of type []string`);
}

const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Merge rule of 5.13: members missing in `base` are taken from `included`; arrays are unioned
 * (base entries first); objects are merged recursively; otherwise the base value wins.
 */
export function mergeIncluded(base: Record<string, unknown>, included: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(included)) {
    if (!(k in out) || out[k] === undefined || out[k] === null) {
      out[k] = v;
      continue;
    }
    const b = out[k];
    if (Array.isArray(b)) {
      const add = Array.isArray(v) ? v : [v];
      const merged = [...b];
      for (const x of add) if (!merged.some((y) => sameJSON(x, y))) merged.push(x);
      out[k] = merged;
    } else if (isObject(b)) {
      if (!isObject(v)) throw badRequest(`cannot merge ${jsonTypeName(v)} into object member '${k}'`);
      out[k] = mergeIncluded(b, v);
    }
  }
  return out;
}

/** Resolves the top-level `include` (profiles) of a mytoken request; returns the merged request. */
export function applyProfiles(
  request: Record<string, unknown>,
  store: TemplateStore,
  depth = 0,
): Record<string, unknown> {
  const { include, ...rest } = request;
  let out: Record<string, unknown> = rest;
  for (const name of includeNames(include)) {
    const profile = lookup(store, 'profiles', name, depth);
    if (!isObject(profile)) throw badRequest(`profile '${name}' is not an object`);
    out = mergeIncluded(out, applyProfiles(profile, store, depth + 1));
  }
  return out;
}

/** Capabilities: array or space-separated string; `@name` entries expand to capability templates. */
export function expandCapabilities(value: unknown, store: TemplateStore, depth = 0): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let list: unknown[];
  if (typeof value === 'string') list = splitList(value);
  else if (Array.isArray(value)) list = value;
  else throw badRequest(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field capabilities of type []string`);
  const out: string[] = [];
  for (const c of list) {
    if (typeof c !== 'string') {
      throw badRequest(`json: cannot unmarshal ${jsonTypeName(c)} into Go struct field capabilities of type string`);
    }
    if (c.startsWith('@')) {
      const t = lookup(store, 'capabilities', c, depth);
      out.push(...(expandCapabilities(t, store, depth + 1) ?? []));
    } else if (c) {
      out.push(c);
    }
  }
  return [...new Set(out)];
}

/**
 * A clause with `include`: object templates are merged into it (clause members win, arrays are
 * unioned); array templates contribute their clauses as separate clauses after it.
 */
function expandClause(clause: Record<string, unknown>, store: TemplateStore, depth: number): Record<string, unknown>[] {
  const { include, ...rest } = clause;
  let merged: Record<string, unknown> = rest;
  const extra: Record<string, unknown>[] = [];
  for (const name of includeNames(include)) {
    const t = lookup(store, 'restrictions', name, depth);
    if (Array.isArray(t)) {
      extra.push(...(expandRestrictions(t, store, depth + 1) ?? []));
    } else if (isObject(t)) {
      const [first, ...more] = expandClause(t, store, depth + 1);
      merged = mergeIncluded(merged, first!);
      extra.push(...more);
    } else if (typeof t === 'string') {
      // a template whose payload is a string of template names
      const [first, ...more] = expandClause({ include: t }, store, depth + 1);
      merged = mergeIncluded(merged, first!);
      extra.push(...more);
    } else {
      throw badRequest(`restriction template '${name}' is neither a clause nor a list of clauses`);
    }
  }
  return [merged, ...extra];
}

/**
 * Restrictions of a request: one clause object, an array of clause objects and/or template names,
 * or a string of template names. A string of names counts as a clause `{"include": <names>}`: the
 * named clause templates are merged into one clause (array templates add their clauses). Returns
 * raw clause objects (times still unresolved, `this` not yet replaced).
 */
export function expandRestrictions(value: unknown, store: TemplateStore, depth = 0): Record<string, unknown>[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return expandClause({ include: value }, store, depth);
  if (isObject(value)) return expandClause(value, store, depth);
  if (Array.isArray(value)) {
    const out: Record<string, unknown>[] = [];
    for (const item of value) {
      if (typeof item === 'string') out.push(...expandClause({ include: item }, store, depth));
      else if (isObject(item)) out.push(...expandClause(item, store, depth));
      else if (item !== null) throw badRequest(`json: cannot unmarshal ${jsonTypeName(item)} into Go value of type api.Restriction`);
      // null: the zero clause, dropped like any empty clause
    }
    return out;
  }
  throw badRequest(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field restrictions of type api.Restrictions`);
}

/** Rotation: an object (possibly with `include`) or a string of rotation template names. */
export function expandRotation(value: unknown, store: TemplateStore, depth = 0): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  let base: Record<string, unknown>;
  let names: string[];
  if (typeof value === 'string') {
    base = {};
    names = includeNames(value);
  } else if (isObject(value)) {
    const { include, ...rest } = value;
    base = rest;
    names = includeNames(include);
  } else {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field rotation of type api.Rotation`);
  }
  for (const name of names) {
    const t = lookup(store, 'rotation', name, depth);
    const expanded = expandRotation(t, store, depth + 1);
    if (expanded) base = mergeIncluded(base, expanded);
  }
  return base;
}
