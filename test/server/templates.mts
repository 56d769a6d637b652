// Profiles and templates: the `include` machinery of spec section 5.13.
//
// The store is empty for now (every name is unknown and yields
// `400 invalid_request unknown include name: '<name>'`); the profiles endpoint and the default
// templates of section 4.11 fill it later. The expansion and merge rules are already complete.
import { badRequest, isObject, jsonTypeName, splitList } from './util.mjs';

export type TemplateType = 'profiles' | 'capabilities' | 'restrictions' | 'rotation';

export interface TemplateStore {
  /** Payload of the template `group/name` of the given type, or undefined if there is none. */
  get(type: TemplateType, group: string, name: string): unknown;
}

/** A store without any template. */
export class MemoryTemplateStore implements TemplateStore {
  private readonly data = new Map<string, unknown>();
  get(type: TemplateType, group: string, name: string): unknown {
    return this.data.get(`${type}/${group}/${name}`);
  }
  set(type: TemplateType, group: string, name: string, payload: unknown): void {
    this.data.set(`${type}/${group}/${name}`, payload);
  }
}

const MAX_DEPTH = 16;

function lookup(store: TemplateStore, type: TemplateType, rawName: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw badRequest(`include depth exceeded at '${rawName}'`);
  const name = rawName.startsWith('@') ? rawName.slice(1) : rawName;
  const slash = name.indexOf('/');
  const [group, id] = slash >= 0 ? [name.slice(0, slash), name.slice(slash + 1)] : ['_', name];
  const v = store.get(type, group, id);
  if (v === undefined) throw badRequest(`unknown include name: '${rawName}'`);
  return v;
}

/** `include` values: a space-separated string or an array of strings. */
function includeNames(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return splitList(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.flatMap((x) => splitList(x));
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

/** The clauses a restriction template contributes (a template is a clause or an array of clauses). */
function templateClauses(name: string, store: TemplateStore, depth: number): Record<string, unknown>[] {
  const t = lookup(store, 'restrictions', name, depth);
  return expandRestrictions(t, store, depth + 1) ?? [];
}

function expandClause(clause: Record<string, unknown>, store: TemplateStore, depth: number): Record<string, unknown>[] {
  const { include, ...rest } = clause;
  let merged: Record<string, unknown> = rest;
  const extra: Record<string, unknown>[] = [];
  for (const name of includeNames(include)) {
    const t = lookup(store, 'restrictions', name, depth);
    if (Array.isArray(t)) {
      extra.push(...(expandRestrictions(t, store, depth + 1) ?? []));
    } else if (isObject(t)) {
      for (const c of expandClause(t, store, depth + 1)) merged = mergeIncluded(merged, c);
    } else {
      throw badRequest(`restriction template '${name}' is neither a clause nor a list of clauses`);
    }
  }
  return [merged, ...extra];
}

/**
 * Restrictions of a request: one clause object, an array of clause objects and/or template names,
 * or a string of template names. Returns raw clause objects (times still unresolved).
 */
export function expandRestrictions(value: unknown, store: TemplateStore, depth = 0): Record<string, unknown>[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return splitList(value).flatMap((n) => templateClauses(n, store, depth));
  if (isObject(value)) return expandClause(value, store, depth);
  if (Array.isArray(value)) {
    const out: Record<string, unknown>[] = [];
    for (const item of value) {
      if (typeof item === 'string') out.push(...splitList(item).flatMap((n) => templateClauses(n, store, depth)));
      else if (isObject(item)) out.push(...expandClause(item, store, depth));
      else throw badRequest(`json: cannot unmarshal ${jsonTypeName(item)} into Go value of type api.Restriction`);
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
    names = splitList(value);
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
