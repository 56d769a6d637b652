// Property tests for time values: generated inputs checked against an oracle written here,
// independently of the parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_TIME, parseTimeValue } from '../../src/request/time.js';

// The oracle's own table of unit lengths in seconds (the user documentation's list).
const SECONDS: Record<string, number> = { s: 1, m: 60, h: 60 * 60, d: 24 * 60 * 60, w: 7 * 24 * 60 * 60, y: 365 * 24 * 60 * 60 };
const NOW = 1_800_000_000;

const term = fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(...Object.keys(SECONDS)));
const usage = (e: unknown) => (e as { exitStatus?: number }).exitStatus === 2;

test('time: +<n><unit>... is now plus the sum of every term, for any units in any order (a sum of 0, or one past the year 9999, is refused)', () => {
  fc.assert(
    fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), (terms) => {
      const text = `+${terms.map(([n, u]) => `${n}${u}`).join('')}`;
      const sum = terms.reduce((s, [n, u]) => s + n * SECONDS[u]!, 0);
      if (sum === 0 || NOW + sum > MAX_TIME) assert.throws(() => parseTimeValue(text, NOW), (e: Error) => usage(e) && e.message.includes(text));
      else assert.equal(parseTimeValue(text, NOW), NOW + sum);
    }),
  );
});

test('time: a sign after the + (+-<duration>, ++<duration>, +-N) is refused, naming the value (issue 11.8)', () => {
  fc.assert(
    fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), fc.constantFrom('-', '+'), (terms, sign) => {
      const text = `+${sign}${terms.map(([n, u]) => `${n}${u}`).join('')}`;
      assert.throws(() => parseTimeValue(text, NOW), (e: Error) => usage(e) && e.message.includes(text));
    }),
  );
});

test('time: +N is N seconds from now; N without + is an absolute timestamp; +0 is refused, 0 is "not set"', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (n) => {
      if (n === 0) assert.throws(() => parseTimeValue('+0', NOW), usage);
      else assert.equal(parseTimeValue(`+${n}`, NOW), NOW + n);
      assert.equal(parseTimeValue(String(n), NOW), n);
    }),
  );
});

test('time: a negative timestamp is refused', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
      assert.throws(() => parseTimeValue(`-${n}`, NOW), (e: Error) => usage(e) && e.message.includes(`-${n}`));
    }),
  );
});

test('time: fractions of a unit are truncated to whole seconds (less than a second is refused)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom(...Object.keys(SECONDS)), (whole, tenth, u) => {
      const seconds = Math.trunc(((whole * 10 + tenth) * SECONDS[u]!) / 10);
      const text = `+${whole}.${tenth}${u}`;
      if (seconds === 0) assert.throws(() => parseTimeValue(text, NOW), usage);
      else assert.equal(parseTimeValue(text, NOW), NOW + seconds);
    }),
  );
});

const date = fc.record({
  year: fc.integer({ min: 1971, max: 2200 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
});
const pad = (n: number) => String(n).padStart(2, '0');

test('time: "YYYY-MM-DD HH:MM" is read in the local time zone (UTC and UTC+2 here)', () => {
  const saved = process.env.TZ;
  try {
    for (const [tz, offset] of [['UTC', 0], ['Etc/GMT-2', 2 * 3600]] as const) {
      process.env.TZ = tz;
      fc.assert(
        fc.property(date, fc.boolean(), ({ year, month, day, hour, minute }, shortHour) => {
          const text = `${year}-${pad(month)}-${pad(day)} ${shortHour ? hour : pad(hour)}:${pad(minute)}`;
          const utc = Date.UTC(year, month - 1, day, hour, minute) / 1000;
          assert.equal(parseTimeValue(text, NOW), utc - offset);
        }),
      );
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('time: dates that do not exist are refused', () => {
  for (const bad of ['2026-02-30 10:00', '2026-13-01 10:00', '2026-04-31 00:00', '2026-01-01 24:00', '2026-01-01 10:60']) {
    assert.throws(() => parseTimeValue(bad, NOW), usage, bad);
  }
});

test('time: an unknown unit is a usage error naming the value', () => {
  const notUnits = fc.stringMatching(/^[A-Za-z]{1,3}$/).filter((u) => !['s', 'm', 'h', 'd', 'w', 'y', 'ns', 'us', 'ms'].includes(u));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 99 }), notUnits, (n, u) => {
      const text = `+${n}${u}`;
      assert.throws(() => parseTimeValue(text, NOW), (e: Error) => usage(e) && e.message.includes(text));
    }),
  );
});

test('time: a number without a unit after a term, a + with nothing after it, and other text are refused', () => {
  fc.assert(
    fc.property(term, fc.integer({ min: 1, max: 99 }), ([n, u], tail) => {
      assert.throws(() => parseTimeValue(`+${n}${u}${tail}`, NOW), usage);
    }),
  );
  for (const bad of ['+', '+-', '+.', '+h', 'tomorrow', '2026-1-2 10:00', '2026-01-02', '1.5', '+1.h.']) {
    assert.throws(() => parseTimeValue(bad, NOW), usage, bad);
  }
});
