// The rotation policy of a new mytoken: --rotation (JSON, a JSON file or template names) and the
// detail flags, which work with or without it (spec cli.md 9.7, server-api.md 3.5).
import { UsageError } from '../errors.js';
import { parseJson, readJsonFile, shortJson } from './json.js';
import { includeValue, isJsonText, looksLikePath, splitNames } from './restrictions.js';

export interface Rotation {
  on_AT?: boolean;
  on_other?: boolean;
  lifetime?: number;
  auto_revoke?: boolean;
  include?: string | string[];
}

const KEYS = ['on_AT', 'on_other', 'lifetime', 'auto_revoke', 'include'] as const;

/** Checks a rotation object from JSON; key names match case-insensitively, unknown keys are errors. */
export function rotationFromJson(value: unknown, where: string): Rotation {
  if (typeof value === 'string') return { include: includeValue(splitNames(value)) };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}: the rotation must be a JSON object, not ${shortJson(value)}`);
  }
  const r: Rotation = {};
  for (const [rawKey, v] of Object.entries(value)) {
    const key = KEYS.find((k) => k.toLowerCase() === rawKey.toLowerCase());
    if (!key) throw new UsageError(`${where}: unknown rotation setting "${rawKey}"`, `the settings are ${KEYS.join(', ')}`);
    if (v === null) continue;
    if (key === 'lifetime') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new UsageError(`${where}: "lifetime" must be a whole number of seconds, at least 0`);
      if (v) r.lifetime = v;
    } else if (key === 'include') {
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) r.include = v as string | string[];
      else throw new UsageError(`${where}: "include" must be a template name or a list of them`);
    } else {
      if (typeof v !== 'boolean') throw new UsageError(`${where}: "${key}" must be true or false`);
      if (v) r[key] = true;
    }
  }
  return r;
}

/** A --rotation value: a JSON object, a path to a JSON file, or rotation template names. */
export function parseRotation(value: string, flag: string, env: Record<string, string | undefined>): Rotation | undefined {
  if (value.trim() === '') return undefined;
  if (isJsonText(value)) return rotationFromJson(parseJson(value, flag), flag);
  if (looksLikePath(value)) return rotationFromJson(readJsonFile(value, flag, env), `${flag} file ${value}`);
  return { include: includeValue(splitNames(value)) };
}

export interface RotationFlags {
  onAT: boolean;
  onOther: boolean;
  autoRevoke: boolean;
  lifetime?: number;
}

/** Combines a base rotation (from --profile), --rotation and the detail flags; keys in wire order. */
export function combineRotation(base: Rotation | undefined, given: Rotation | undefined, flags: RotationFlags): Rotation | undefined {
  const r: Rotation = { ...base, ...given };
  if (flags.onAT) r.on_AT = true;
  if (flags.onOther) r.on_other = true;
  if (flags.autoRevoke) r.auto_revoke = true;
  if (flags.lifetime) r.lifetime = flags.lifetime;
  const out: Rotation = {};
  for (const k of KEYS) if (r[k] !== undefined) (out as Record<string, unknown>)[k] = r[k];
  return Object.keys(out).length ? out : undefined;
}
