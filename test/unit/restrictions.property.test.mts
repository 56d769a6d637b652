// Property tests for building restriction clauses, against an oracle written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonErrorIndex } from '../../src/request/json.js';
import { clauseFromFlags, parseRestrictions, type ClauseFlags } from '../../src/request/restrictions.js';

const NOW = 1_800_000_000;
/** force: the generated clauses may have ended before NOW (the check of that has its own test) */
const ctx = { now: NOW, env: { HOME: '/nonexistent' }, force: true };
const usage = (e: unknown) => (e as { exitStatus?: number }).exitStatus === 2;
const ORDER = ['nbf', 'exp', 'scope', 'audience', 'hosts', 'geoip_allow', 'geoip_disallow', 'usages_AT', 'usages_other'];

const word = fc.stringMatching(/^[a-z][a-z0-9.:/-]{0,12}$/);
const words = fc.array(word, { maxLength: 3 });
const maybeCount = fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined });

const flags: fc.Arbitrary<ClauseFlags> = fc
  .record({
    nbf: fc.option(fc.integer({ min: 1, max: 2_000_000_000 }), { nil: undefined }),
    span: fc.option(fc.integer({ min: 0, max: 100_000_000 }), { nil: undefined }),
    scopes: words,
    audiences: words,
    hosts: words,
    geoipAllow: fc.array(fc.constantFrom('DE', 'FR', 'US'), { maxLength: 2 }),
    geoipDisallow: fc.array(fc.constantFrom('DE', 'FR', 'US'), { maxLength: 2 }),
    usagesAT: maybeCount,
    usagesOther: maybeCount,
  })
  .map(({ nbf, span, ...rest }) => ({ ...rest, nbf, exp: span === undefined ? undefined : (nbf ?? NOW) + span }));

/** The oracle: what a clause built from these flags must hold, in wire order. */
function expectedClause(f: ClauseFlags): Record<string, unknown> | undefined {
  const pairs: [string, unknown][] = [
    ['nbf', f.nbf || undefined],
    ['exp', f.exp || undefined],
    ['scope', f.scopes.length ? f.scopes.join(' ') : undefined],
    ['audience', f.audiences.length ? f.audiences : undefined],
    ['hosts', f.hosts.length ? f.hosts : undefined],
    ['geoip_allow', f.geoipAllow.length ? f.geoipAllow : undefined],
    ['geoip_disallow', f.geoipDisallow.length ? f.geoipDisallow : undefined],
    ['usages_AT', f.usagesAT],
    ['usages_other', f.usagesOther],
  ];
  const kept = pairs.filter(([, v]) => v !== undefined);
  return kept.length ? Object.fromEntries(kept) : undefined;
}

test('restrictions: the single-clause flags make exactly the clause they describe, or none', () => {
  fc.assert(
    fc.property(flags, (f) => {
      assert.deepEqual(clauseFromFlags(f), expectedClause(f));
    }),
  );
});

test('restrictions: usage counts of 0 are kept; a lone --geo-ip-disallow restricts', () => {
  const empty: ClauseFlags = { scopes: [], audiences: [], hosts: [], geoipAllow: [], geoipDisallow: [] };
  assert.deepEqual(clauseFromFlags({ ...empty, usagesAT: 0 }), { usages_AT: 0 });
  assert.deepEqual(clauseFromFlags({ ...empty, geoipDisallow: ['DE'] }), { geoip_disallow: ['DE'] });
  assert.equal(clauseFromFlags(empty), undefined);
});

const clause = flags.map((f) => expectedClause(f) ?? {});

test('restrictions: a JSON array of clauses round-trips unchanged, keys in wire order', () => {
  fc.assert(
    fc.property(fc.array(clause, { minLength: 1, maxLength: 4 }), (clauses) => {
      const got = parseRestrictions(JSON.stringify(clauses), '--restrictions', ctx)!;
      assert.deepEqual(got, clauses);
      for (const c of got) {
        const keys = Object.keys(c as object);
        assert.deepEqual(keys, ORDER.filter((k) => keys.includes(k)));
      }
    }),
  );
});

test('restrictions: one JSON object is one clause; key names match in any case', () => {
  fc.assert(
    fc.property(clause, fc.boolean(), (c, upper) => {
      const cased = Object.fromEntries(Object.entries(c).map(([k, v]) => [upper ? k.toUpperCase() : k.toLowerCase(), v]));
      assert.deepEqual(parseRestrictions(JSON.stringify(cased), '--restrictions', ctx), [c]);
    }),
  );
});

