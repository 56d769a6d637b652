// Building the request for a new mytoken (spec cli.md section 9).
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import type { MytokenRequest } from '../api/types.js';

/** --token-type value → response_type sent (short → short_token, transfer → transfer_code). */
export function responseType(tokenType: string): string {
  if (tokenType === 'short') return 'short_token';
  if (tokenType === 'transfer') return 'transfer_code';
  return tokenType;
}

/**
 * --capability value → capability list: a JSON array of strings, or names separated by spaces
 * (one pair of surrounding quotes removed); `@name` entries are server-side templates. Duplicates
 * are dropped, the first kept. Empty → undefined.
 */
export function parseCapabilities(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  let list: string[];
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new UsageError(`--capability: not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed) || parsed.some((c) => typeof c !== 'string')) {
      throw new UsageError('--capability: a JSON value must be an array of capability names (strings)');
    }
    list = parsed as string[];
  } else {
    const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    list = unquoted.split(' ').filter((c) => c !== '');
  }
  const unique = [...new Set(list)];
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
  name?: string;
  tokenType: string;
  capabilities?: string[];
  /** config token_name_prefix, <hostname> substituted */
  namePrefix: string;
}

/** The members common to every new-token request, in wire order. */
export function newTokenRequest(o: NewTokenOptions): MytokenRequest {
  const req: MytokenRequest = {};
  if (o.capabilities?.length) req.capabilities = o.capabilities;
  const name = prefixedName(o.name, o.namePrefix);
  if (name) req.name = name;
  req.response_type = responseType(o.tokenType);
  req.application_name = applicationName();
  return req;
}
