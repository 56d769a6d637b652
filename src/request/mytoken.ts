// Building the request for a new mytoken (spec cli.md section 9).
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import { parseJson } from './json.js';
import type { MytokenRequest } from '../api/types.js';
import { parseProfile } from './profile.js';
import { type ClauseFlags, clauseFromFlags, type ParseContext, parseRestrictions, type RestrictionEntry } from './restrictions.js';
import { combineRotation, parseRotation, type Rotation, type RotationFlags } from './rotation.js';
import { parseTimeValue } from './time.js';
import { checkCapabilities } from './capabilities.js';

const RESPONSE_TYPES: Readonly<Record<string, string>> = { token: 'token', short: 'short_token', transfer: 'transfer_code' };

/**
 * --token-type value → response_type sent (token, short → short_token, transfer → transfer_code).
 * Anything else is refused: a server answers an unknown response_type with a JWT, so a typo such
 * as `transfr` would print a full mytoken where a transfer code was meant.
 */
export function responseType(tokenType: string): string {
  const t = Object.hasOwn(RESPONSE_TYPES, tokenType) ? RESPONSE_TYPES[tokenType] : undefined;
  if (t === undefined) {
    const shown = tokenType === '' ? 'an empty value' : /^[\x21-\x7e]{1,32}$/.test(tokenType) ? `'${tokenType}'` : 'the value given';
    throw new UsageError(`--token-type: ${shown} is not a token type`, 'give token, short or transfer');
  }
  return t;
}

/**
 * --capability value → capability list: a JSON array of strings, or names separated by spaces
 * (one pair of surrounding quotes removed); `@name` entries are server-side templates. Duplicates
 * are dropped, the first kept. Empty → undefined. Every name must be a capability (checkCapabilities)
 * unless `force`.
 */
export function parseCapabilities(value: string | undefined, force = false): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  let list: string[];
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    const parsed = parseJson(trimmed, '--capability');
    if (!Array.isArray(parsed) || parsed.some((c) => typeof c !== 'string')) {
      throw new UsageError('--capability: a JSON value must be an array of capability names (strings)');
    }
    list = parsed as string[];
  } else {
    const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    list = unquoted.split(' ').filter((c) => c !== '');
  }
  const unique = [...new Set(list)];
  checkCapabilities(unique, '--capability', force);
  return unique.length ? unique : undefined;
}

/** The token name sent: `<prefix>:<name>` when both are set. */
export function prefixedName(name: string | undefined, prefix: string): string | undefined {
  if (!name) return undefined;
  return prefix ? `${prefix}:${name}` : name;
}

export function applicationName(): string {
  return `mytoken client on ${hostname()}`;
}

export interface NewTokenOptions {
  /** --profile: request JSON or profile names */
  profile?: string;
  name?: string;
  tokenType: string;
  /** --rotation value and the rotation detail flags */
  rotation?: string;
  rotationFlags?: RotationFlags;
  /** --restrictions value, and the name it came by (the flag or an environment variable) */
  restrictions?: { value: string; source: string };
  /** the single-clause flags; nbf and exp still as typed */
  clause?: Omit<ClauseFlags, 'nbf' | 'exp'> & { nbf?: string; exp?: string };
  /** --capability, parsed */
  capabilities?: string[];
  tags?: string[];
  /** config token_name_prefix, <hostname> substituted */
  namePrefix: string;
}

const NO_ROTATION_FLAGS: RotationFlags = { onAT: false, onOther: false, autoRevoke: false };

/**
 * The request for a new mytoken, built in upstream's order (profile, name, token type, rotation,
 * restrictions, capabilities, tags), keys in wire order. Everything the
 * client can check is checked here, before anything is sent.
 */
export function newTokenRequest(o: NewTokenOptions, ctx: ParseContext): MytokenRequest {
  const base = o.profile ? parseProfile(o.profile, ctx) : {};
  const name = o.name || base.name;
  const rotation = combineRotation(
    base.rotation as Rotation | undefined,
    o.rotation ? parseRotation(o.rotation, '--rotation', ctx.env) : undefined,
    o.rotationFlags ?? NO_ROTATION_FLAGS,
  );

  const restrictions = requestedRestrictions(o, ctx) ?? (base.restrictions as RestrictionEntry[] | undefined);

  const capabilities = o.capabilities ?? base.capabilities;
  const tags = [...(base.tags ?? []), ...(o.tags ?? []).map((tag) => ({ tag }))];
  if (tags.some((t) => !t.tag)) throw new UsageError('--tags: a tag name is empty');

  const req: MytokenRequest = {};
  if (base.oidc_issuer) req.oidc_issuer = base.oidc_issuer;
  if (base.grant_type) req.grant_type = base.grant_type;
  if (restrictions?.length) req.restrictions = restrictions;
  if (capabilities?.length) req.capabilities = capabilities;
  const prefixed = prefixedName(name, o.namePrefix);
  if (prefixed) req.name = prefixed;
  req.response_type = responseType(o.tokenType);
  if (base.max_token_len) req.max_token_len = base.max_token_len;
  if (rotation) req.rotation = rotation as Record<string, unknown>;
  req.application_name = applicationName();
  if (base.include !== undefined) req.include = base.include;
  if (base.subscribe_notifications) req.subscribe_notifications = base.subscribe_notifications;
  if (tags.length) req.tags = tags;
  return req;
}

/**
 * The restrictions given by --restrictions or by the single-clause flags (never both); undefined
 * when neither was given.
 */
export function requestedRestrictions(o: Pick<NewTokenOptions, 'restrictions' | 'clause'>, ctx: ParseContext): RestrictionEntry[] | undefined {
  const flagClause = o.clause && clauseFromFlags({ ...o.clause, nbf: parseTimeValue(o.clause.nbf ?? '', ctx.now), exp: parseTimeValue(o.clause.exp ?? '', ctx.now) }, ctx);
  if (o.restrictions?.value) {
    if (flagClause) {
      throw new UsageError(
        `${o.restrictions.source} and the single-restriction flags (--exp, --nbf, -s, --aud, --host, --geo-ip-*, --usages-*) cannot be combined`,
        `put every restriction into ${o.restrictions.source}, or leave it out${o.restrictions.source.startsWith('--') ? '' : ' (unset it)'} and use the flags`,
      );
    }
    return parseRestrictions(o.restrictions.value, o.restrictions.source, ctx);
  }
  return flagClause ? [flagClause] : undefined;
}

/**
 * The request with the default capabilities when it names none and includes no profile (which may
 * give some): the last step of upstream's order, applied on the login path.
 */
export function withDefaultCapabilities(req: MytokenRequest, defaults: readonly string[]): MytokenRequest {
  if (req.capabilities?.length || req.include !== undefined || defaults.length === 0) return req;
  // capabilities go right after restrictions, where the wire order has them
  const out: MytokenRequest = {};
  for (const [k, v] of Object.entries(req)) {
    if (!['oidc_issuer', 'grant_type', 'restrictions'].includes(k) && out.capabilities === undefined) out.capabilities = [...defaults];
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
