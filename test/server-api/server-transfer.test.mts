// Local mytoken server, spec server-api.md 9.8: transfer codes (4.1.5, 4.5, 5.9).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, SHORT_TOKEN_RE } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

test('9.8/84 /token/transfer with any valid token (even AT-only) returns an 8-character transfer code', async () => {
  const t = await server.mint({ capabilities: ['AT'] });
  const r = assertOk(await c.transfer(t.mytoken));
  assert.deepEqual(Object.keys(r), ['mytoken_type', 'transfer_code', 'expires_in']);
  assert.equal(r.mytoken_type, 'transfer_code');
  assert.equal(r.transfer_code.length, 8);
  assert.match(r.transfer_code, SHORT_TOKEN_RE);
  assert.equal(r.expires_in, 300);
  // header presentation works as well; restrictions are not checked, no usage counted
  const limited = await server.mint({ restrictions: [{ usages_other: 0, usages_AT: 1 }] });
  const viaHeader = await c.post('/api/v0/token/transfer', {}, { authorization: `Bearer ${limited.mytoken}` });
  assert.equal(viaHeader.status, 200, viaHeader.text);
  assertOk(await c.at(limited.mytoken));
  // invalid tokens are refused
  assertError(await c.transfer(`${t.mytoken.slice(0, -4)}AAAA`), 401, 'invalid_token');
});

test('9.8/85 the exchange returns the full JWT (also for a short token); a second exchange gets 401', async () => {
  const t = await server.mint({ response_type: 'short_token', name: 'short one' });
  const code = assertOk(await c.transfer(t.mytoken)).transfer_code;
  const x = assertOk(await c.exchange(code));
  assert.equal(x.mytoken_type, 'token');
  assert.equal(decodeJwt(x.mytoken).name, 'short one');
  assert.equal(x.mom_id, t.mom_id);
  assertOk(await c.at(x.mytoken));
  assertError(await c.exchange(code), 401, 'invalid_token', 'Bad polling or transfer code');
  assertError(await c.exchange('nocode12'), 401, 'invalid_token', 'Bad polling or transfer code');
});

test('9.8/87 the exchange reply has mom_id and capabilities and no rotation member', async () => {
  const t = await server.mint({ rotation: { on_AT: true }, capabilities: ['AT', 'tokeninfo'], restrictions: [{ usages_AT: 5 }] });
  const code = assertOk(await c.transfer(t.mytoken)).transfer_code;
  const x = assertOk(await c.exchange(code));
  assert.equal(x.mom_id, t.mom_id);
  assert.deepEqual(x.capabilities, ['AT', 'tokeninfo']);
  assert.deepEqual(x.restrictions, [{ usages_AT: 5 }]);
  assert.equal('rotation' in x, false);
  assert.deepEqual(decodeJwt(x.mytoken).rotation, { on_AT: true });
});

test('5.9 revoking the underlying token invalidates its transfer codes', async () => {
  const t = await server.mint();
  const code = assertOk(await c.transfer(t.mytoken)).transfer_code;
  assert.equal((await c.revoke({ token: t.mytoken })).status, 204);
  assertError(await c.exchange(code), 401, 'invalid_token', 'Bad polling or transfer code');
});

test('5.9 a code made for an existing token can be revoked without revoking the token', async () => {
  const t = await server.mint();
  const code = assertOk(await c.transfer(t.mytoken)).transfer_code;
  assert.equal((await c.revoke({ token: code })).status, 204);
  assertError(await c.exchange(code), 401, 'invalid_token', 'Bad polling or transfer code');
  assertOk(await c.at(t.mytoken));
});

test('4.1.5 [quirk] a pending polling code presented as transfer code gives 400 token not valid', async () => {
  const flow = assertOk(await c.startFlow());
  assertError(await c.exchange(flow.polling_code), 400, 'invalid_request', 'token not valid');
  await server.approve(flow.consent_uri);
  const x = assertOk(await c.exchange(flow.polling_code));
  assert.equal(x.mytoken_type, 'token');
  assertError(await c.poll(flow.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
});
