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

/**
 * Parses the duration after the `+` of a relative time value, in whole seconds (truncated toward
 * zero). Computed exactly in nanoseconds, so "+512.8y" is not off by one through rounding.
 */
export function parseDuration(text: string, original: string): number {
  let s = text;
  let sign = 1n;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1n;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new UsageError(`invalid time value "${original}": nothing after the +`, UNITS_HINT);
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
  return Number((sign * total) / 1_000_000_000n);
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
  return Math.floor(new Date(year, month - 1, day, hour, minute).getTime() / 1000);
}

/**
 * A time value → Unix seconds; 0 means "not set" (an empty value, or the timestamp 0).
 * `now` is in seconds.
 */
export function parseTimeValue(value: string, now: number): number {
  const v = value;
  if (v === '') return 0;
  if (/^[+-]?\d+$/.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new UsageError(`invalid time value "${v}": the number is too large`);
    return v.startsWith('+') ? now + n : n;
  }
  if (v.startsWith('+')) return now + parseDuration(v.slice(1), v);
  const abs = parseLocalDateTime(v);
  if (abs !== undefined) return abs;
  throw new UsageError(
    `invalid time value "${v}"`,
    'give a Unix timestamp (1767225600), a local date and time ("2026-12-31 23:59") or a time from now (+1d, +2w, +3d12h30m)',
  );
}

/** A time value as found in JSON: an integer, or a string in any of the forms above. */
export function timeFromJson(value: unknown, key: string, now: number, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new UsageError(`${where}: "${key}" must be a whole number of seconds, not ${value}`);
    return value;
  }
  if (typeof value === 'string') return parseTimeValue(value, now);
  throw new UsageError(`${where}: "${key}" must be a time value (a number or a string like "+1d"), not ${JSON.stringify(value)}`);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