test('restrictions: time values in JSON may be strings, resolved like the flags', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(['m', 60], ['h', 3600], ['d', 86400]), (n, [u, sec]) => {
      const got = parseRestrictions(JSON.stringify({ exp: `+${n}${u}`, nbf: String(NOW) }), '--restrictions', ctx);
      assert.deepEqual(got, [{ nbf: NOW, exp: NOW + n * (sec as number) }]);
    }),
  );
});

test('restrictions: names separated by spaces become one include clause', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 4 }), (names) => {
      const got = parseRestrictions(names.join(' '), '--restrictions', ctx);
      assert.deepEqual(got, [{ include: names.length === 1 ? names[0] : names }]);
    }),
  );
});

test('restrictions: unknown keys, negative counts, exp before nbf and non-objects are refused', () => {
  const known = new Set(ORDER.map((k) => k.toLowerCase()).concat('include'));
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z_]{1,10}$/).filter((k) => !known.has(k)), (key) => {
      assert.throws(() => parseRestrictions(JSON.stringify({ [key]: 1 }), '--restrictions', ctx), usage);
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: -1000, max: -1 }), fc.constantFrom('usages_AT', 'usages_other'), (n, key) => {
      assert.throws(() => parseRestrictions(JSON.stringify({ [key]: n }), '--restrictions', ctx), usage);
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 2_000_000_000 }), fc.integer({ min: 1, max: 1000 }), (nbf, less) => {
      fc.pre(nbf - less > 0);
      assert.throws(() => parseRestrictions(JSON.stringify({ nbf, exp: nbf - less }), '--restrictions', ctx), usage);
    }),
  );
  for (const bad of ['[1]', '["a", 2]', '"x"', 'null', 'true', '[[]]', '{"exp": 1.5}', '{"scope": 3}', '{"hosts": [1]}']) {
    assert.throws(() => parseRestrictions(bad, '--restrictions', ctx), usage, bad);
  }
});

test('restrictions: bad JSON is reported with the line and column where it breaks', () => {
  const cases: [string, string][] = [
    ['[{"exp": 1}, {"usages_AT": }]', 'line 1, column 28'],
    ['{"exp": 1,', 'line 1, column 11'],
    ['{\n "exp": 1\n "nbf": 2}', 'line 3, column 2'],
    ['{"a":1}x', 'line 1, column 8'],
  ];
  for (const [text, where] of cases) {
    assert.throws(() => parseRestrictions(text, '--restrictions', ctx), (e: Error) => usage(e) && e.message.includes(where), text);
  }
});

test('restrictions: the error locator agrees with JSON.parse on what is valid', () => {
  fc.assert(
    fc.property(fc.json(), fc.nat(), fc.constantFrom('', '}', ',', ':', 'x', '"', ']'), (json, cut, junk) => {
      const text = json.slice(0, cut % (json.length + 1)) + junk;
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(jsonErrorIndex(text) === -1, valid, text);
    }),
  );
});

test('restrictions: a clause whose exp is before now is refused unless forced, naming the clause; nbf alone in the past is fine', () => {
  const strict = { ...ctx, force: false };
  fc.assert(
    fc.property(fc.integer({ min: 1, max: NOW - 1 }), fc.integer({ min: 0, max: 3 }), (exp, before) => {
      const clauses = [...Array<object>(before).fill({ exp: NOW + 60 }), { exp }];
      const where = clauses.length > 1 ? `clause ${clauses.length}` : '--restrictions:';
      assert.throws(
        () => parseRestrictions(JSON.stringify(clauses), '--restrictions', strict),
        (e: Error) => usage(e) && e.message.includes(where) && e.message.includes(`(${exp}) is in the past`),
      );
      assert.deepEqual(parseRestrictions(JSON.stringify(clauses), '--restrictions', ctx), clauses);
      assert.deepEqual(parseRestrictions(JSON.stringify({ nbf: exp }), '--restrictions', strict), [{ nbf: exp }]);
      assert.throws(() => clauseFromFlags({ scopes: [], audiences: [], hosts: [], geoipAllow: [], geoipDisallow: [], exp }, strict), (e: Error) => usage(e) && /^--exp: /.test(e.message));
    }),
  );
  assert.deepEqual(parseRestrictions(JSON.stringify({ exp: NOW }), '--restrictions', strict), [{ exp: NOW }]);
});
