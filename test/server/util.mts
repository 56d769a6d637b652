// Small helpers shared by the local mytoken server: errors, random codes, hashes, times.
import { createHash, randomInt } from 'node:crypto';

/** An error the server answers with `{error, error_description}` (JSON on API paths, HTML elsewhere). */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly error: string,
    public readonly description?: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(description ? `${error}: ${description}` : error);
  }
  body(): Record<string, string> {
    return this.description ? { error: this.error, error_description: this.description } : { error: this.error };
  }
}

export const badRequest = (description?: string) => new ApiError(400, 'invalid_request', description);
export const invalidToken = (description?: string) => new ApiError(401, 'invalid_token', description);

/** Letters without `l` and `I`: short tokens, transfer codes, consent codes. */
export const SHORT_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNOPQRSTUVWXYZ';
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const SHORT_TOKEN_LEN = 64;
export const CODE_LEN = 8;

export function randomString(length: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/**
 * The servers' clock: the real time plus an offset that tests set (setClockOffset in index.mts)
 * instead of sleeping until something expires. 0 unless a test moves it.
 */
let clockOffsetMs = 0;
export const setClockOffsetMs = (ms: number): void => {
  clockOffsetMs = ms;
};
/** the servers' time in milliseconds (Date.now() unless a test moved the clock) */
export const nowMs = () => Date.now() + clockOffsetMs;
export const nowSeconds = () => Math.floor(nowMs() / 1000);

/** sub claim: standard padded base64 of SHA3-256 over "<oidc_sub>@<oidc_iss>". */
export function subjectHash(oidcSub: string, oidcIss: string): string {
  return createHash('sha3-256').update(`${oidcSub}@${oidcIss}`).digest('base64');
}

/** mom_id: standard padded base64 of SHA-512 over the 16 raw bytes of the jti UUID. */
export function momIdOf(jti: string): string {
  return createHash('sha512').update(Buffer.from(jti.replace(/-/g, ''), 'hex')).digest('base64');
}

export const isUUID = (s: unknown): s is string =>
  typeof s === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) && !/^[0-]+$/.test(s);

/** Formats seconds like Go's time.Duration String() (e.g. 5s, 1m5s, 2h0m3s). */
export function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const neg = seconds < 0;
  let s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out = '';
  if (h) out = `${h}h${m}m${s}s`;
  else if (m) out = `${m}m${s}s`;
  else out = `${s}s`;
  return (neg ? '-' : '') + out;
}

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  'μs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
  y: 365 * 86400,
};

/** Parses a duration such as `1d12h`, `1.5h`, `90s` into seconds; undefined when malformed. */
export function parseDuration(s: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)/y;
  let total = 0;
  let pos = 0;
  if (!s) return undefined;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    pos = re.lastIndex;
  }
  return total;
}

/**
 * Resolves a restriction time value (section 5.3): an integer, or a string of digits (absolute),
 * `+<seconds>`, `+<duration>` or `YYYY-MM-DD HH:MM` (local time). Throws 400 on anything else.
 */
export function parseTimeValue(value: unknown, member: string, allowStrings: boolean, now = nowSeconds()): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw badRequest(`json: cannot unmarshal number ${value} into Go struct field Restriction.${member} of type int64`);
    return value;
  }
  if (typeof value !== 'string' || !allowStrings) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field Restriction.${member} of type int64`);
  }
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  if (/^\+\d+$/.test(v)) return now + Number(v.slice(1));
  if (v.startsWith('+')) {
    const d = parseDuration(v.slice(1));
    if (d !== undefined) return now + Math.floor(d);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(v);
  if (m) {
    const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])).getTime();
    if (!Number.isNaN(t)) return Math.floor(t / 1000);
  }
  throw badRequest(`could not parse time '${value}'`);
}

export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits a space-separated list, ignoring empty parts. */
export const splitList = (s: string | undefined): string[] => (s ? s.split(' ').filter(Boolean) : []);

export const unique = <T,>(xs: Iterable<T>): T[] => [...new Set(xs)];

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
