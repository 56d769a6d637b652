// --profile: a mytoken request given as JSON, or server-side profile names (spec cli.md 9.2).
import { UsageError } from '../errors.js';
import type { MytokenRequest } from '../api/types.js';
import { parseJson } from './json.js';
import { clauseFromJson, includeValue, isJsonText, type ParseContext, splitNames } from './restrictions.js';
import { rotationFromJson } from './rotation.js';
import { checkCapabilities } from './capabilities.js';

const KEYS = [
  'oidc_issuer',
  'grant_type',
  'restrictions',
  'capabilities',
  'name',
  'response_type',
  'max_token_len',
  'rotation',
  'application_name',
  'include',
  'subscribe_notifications',
  'tags',
] as const;

function strings(v: unknown, key: string, where: string): string[] {
  if (typeof v === 'string') return v.split(' ').filter((s) => s !== '');
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw new UsageError(`${where}: "${key}" must be a string or a list of strings`);
}

/** A --profile value → the request members it gives. */
export function parseProfile(value: string, ctx: ParseContext): MytokenRequest {
  const where = '--profile';
  if (!isJsonText(value)) {
    const include = includeValue(splitNames(value));
    return include === undefined ? {} : { include };
  }
  const json = parseJson(value, where);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`${where}: must be a JSON object (a mytoken request) or profile names separated by spaces`);
  }
  const req: Record<string, unknown> = {};
  for (const [rawKey, v] of Object.entries(json)) {
    const key = KEYS.find((k) => k.toLowerCase() === rawKey.toLowerCase());
    if (!key) throw new UsageError(`${where}: unknown request member "${rawKey}"`, `the members are ${KEYS.join(', ')}`);
    if (v === null) continue;
    switch (key) {
      case 'restrictions': {
        const list = Array.isArray(v) ? v : typeof v === 'string' ? [{ include: includeValue(splitNames(v)) }] : [v];
        req.restrictions = list.map((c, i) => clauseFromJson(c, `${where}, restriction ${i + 1}`, ctx));
        break;
      }
      case 'capabilities':
        req.capabilities = [...new Set(strings(v, key, where))];
        checkCapabilities(req.capabilities as string[], `${where}, capabilities`, ctx.force);
        break;
      case 'rotation':
        req.rotation = rotationFromJson(v, `${where}, rotation`);
        break;
      case 'include': {
        const names = strings(v, key, where);
        req.include = typeof v === 'string' ? v : names;
        break;
      }
      case 'max_token_len':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new UsageError(`${where}: "max_token_len" must be a whole number`);
        req.max_token_len = v;
        break;
      case 'tags':
      case 'subscribe_notifications':
        if (!Array.isArray(v)) throw new UsageError(`${where}: "${key}" must be a list`);
        req[key] = v;
        break;
      default:
        if (typeof v !== 'string') throw new UsageError(`${where}: "${key}" must be a string`);
        req[key] = v;
    }
  }
  return req as MytokenRequest;
}
