// Local mytoken server, spec server-api.md 9.3: token format and representations (plus 5.3 request parsing).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, nowSeconds, SHORT_TOKEN_RE } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;
let plain: Record<string, any>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
  plain = await server.mint({ name: 'plain' });
});
after(() => server.close());

test('9.3/31 the JWT header is {"alg":"ES512","typ":"MT+JWT"} (alg = token_signing_alg_value, no kid)', async () => {
  const doc = assertOk(await c.get('/.well-known/mytoken-configuration'));
  const header = decodeProtectedHeader(plain.mytoken);
  assert.deepEqual(header, { alg: doc.token_signing_alg_value, typ: 'MT+JWT' });
  const raw = Buffer.from(plain.mytoken.split('.')[0], 'base64url').toString();
  assert.equal(raw, '{"alg":"ES512","typ":"MT+JWT"}');
  // ES512 signatures are 132 bytes = 176 base64url characters (padded-base64 JWT detection works)
  assert.equal(plain.mytoken.split('.')[2].length, 176);
});

test('9.3/32 the claims have ver, token_type, jti, seq_no, oidc_sub, oidc_iss, capabilities, iat, nbf and aud = iss', async () => {
  const claims = decodeJwt(plain.mytoken);
  assert.equal(claims.ver, '0.7');
  assert.equal(claims.token_type, 'mytoken');
  assert.match(String(claims.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(claims.seq_no, 1);
  assert.equal(claims.oidc_sub, 'alice');
  assert.equal(claims.oidc_iss, server.issuer);
  assert.deepEqual(claims.capabilities, ['AT', 'tokeninfo']);
  assert.equal(typeof claims.iat, 'number');
  assert.equal(claims.nbf, claims.iat);
  assert.equal(typeof claims.aud, 'string');
  assert.equal(claims.aud, claims.iss);
  assert.equal(claims.name, 'plain');
  // claim order of the Go server; absent members omitted
  assert.deepEqual(Object.keys(claims), [
    'ver', 'token_type', 'iss', 'sub', 'nbf', 'iat', 'auth_time', 'jti', 'seq_no', 'name', 'aud', 'oidc_sub', 'oidc_iss', 'capabilities',
  ]);
});

test('9.3/33 sub is the padded standard base64 of SHA3-256 of <oidc_sub>@<oidc_iss>', async () => {
  const claims = decodeJwt(plain.mytoken);
  const expected = createHash('sha3-256').update(`alice@${server.issuer}`).digest('base64');
  assert.equal(claims.sub, expected);
  assert.equal(String(claims.sub).length, 44);
  const other = await server.mint();
  assert.equal(decodeJwt(other.mytoken).sub, expected, 'same user, same sub');
});

test('9.3/34 mom_id is the padded standard base64 of SHA-512 of the 16 jti bytes (88 characters)', async () => {
  const jti = String(decodeJwt(plain.mytoken).jti);
  const expected = createHash('sha512').update(Buffer.from(jti.replace(/-/g, ''), 'hex')).digest('base64');
  assert.equal(plain.mom_id, expected);
  assert.equal(plain.mom_id.length, 88);
  assert.ok(plain.mom_id.endsWith('=='));
});

test('9.3/35 exp is the latest clause exp, absent without restrictions or with a clause without exp', async () => {
  const now = nowSeconds();
  const two = await server.mint({ restrictions: [{ exp: now + 100 }, { exp: now + 500, scope: 'openid' }] });
  assert.equal(decodeJwt(two.mytoken).exp, now + 500);
  assert.equal(decodeJwt(plain.mytoken).exp, undefined);
  const mixed = await server.mint({ restrictions: [{ exp: now + 100 }, { usages_AT: 5 }] });
  assert.equal(decodeJwt(mixed.mytoken).exp, undefined);
  assert.equal(mixed.expires_in, undefined);
});

test('3.1 nbf is the earliest clause nbf when every clause has one in the future', async () => {
  const now = nowSeconds();
  const t = await server.mint({ restrictions: [{ nbf: now + 200, exp: now + 900 }, { nbf: now + 100, exp: now + 900 }] });
  const claims = decodeJwt(t.mytoken);
  assert.equal(claims.nbf, now + 100);
  assertError(await c.at(t.mytoken), 401, 'invalid_token', 'token is not valid yet');
});

test('9.3/36 expires_in equals exp - now and is absent for tokens without exp', async () => {
  const exp = nowSeconds() + 7200;
  const t0 = nowSeconds();
  const t = await server.mint({ restrictions: [{ exp }] });
  const t1 = nowSeconds();
  // the server reads its clock between t0 and t1
  assert.ok(t.expires_in >= exp - t1 && t.expires_in <= exp - t0, `${t.expires_in} not in [${exp - t1}, ${exp - t0}]`);
  assert.equal(plain.expires_in, undefined);
  assert.deepEqual(Object.keys(plain), ['mytoken', 'mytoken_type', 'mom_id', 'capabilities']);
});

test('9.3/37 response_type short_token yields a 64-character short token without l and I', async () => {
  const t = await server.mint({ response_type: 'short_token' });
  assert.equal(t.mytoken_type, 'short_token');
  assert.equal(t.mytoken.length, 64);
  assert.match(t.mytoken, SHORT_TOKEN_RE);
  assert.ok(!/[lI]/.test(t.mytoken));
  assert.equal(t.mom_id.length, 88);
});

test('9.3/38 response_type transfer_code yields an 8-character code, no mytoken, expires_in = code lifetime', async () => {
  const t = await server.mint({ response_type: 'transfer_code', restrictions: [{ exp: nowSeconds() + 86400 }] });
  assert.equal(t.mytoken_type, 'transfer_code');
  assert.equal(t.mytoken, undefined);
  assert.equal(t.transfer_code.length, 8);
  assert.match(t.transfer_code, SHORT_TOKEN_RE);
  assert.equal(t.expires_in, 300);
  const x = assertOk(await c.exchange(t.transfer_code));
  assert.equal(x.mytoken_type, 'token');
  assert.equal(x.mom_id, t.mom_id);
});

test('9.3/39 an unknown response_type yields a JWT with mytoken_type token', async () => {
  const t = await server.mint({ response_type: 'carrier_pigeon' });
  assert.equal(t.mytoken_type, 'token');
  assert.equal(decodeJwt(t.mytoken).token_type, 'mytoken');
});

test('9.3/40 max_token_len below the JWT length but >= 64 yields a short token (below 64: transfer code)', async () => {
  const t = await server.mint({ max_token_len: 100 });
  assert.equal(t.mytoken_type, 'short_token');
  assert.equal(t.mytoken.length, 64);
  const t2 = await server.mint({ max_token_len: 20, response_type: 'token' });
  assert.equal(t2.mytoken_type, 'transfer_code');
  const t3 = await server.mint({ max_token_len: 5000, response_type: 'short_token' });
  assert.equal(t3.mytoken_type, 'token');
});

test('9.3/41 a short token is accepted at the access token endpoint', async () => {
  const t = await server.mint({ response_type: 'short_token' });
  const r = assertOk(await c.at(t.mytoken));
  assert.ok(r.access_token);
  assert.equal(r.token_update, undefined);
});

test('3.1 validation: bad signature, malformed, expired', async () => {
  const [h, p, s] = plain.mytoken.split('.');
  const flipped = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
  assertError(await c.at(flipped), 401, 'invalid_token', 'signature is invalid');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(plain.mytoken), seq_no: 7 })).toString('base64url')}.${s}`;
  assertError(await c.at(forged), 401, 'invalid_token', 'signature is invalid');
  // a token whose clauses expired: its exp claim is past
  const exp = nowSeconds() + 1;
  const t = await server.mint({ restrictions: [{ exp }] });
  // 2 s later on the server's clock (at least exp + 1), without waiting for it
  setClockOffset(2);
  try {
    assertError(await c.at(t.mytoken), 401, 'invalid_token', /^token is expired by \d+s$/);
  } finally {
    setClockOffset(0);
  }
});

test('5.3 exp/nbf strings: digits, +seconds, +durations, local date-time', async () => {
  const now = nowSeconds();
  const t = await server.mint({
    restrictions: [
      { exp: String(now + 1000) },
      { exp: '+3600' },
      { exp: '+1d12h' },
      { exp: '+1.5h', nbf: '+0s' },
      { exp: '2099-01-02 03:04' },
    ],
  });
  const then = nowSeconds();
  const [a, b, d, e, f] = t.restrictions;
  assert.equal(a.exp, now + 1000);
  // relative times count from the server's clock, read between now and then
  const from = (v: number, offset: number, what: string) =>
    assert.ok(v >= now + offset && v <= then + offset, `${what}: ${v} not in [${now + offset}, ${then + offset}]`);
  from(b.exp, 3600, '+3600');
  from(d.exp, 36 * 3600, '+1d12h');
  from(e.exp, 5400, '+1.5h');
  from(e.nbf, 0, '+0s');
  assert.equal(f.exp, Math.floor(new Date(2099, 0, 2, 3, 4).getTime() / 1000));
  assertError(await c.startFlow({ restrictions: [{ exp: 'tomorrow' }] }), 400, 'invalid_request');
  assertError(await c.startFlow({ restrictions: [{ exp: 1.5 }] }), 400, 'invalid_request');
});

test('5.3 restrictions as one clause object; empty clauses dropped; hosts "this" becomes the requester IP', async () => {
  const t = await server.mint({ restrictions: { hosts: ['this', '192.0.2.0/24'], usages_AT: 4 } });
  assert.deepEqual(t.restrictions, [{ hosts: ['127.0.0.1', '192.0.2.0/24'], usages_AT: 4 }]);
  const u = await server.mint({ restrictions: [{}, { scope: '' }] });
  assert.equal(u.restrictions, undefined);
  assert.equal(decodeJwt(u.mytoken).restrictions, undefined);
});

test('5.13 unknown templates and profiles give 400 unknown include name (the name without a leading @)', async () => {
  assertError(await c.startFlow({ include: 'agent-x' }), 400, 'invalid_request', "unknown include name: 'agent-x'");
  assertError(await c.startFlow({ capabilities: ['AT', '@nodefault'] }), 400, 'invalid_request', "unknown include name: 'nodefault'");
  assertError(await c.startFlow({ restrictions: '2d' }), 400, 'invalid_request', "unknown include name: '2d'");
  assertError(await c.startFlow({ restrictions: [{ include: ['ip-that'] }] }), 400, 'invalid_request', "unknown include name: 'ip-that'");
  assertError(await c.startFlow({ rotation: 'at-other' }), 400, 'invalid_request', "unknown include name: 'at-other'");
  // capabilities as a space-separated string
  const t = await server.mint({ capabilities: 'AT create_mytoken AT' });
  assert.deepEqual(t.capabilities, ['AT', 'create_mytoken']);
});

test('4.1 wrongly typed members fail decoding with 400 invalid_request', async () => {
  assertError(await c.startFlow({ name: 5 }), 400, 'invalid_request');
  assertError(await c.startFlow({ restrictions: [{ usages_AT: 'x' }] }), 400, 'invalid_request');
  assertError(await c.startFlow({ rotation: { on_AT: 'yes' } }), 400, 'invalid_request');
  assertError(await c.startFlow({ oidc_flow: 'device' }), 400, 'invalid_request', "value 'device' not valid for OIDCFlow");
  assertError(await c.startFlow({ max_token_len: 'long' }), 400, 'invalid_request');
});
