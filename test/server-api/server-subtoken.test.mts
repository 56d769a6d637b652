// Local mytoken server, spec server-api.md 9.4: sub-tokens (4.1.4, 5.4), with both settings of the
// errorOnRestrictions switch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, nowSeconds } from '../server/testing.mjs';

let server: LocalServer; // server 0.10 behaviour: error_on_restrictions ignored
let strict: LocalServer; // documented behaviour
let c: ReturnType<typeof api>;
let s: ReturnType<typeof api>;

before(async () => {
  [server, strict] = await Promise.all([
    startLocalServer({ interval: 1 }),
    startLocalServer({ interval: 1, errorOnRestrictions: true }),
  ]);
  c = api(server);
  s = api(strict);
});
after(() => Promise.all([server.close(), strict.close()]));

const PARENT_CAPS = ['AT', 'create_mytoken', 'tokeninfo'];

test('9.4/42 a parent lacking create_mytoken gets 403 insufficient_capabilities', async () => {
  const p = await server.mint({ capabilities: ['AT', 'tokeninfo'] });
  assertError(await c.sub(p.mytoken, {}), 403, 'insufficient_capabilities');
});

test('9.4/43 without capabilities the child gets exactly the parent capabilities', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  const child = assertOk(await c.sub(p.mytoken, {}));
  assert.deepEqual(child.capabilities, PARENT_CAPS);
  assert.deepEqual(decodeJwt(child.mytoken).capabilities, PARENT_CAPS);
});

test('9.4/44 unsatisfied capabilities are dropped silently; if none remains 400', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  const child = assertOk(await c.sub(p.mytoken, { capabilities: ['AT', 'settings', 'manage_mytokens:list'], error_on_restrictions: true }));
  assert.deepEqual(child.capabilities, ['AT']);
  assertError(
    await c.sub(p.mytoken, { capabilities: ['settings'] }),
    400,
    'invalid_request',
    'mytoken to be issued cannot have any of the requested capabilities',
  );
});

test('9.4/45 a parent holding tokeninfo can create a child with tokeninfo:introspect', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  assert.deepEqual(assertOk(await c.sub(p.mytoken, { capabilities: ['tokeninfo:introspect'] })).capabilities, ['tokeninfo:introspect']);
});

test('9.4/46 a parent holding read@settings cannot pass settings:grants (dropped), but read@settings:grants', async () => {
  const p = await server.mint({ capabilities: ['AT', 'create_mytoken', 'read@settings'] });
  const child = assertOk(await c.sub(p.mytoken, { capabilities: ['settings:grants', 'read@settings:grants'] }));
  assert.deepEqual(child.capabilities, ['read@settings:grants']);
});

test('9.4/47 a child of an unrestricted parent has exactly the requested restrictions', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  const exp = nowSeconds() + 1000;
  const want = [{ exp, scope: 'openid', usages_AT: 3 }, { hosts: ['192.0.2.0/24'] }];
  for (const api_ of [c, s]) {
    const pp = api_ === c ? p : await strict.mint({ capabilities: PARENT_CAPS });
    const child = assertOk(await api_.sub(pp.mytoken, { restrictions: want, error_on_restrictions: true }));
    assert.deepEqual(child.restrictions, want);
  }
});

test('9.4/48 [0.10] a clause that is not a subset is dropped silently even with error_on_restrictions (documented: 400)', async () => {
  const T = nowSeconds() + 3600;
  const parentRestr = [{ exp: T, scope: 'openid profile' }];
  const p = await server.mint({ capabilities: PARENT_CAPS, restrictions: parentRestr });
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ exp: T + 60, scope: 'openid' }], error_on_restrictions: true }));
  assert.deepEqual(child.restrictions, parentRestr);
  // documented behaviour (server option errorOnRestrictions)
  const sp = await strict.mint({ capabilities: PARENT_CAPS, restrictions: parentRestr });
  assertError(
    await s.sub(sp.mytoken, { restrictions: [{ exp: T + 60, scope: 'openid' }], error_on_restrictions: true }),
    400,
    'invalid_request',
    'requested restrictions are not subset of original restrictions',
  );
  // a subset is honoured in both modes
  const ok = assertOk(await s.sub(sp.mytoken, { restrictions: [{ exp: T - 60, scope: 'openid' }], error_on_restrictions: true }));
  assert.deepEqual(ok.restrictions, [{ exp: T - 60, scope: 'openid' }]);
});

test('9.4/49 without error_on_restrictions the child silently gets the parent restrictions (both modes)', async () => {
  const T = nowSeconds() + 3600;
  const parentRestr = [{ exp: T, scope: 'openid profile' }];
  for (const [srv, a] of [[server, c], [strict, s]] as const) {
    const p = await srv.mint({ capabilities: PARENT_CAPS, restrictions: parentRestr });
    const child = assertOk(await a.sub(p.mytoken, { restrictions: [{ exp: T - 60 }] }));
    assert.deepEqual(child.restrictions, parentRestr);
  }
});

test('9.4/50 a sub-token request with a different oidc_issuer gets 400 token not for specified issuer', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  assertError(await c.sub(p.mytoken, { oidc_issuer: 'https://op.example.org' }), 400, 'invalid_request', 'token not for specified issuer');
  assertOk(await c.sub(p.mytoken, { oidc_issuer: server.issuer }));
});

