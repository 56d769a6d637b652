// Time values (spec cli.md 9.5, with the refusals of issue 11.8): examples and boundaries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIME, parseTimeValue, timeFromJson } from '../../src/request/time.js';

const NOW = 1_598_918_400; // 2020-09-01 00:00:00 UTC, the spec's examples
const usage = (text: RegExp) => (e: unknown) => (e as { exitStatus?: number }).exitStatus === 2 && text.test((e as Error).message);

describe('time values: the spec examples still hold', () => {
  it('9.5 examples (TZ=UTC)', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      for (const [v, want] of [
        ['1599004800', 1599004800],
        ['+60', 1598918460],
        ['+60s', 1598918460],
        ['+1m', 1598918460],
        ['+1d', 1599004800],
        ['+3d12h30m', 1599222600],
        ['+2w', 1600128000],
        ['2020-09-02 00:00', 1599004800],
        ['2020-09-02 0:00', 1599004800],
        ['', 0],
        ['0', 0],
        ['+1s', NOW + 1],
        ['+0.5s1s', NOW + 1],
        ['+512.8y', NOW + (5128 * 365 * 86400) / 10], // exact: 512.8 * 31536000 in floating point is 1 s short
        [String(MAX_TIME), MAX_TIME],
        ['9999-12-31 23:59', 253402300740],
      ] as const) {
        assert.equal(parseTimeValue(v, NOW), want, v);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('11.8 time values that would make a dead or nonsense mytoken are refused', () => {
  it('a sign after the +', () => {
    for (const v of ['+-1d', '++1d', '+-5', '+-0', '+--1h', '+-1h30m']) assert.throws(() => parseTimeValue(v, NOW), usage(new RegExp(`"${v.replace(/[+.]/g, '\\$&')}".*sign after the \\+`)), v);
  });

  it('a negative Unix timestamp ("-0" is 0: not set)', () => {
    for (const v of ['-1', '-1599004800', '-99999999999999999999']) assert.throws(() => parseTimeValue(v, NOW), usage(/negative/), v);
    assert.equal(parseTimeValue('-0', NOW), 0);
    assert.equal(parseTimeValue('000', NOW), 0);
  });

  it('less than a second from now: +0, +0s, +0.0000000001s, +999ms, +0h0m', () => {
    for (const v of ['+0', '+00', '+0s', '+0.0000000001s', '+999ms', '+0h0m', '+.1s', '+999999999ns']) {
      assert.throws(() => parseTimeValue(v, NOW), usage(/less than a second/), v);
    }
    assert.equal(parseTimeValue('+1000ms', NOW), NOW + 1);
  });

  it('after the year 9999: relative, absolute and as a local date in a zone west of UTC', () => {
    for (const v of ['+99999999999999999999y', '+8000y', '253402300800', '99999999999999999999', `+${MAX_TIME}`, '+9223372036854775808']) {
      assert.throws(() => parseTimeValue(v, NOW), usage(/after the year 9999/), v);
    }
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.throws(() => parseTimeValue('9999-12-31 23:59', NOW), usage(/after the year 9999/));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('a local date before 1970 (also the years 0000-0099, which Date() would read as 1900-1999)', () => {
    for (const v of ['1969-12-31 00:00', '0099-12-31 10:00', '0001-01-01 00:00']) assert.throws(() => parseTimeValue(v, NOW), usage(/before 1970/), v);
  });

  it('a value too long to be a time is refused before any arithmetic', () => {
    const start = Date.now();
    assert.throws(() => parseTimeValue(`+${'9'.repeat(1_000_000)}y`, NOW), usage(/too long/));
    assert.throws(() => parseTimeValue('1'.repeat(100), NOW), usage(/too long/));
    assert.ok(Date.now() - start < 1000);
  });
});

describe('11.8 timeFromJson: what restriction JSON (nbf, exp) gets', () => {
  const W = '--restrictions';
  it('integers: 0 is not set, positive ones are kept, negative ones and ones after 9999 are refused', () => {
    assert.equal(timeFromJson(0, 'exp', NOW, W), 0);
    assert.equal(timeFromJson(1, 'exp', NOW, W), 1); // an absolute time in the past stays the user's choice
    assert.equal(timeFromJson(1599004800, 'nbf', NOW, W), 1599004800);
    assert.throws(() => timeFromJson(-1, 'exp', NOW, W), usage(/--restrictions: "exp" must not be negative/));
    assert.throws(() => timeFromJson(1e300, 'exp', NOW, W), usage(/"exp" is after the year 9999/));
    assert.throws(() => timeFromJson(MAX_TIME + 1, 'nbf', NOW, W), usage(/"nbf" is after the year 9999/));
    assert.throws(() => timeFromJson(1.5, 'exp', NOW, W), usage(/whole number/));
  });

  it('strings go through parseTimeValue; its refusals name where and the key', () => {
    assert.equal(timeFromJson('+1d', 'exp', NOW, W), NOW + 86400);
    assert.equal(timeFromJson('', 'exp', NOW, W), 0);
    assert.throws(() => timeFromJson('+-1d', 'exp', NOW, `${W}, clause 2`), usage(/^--restrictions, clause 2: "exp": invalid time value "\+-1d"/));
    assert.throws(() => timeFromJson('+0s', 'nbf', NOW, W), usage(/"nbf".*less than a second/));
  });

  it('other types are refused without quoting a huge value', () => {
    const huge = Array(100_000).fill(1);
    assert.throws(() => timeFromJson(huge, 'exp', NOW, W), (e: Error) => usage(/a list/)(e) && e.message.length < 200);
    assert.throws(() => timeFromJson(true, 'exp', NOW, W), usage(/not true/));
  });
});
