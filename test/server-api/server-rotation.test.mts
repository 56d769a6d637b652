// Local mytoken server, spec server-api.md 9.6: rotation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, nowSeconds, SHORT_TOKEN_RE } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

test('9.6/65 on_AT: token_update with the same mom_id and seq_no + 1; the previous version gets 401', async () => {
  const t = await server.mint({ rotation: { on_AT: true }, capabilities: ['AT', 'tokeninfo'] });
  const r = assertOk(await c.at(t.mytoken));
  const u = r.token_update;
  assert.ok(u, 'token_update expected');
  assert.equal(u.mytoken_type, 'token');
  assert.equal(u.mom_id, t.mom_id);
  assert.deepEqual(u.rotation, { on_AT: true });
  assert.deepEqual(u.capabilities, ['AT', 'tokeninfo']);
  const before = decodeJwt(t.mytoken);
  const after = decodeJwt(u.mytoken);
  assert.equal(after.seq_no, Number(before.seq_no) + 1);
  assert.equal(after.jti, before.jti);
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
  assert.equal((await c.at(t.mytoken)).json.error_description, undefined);
  // the new version works and rotates again
  const r2 = assertOk(await c.at(u.mytoken));
  assert.equal(decodeJwt(r2.token_update.mytoken).seq_no, 3);
});

test('9.6/66 a short token with on_AT gets a different short token as token_update', async () => {
  const t = await server.mint({ rotation: { on_AT: true }, response_type: 'short_token' });
  const r = assertOk(await c.at(t.mytoken));
  const u = r.token_update;
  assert.equal(u.mytoken_type, 'short_token');
  assert.match(u.mytoken, SHORT_TOKEN_RE);
  assert.equal(u.mytoken.length, 64);
  assert.notEqual(u.mytoken, t.mytoken);
  assert.equal(u.mom_id, t.mom_id);
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
  assertOk(await c.at(u.mytoken));
});

test('9.6/67 auto_revoke: presenting the outdated version gets 401 and revokes the current one too', async () => {
  const t = await server.mint({ rotation: { on_AT: true, auto_revoke: true } });
  const u = assertOk(await c.at(t.mytoken)).token_update;
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
  assertError(await c.at(u.mytoken), 401, 'invalid_token');
  // without auto_revoke the current version survives the replay
  const t2 = await server.mint({ rotation: { on_AT: true } });
  const u2 = assertOk(await c.at(t2.mytoken)).token_update;
  assertError(await c.at(t2.mytoken), 401, 'invalid_token');
  assertOk(await c.at(u2.mytoken));
});

test('9.6/67 auto_revoke also revokes the sub-tokens', async () => {
  const t = await server.mint({ rotation: { on_AT: true, auto_revoke: true }, capabilities: ['AT', 'create_mytoken'] });
  const child = assertOk(await c.sub(t.mytoken, { capabilities: ['AT'] }));
  const u = assertOk(await c.at(t.mytoken)).token_update;
  assertOk(await c.at(child.mytoken));
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
  assertError(await c.at(u.mytoken), 401, 'invalid_token');
  assertError(await c.at(child.mytoken), 401, 'invalid_token');
});

test('9.6/68 on_other: creating a sub-token returns token_update for the parent', async () => {
  const t = await server.mint({ rotation: { on_other: true }, capabilities: ['AT', 'create_mytoken'] });
  const r = assertOk(await c.sub(t.mytoken, { capabilities: ['AT'] }));
  assert.equal(decodeJwt(r.mytoken).seq_no, 1);
  const u = r.token_update;
  assert.ok(u);
  assert.equal(u.mom_id, t.mom_id);
  assert.equal(decodeJwt(u.mytoken).seq_no, 2);
  assert.deepEqual(u.rotation, { on_other: true });
  assertError(await c.sub(t.mytoken, {}), 401, 'invalid_token');
  // on_other does not rotate on access tokens, on_AT not on sub-tokens
  assert.equal(assertOk(await c.at(u.mytoken)).token_update, undefined);
  const a = await server.mint({ rotation: { on_AT: true }, capabilities: ['AT', 'create_mytoken'] });
  assert.equal(assertOk(await c.sub(a.mytoken, {})).token_update, undefined);
});

test('9.6/68 token_update follows the presented representation on sub-token creation too', async () => {
  const t = await server.mint({ rotation: { on_other: true }, capabilities: ['AT', 'create_mytoken'], response_type: 'short_token' });
  const r = assertOk(await c.sub(t.mytoken, { response_type: 'token' }));
  assert.equal(r.mytoken_type, 'token');
  assert.equal(r.token_update.mytoken_type, 'short_token');
  assert.match(r.token_update.mytoken, SHORT_TOKEN_RE);
});

test('9.6/70 with lifetime L a version older than L seconds gets 401 invalid_token', async () => {
  const t = await server.mint({ rotation: { lifetime: 1 } });
  assertOk(await c.at(t.mytoken));
  setClockOffset(2.1); // 2.1 s later on the server's clock, without waiting for it
  try {
    assertError(await c.at(t.mytoken), 401, 'invalid_token');
  } finally {
    setClockOffset(0);
  }
});

test('9.6/71 a version created by rotation with lifetime L has exp = iat + L', async () => {
  const t = await server.mint({ rotation: { on_AT: true, lifetime: 100 }, restrictions: [{ exp: nowSeconds() + 10000 }] });
  const first = decodeJwt(t.mytoken);
  assert.equal(first.exp, (t.restrictions as { exp: number }[])[0]!.exp);
  const u = assertOk(await c.at(t.mytoken)).token_update;
  const t1 = nowSeconds();
  const claims = decodeJwt(u.mytoken);
  assert.equal(claims.exp, Number(claims.iat) + 100);
  assert.equal(claims.nbf, claims.iat);
  // expires_in = exp - the server's clock when it answered: between the rotation (iat) and t1
  assert.ok(u.expires_in <= 100 && u.expires_in >= Number(claims.exp) - t1, `expires_in ${u.expires_in}, exp ${claims.exp}, read after ${t1}`);
});

test('5.6 usage counters survive rotation', async () => {
  const t = await server.mint({ rotation: { on_AT: true }, restrictions: [{ usages_AT: 2 }] });
  const u = assertOk(await c.at(t.mytoken)).token_update;
  const u2 = assertOk(await c.at(u.mytoken)).token_update;
  assertError(await c.at(u2.mytoken), 403, 'usage_restricted');
});

test('5.6 revocation by mom_id rotates an on_other token: 200 {"token_update"} instead of 204', async () => {
  const t = await server.mint({ rotation: { on_other: true }, capabilities: ['AT', 'create_mytoken'] });
  const child = assertOk(await c.sub(t.mytoken, {}));
  const parent = child.token_update.mytoken;
  const r = await c.revoke({ token: parent, mom_id: child.mom_id });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['token_update']);
  assert.equal(decodeJwt(r.json.token_update.mytoken).seq_no, 3);
  assertError(await c.at(child.mytoken), 401, 'invalid_token');
});

test('5.6 neither the transfer endpoint nor self-revocation rotate', async () => {
  const t = await server.mint({ rotation: { on_AT: true, on_other: true } });
  const r = assertOk(await c.transfer(t.mytoken));
  assert.equal(r.token_update, undefined);
  assertOk(await c.at(t.mytoken)); // still the current version
});
