// Time values for nbf and exp: Unix timestamps, "YYYY-MM-DD HH:MM" in local time, and "+<duration>"
// relative to now (spec cli.md 9.5 and the user documentation).
import { UsageError } from '../errors.js';

/** Nanoseconds per duration unit. Case-sensitive: there are no months; M, D, H are not units. */
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5
  'μs': 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60n * 1_000_000_000n,
  h: 3600n * 1_000_000_000n,
  d: 86400n * 1_000_000_000n,
  w: 7n * 86400n * 1_000_000_000n,
  y: 365n * 86400n * 1_000_000_000n,
};

const UNITS_HINT = 'use a number followed by a unit: s, m, h, d (days), w (weeks) or y (365 days), e.g. +1d12h';

/** The last second of the year 9999 (UTC): later times are refused, as no server or JWT library expects them. */
export const MAX_TIME = 253402300799;

/** Longer time values are refused before any arithmetic (a BigInt of a million digits is slow). */
const MAX_LENGTH = 64;

const ABSOLUTE_HINT = 'give a Unix timestamp (1767225600), a local date and time ("2026-12-31 23:59") or a time from now (+1d, +2w, +3d12h30m)';

/**
 * Parses the duration after the `+` of a relative time value, in whole seconds (truncated toward
 * zero). Computed exactly (nanoseconds, BigInt), so "+512.8y" is not off by one through rounding
 * and "+99999999999999999999y" is a number the caller can compare, not 3.1536e+27.
 */
export function parseDuration(text: string, original: string): bigint {
  let s = text;
  if (s === '') throw new UsageError(`invalid time value "${original}": nothing after the +`, UNITS_HINT);
  if (s[0] === '-' || s[0] === '+') {
    throw new UsageError(`invalid time value "${original}": a sign after the + is not allowed`, 'the + means "from now": give a time in the future, e.g. +1d');
  }
  if (s === '0') return 0n;
  let total = 0n;
  while (s !== '') {
    const num = /^(\d*)(\.(\d*))?/.exec(s)!;
    if (num[1] === '' && (num[3] ?? '') === '') {
      throw new UsageError(`invalid time value "${original}": expected a number at "${s}"`, UNITS_HINT);
    }
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === '') throw new UsageError(`invalid time value "${original}": the number ${num[0]} has no unit`, UNITS_HINT);
    const per = UNIT_NS[unit];
    if (per === undefined) throw new UsageError(`invalid time value "${original}": unknown unit "${unit}"`, UNITS_HINT);
    s = s.slice(unit.length);
    const whole = BigInt(num[1] || '0');
    const frac = num[3] ?? '';
    total += whole * per + (frac ? (BigInt(frac) * per) / 10n ** BigInt(frac.length) : 0n);
  }
  return total / 1_000_000_000n;
}

/** Days in a month (1-12) of a year. */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** "YYYY-MM-DD HH:MM" (hour with one or two digits) in the local time zone → Unix seconds. */
export function parseLocalDateTime(v: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2})$/.exec(v);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59) {
    throw new UsageError(`invalid time value "${v}": no such date or time`);
  }
  const d = new Date(2000, month - 1, day, hour, minute);
  d.setFullYear(year, month - 1, day); // Date() would take the years 0-99 for 1900-1999
  return Math.floor(d.getTime() / 1000);
}

/** Refuses a resolved time before 1970 or after the year 9999. */
function inRange(t: number | bigint, v: string): number {
  if (t <= 0) throw new UsageError(`invalid time value "${v}": that is before 1970`, ABSOLUTE_HINT);
  if (t > MAX_TIME) throw new UsageError(`invalid time value "${v}": that is after the year 9999`, ABSOLUTE_HINT);
  return Number(t);
}

/**
 * A time value → Unix seconds (spec cli.md 9.5, stricter): 0 means "not set" (an empty value, or
 * the timestamp 0). Refused (UsageError): a sign after the + ("+-1h", "++1d"), a negative
 * timestamp, a time from now of less than one second ("+0", "+0s", "+0.5s": the mytoken would
 * expire as it is made), and anything before 1970 or after the year 9999. `now` is in seconds.
 */
export function parseTimeValue(value: string, now: number): number {
  const v = value;
  if (v === '') return 0;
  if (v.length > MAX_LENGTH) throw new UsageError(`invalid time value "${v.slice(0, 20)}…": too long (more than ${MAX_LENGTH} characters)`, ABSOLUTE_HINT);
  if (/^-?\d+$/.test(v)) {
    if (/^-?0+$/.test(v)) return 0;
    if (v.startsWith('-')) throw new UsageError(`invalid time value "${v}": a Unix timestamp cannot be negative`, ABSOLUTE_HINT);
    return inRange(BigInt(v), v);
  }
  if (v.startsWith('+')) {
    const rest = v.slice(1);
    const seconds = /^\d+$/.test(rest) ? BigInt(rest) : parseDuration(rest, v);
    if (seconds === 0n) {
      throw new UsageError(`invalid time value "${v}": that is less than a second from now`, 'give a time at least a second from now, e.g. +1h, or leave the value out');
    }
    return inRange(BigInt(now) + seconds, v);
  }
  const abs = parseLocalDateTime(v);
  if (abs !== undefined) return inRange(abs, v);
  throw new UsageError(`invalid time value "${v}"`, ABSOLUTE_HINT);
}

/**
 * A time value as found in JSON: an integer (0 = not set; negative or after the year 9999 refused),
 * or a string in any of the forms above. Errors name `where` and `key`.
 */
export function timeFromJson(value: unknown, key: string, now: number, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new UsageError(`${where}: "${key}" must be a whole number of seconds, not ${value}`);
    if (value === 0) return 0;
    if (value < 0) throw new UsageError(`${where}: "${key}" must not be negative (${value})`, ABSOLUTE_HINT);
    if (value > MAX_TIME) throw new UsageError(`${where}: "${key}" is after the year 9999 (${value})`, ABSOLUTE_HINT);
    return value;
  }
  if (typeof value === 'string') {
    try {
      return parseTimeValue(value, now);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${where}: "${key}": ${e.message}`, e.hint);
      throw e;
    }
  }
  throw new UsageError(`${where}: "${key}" must be a time value (a number or a string like "+1d"), not ${typeof value === 'object' ? (Array.isArray(value) ? 'a list' : 'an object') : JSON.stringify(value)}`);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Unix seconds as local time, `YYYY-MM-DD HH:MM` (the form time values take), for messages. */
export function localTime(t: number): string {
  const d = new Date(t * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