test('9.4/51 a child has the parent oidc_sub, oidc_iss and auth_time, seq_no 1 and a new jti', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  // the child is created 1.1 s later on the server's clock (its iat is not the auth_time), without waiting for it
  setClockOffset(1.1);
  let child;
  try {
    child = assertOk(await c.sub(p.mytoken, { name: 'child' }));
  } finally {
    setClockOffset(0);
  }
  const pc = decodeJwt(p.mytoken);
  const cc = decodeJwt(child.mytoken);
  assert.equal(cc.oidc_sub, pc.oidc_sub);
  assert.equal(cc.oidc_iss, pc.oidc_iss);
  assert.equal(cc.auth_time, pc.auth_time);
  assert.notEqual(cc.iat, cc.auth_time);
  assert.equal(cc.seq_no, 1);
  assert.notEqual(cc.jti, pc.jti);
  assert.equal(cc.name, 'child');
  assert.notEqual(child.mom_id, p.mom_id);
});

test('9.4/52 creating a sub-token charges the parent first usable clause (usages_other)', async () => {
  const p = await server.mint({
    capabilities: PARENT_CAPS,
    restrictions: [{ usages_other: 1, scope: 'openid' }, { usages_other: 1, scope: 'storage.read' }],
  });
  assertOk(await c.sub(p.mytoken, {})); // clause 1
  assertOk(await c.sub(p.mytoken, {})); // clause 2
  assertError(await c.sub(p.mytoken, {}), 403, 'usage_restricted');
});

test('9.4/53 a parent whose only clause exhausted usages_other gets 403 usage_restricted', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS, restrictions: [{ usages_other: 1 }] });
  assertOk(await c.sub(p.mytoken, {}));
  assertError(await c.sub(p.mytoken, {}), 403, 'usage_restricted', 'The restrictions of this token does not allow this usage');
  // access tokens are a different kind of usage
  assertOk(await c.at(p.mytoken));
});

test('5.2 a sub-token usage never consumes the parent counters', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS, restrictions: [{ usages_AT: 1 }] });
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ usages_AT: 1 }] }));
  assertOk(await c.at(child.mytoken));
  assertOk(await c.at(p.mytoken));
  assertError(await c.at(child.mytoken), 403, 'usage_restricted');
});

test('9.4/54 a requested hosts entry "this" becomes the requester IP', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ hosts: ['This', '10.0.0.1'] }] }));
  assert.deepEqual(child.restrictions, [{ hosts: ['127.0.0.1', '10.0.0.1'] }]);
});

test('9.4/55 a requested exp of "+3600" is within a few seconds of now + 3600', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  const t0 = nowSeconds();
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ exp: '+3600' }] }));
  const t1 = nowSeconds();
  // "+3600" counts from the server's clock, read between t0 and t1
  const exp = child.restrictions[0].exp;
  assert.ok(exp >= t0 + 3600 && exp <= t1 + 3600, `${exp} not in [${t0 + 3600}, ${t1 + 3600}]`);
});

test('5.3 an already expired sub-token is issued (no expiry check for sub-tokens); using it gives 401 expired', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS });
  const exp = nowSeconds() - 5;
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ exp }] }));
  assert.deepEqual(child.restrictions, [{ exp }]);
  assert.equal(child.expires_in, undefined);
  assertError(await c.at(child.mytoken), 401, 'invalid_token', /^token is expired by \d+s$/);
});

test('9.4/56 two clauses usages_AT 6 against a parent clause usages_AT 10 yield only the first', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS, restrictions: [{ usages_AT: 10 }] });
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ usages_AT: 6 }, { usages_AT: 6, scope: 'openid' }] }));
  assert.deepEqual(child.restrictions, [{ usages_AT: 6 }]);
  const sp = await strict.mint({ capabilities: PARENT_CAPS, restrictions: [{ usages_AT: 10 }] });
  assertError(
    await s.sub(sp.mytoken, { restrictions: [{ usages_AT: 6 }, { usages_AT: 6 }], error_on_restrictions: true }),
    400,
    'invalid_request',
    'requested restrictions are not subset of original restrictions',
  );
});

test('5.4 subset examples: hosts network containment, missing scope, geoip', async () => {
  // the parent must allow the requester (127.0.0.1): sub-token creation is an "other" usage of it
  const parentRestr = [{ hosts: ['192.0.2.0/24', '127.0.0.1'], geoip_disallow: ['FR'] }];
  const p = await server.mint({ capabilities: PARENT_CAPS, restrictions: parentRestr });
  const ok = assertOk(await c.sub(p.mytoken, { restrictions: [{ hosts: ['192.0.2.7', '192.0.2.128/25'], geoip_disallow: ['FR', 'IT'] }] }));
  assert.deepEqual(ok.restrictions, [{ hosts: ['192.0.2.7', '192.0.2.128/25'], geoip_disallow: ['FR', 'IT'] }]);
  const wider = assertOk(await c.sub(p.mytoken, { restrictions: [{ hosts: ['192.0.0.0/16'], geoip_disallow: ['FR'] }] }));
  assert.deepEqual(wider.restrictions, parentRestr);
  const noDisallow = assertOk(await c.sub(p.mytoken, { restrictions: [{ hosts: ['192.0.2.7'] }] }));
  assert.deepEqual(noDisallow.restrictions, parentRestr);
  const outside = await server.mint({ capabilities: PARENT_CAPS, restrictions: [{ hosts: ['192.0.2.0/24'] }] });
  assertError(await c.sub(outside.mytoken, {}), 403, 'usage_restricted');
});

test('4.1.4 the parent may be presented in the Authorization header; child representations', async () => {
  const p = await server.mint({ capabilities: PARENT_CAPS, response_type: 'short_token' });
  const r = await c.post('/api/v0/token/my', { grant_type: 'mytoken', response_type: 'transfer_code' }, { authorization: `Bearer ${p.mytoken}` });
  const child = assertOk(r);
  assert.equal(child.mytoken_type, 'transfer_code');
  const x = assertOk(await c.exchange(child.transfer_code));
  assert.equal(x.mom_id, child.mom_id);
  assertOk(await c.at(x.mytoken));
});
