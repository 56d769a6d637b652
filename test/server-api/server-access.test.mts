// Local mytoken server, spec server-api.md 9.5: access tokens (and restriction evaluation, 5.2).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, http, nowSeconds } from '../server/testing.mjs';

const ALL_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'storage.read', 'storage.write', 'compute'];

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({
    interval: 1,
    ptr: { '127.0.0.1': ['ws1.lab.example.test.'] },
    geoip: {},
  });
  c = api(server);
});
after(() => server.close());

test('9.5/57 a token lacking AT gets 403 insufficient_capabilities', async () => {
  const t = await server.mint({ capabilities: ['tokeninfo', 'create_mytoken'] });
  assertError(
    await c.at(t.mytoken),
    403,
    'insufficient_capabilities',
    'The provided token does not have the required capability for this operation',
  );
});

test('9.5/58 a successful request returns access_token, token_type, expires_in (and scope, audience)', async () => {
  const t = await server.mint();
  const r = assertOk(await c.at(t.mytoken));
  assert.equal(typeof r.access_token, 'string');
  assert.equal(r.token_type, 'Bearer');
  assert.equal(r.expires_in, 3600);
  assert.equal(typeof r.scope, 'string');
  assert.deepEqual(r.audience, ['https://rs.example.test']);
  assert.equal(r.token_update, undefined);
  assert.deepEqual(Object.keys(r), ['access_token', 'token_type', 'expires_in', 'scope', 'audience']);
});

test('4.3 the access token is a JWT issued by the OP (verifies against the OP JWKS)', async () => {
  const t = await server.mint({ restrictions: [{ scope: 'openid storage.read', audience: ['https://storage.example.test'] }] });
  const r = assertOk(await c.at(t.mytoken, { scope: 'storage.read', audience: 'https://storage.example.test' }));
  const opConfig = assertOk(await http(`${server.issuer}/.well-known/openid-configuration`));
  const jwks = createRemoteJWKSet(new URL(opConfig.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(r.access_token, jwks, {
    issuer: server.issuer,
    audience: 'https://storage.example.test',
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.sub, 'alice');
  assert.equal(payload.scope, 'storage.read offline_access');
  assert.equal(r.scope, 'storage.read offline_access');
  assert.deepEqual(r.audience, ['https://storage.example.test']);
  // each request is a new refresh-token grant: a new access token
  const r2 = assertOk(await c.at(t.mytoken, { scope: 'storage.read', audience: 'https://storage.example.test' }));
  assert.notEqual(r2.access_token, r.access_token);
});

test('9.5/59 a clause with usages_AT N allows exactly N access tokens, then 403 usage_restricted', async () => {
  const t = await server.mint({ restrictions: [{ usages_AT: 3 }] });
  for (let i = 0; i < 3; i++) assertOk(await c.at(t.mytoken));
  assertError(await c.at(t.mytoken), 403, 'usage_restricted', 'The restrictions of this token does not allow this usage');
  const zero = await server.mint({ restrictions: [{ usages_AT: 0, scope: 'openid' }] });
  assertError(await c.at(zero.mytoken), 403, 'usage_restricted');
});

test('9.5/60 a scope outside the only clause scope gives 403 usage_restricted', async () => {
  const t = await server.mint({ restrictions: [{ scope: 'openid storage.read' }] });
  assertError(await c.at(t.mytoken, { scope: 'storage.write' }), 403, 'usage_restricted');
  assertError(await c.at(t.mytoken, { scope: 'openid storage.write' }), 403, 'usage_restricted');
  const ok = assertOk(await c.at(t.mytoken, { scope: 'openid' }));
  assert.equal(ok.scope, 'openid offline_access');
  // without a requested scope the clause scope is used
  const dflt = assertOk(await c.at(t.mytoken));
  assert.equal(dflt.scope, 'openid storage.read offline_access');
});

test('5.2 audience must be a subset of the clause audience', async () => {
  const t = await server.mint({ restrictions: [{ audience: ['https://a.example', 'https://b.example'] }] });
  assertError(await c.at(t.mytoken, { audience: 'https://c.example' }), 403, 'usage_restricted');
  const r = assertOk(await c.at(t.mytoken, { audience: 'https://b.example' }));
  assert.deepEqual(r.audience, ['https://b.example']);
  // [quirk] the clause audience is never sent as a default: the OP falls back to the first granted one
  const d = assertOk(await c.at(t.mytoken));
  assert.deepEqual(d.audience, ['https://a.example']);
});

test('9.5/61 a mismatching oidc_issuer gives 400 token not for specified issuer', async () => {
  const t = await server.mint();
  assertError(await c.at(t.mytoken, { oidc_issuer: 'https://op.example.org' }), 400, 'invalid_request', 'token not for specified issuer');
  assertError(await c.at(t.mytoken, { oidc_issuer: `${server.issuer}/` }), 400, 'invalid_request', 'token not for specified issuer');
  assertOk(await c.at(t.mytoken, { oidc_issuer: server.issuer }));
});

test('9.5/62 grant_type refresh_token with refresh_token = mytoken behaves like grant_type mytoken', async () => {
  const t = await server.mint({ restrictions: [{ usages_AT: 1 }] });
  const r = assertOk(await c.post('/api/v0/token/access', { grant_type: 'refresh_token', refresh_token: t.mytoken }));
  assert.ok(r.access_token);
  assertError(await c.post('/api/v0/token/access', { grant_type: 'refresh_token', refresh_token: t.mytoken }), 403, 'usage_restricted');
});

test('4.3 grant_type handling: missing or other known values 400 invalid_grant, unknown values 400 invalid_request', async () => {
  const t = await server.mint();
  assertError(await c.post('/api/v0/token/access', { mytoken: t.mytoken }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.at(t.mytoken, { grant_type: 'oidc_flow' }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.at(t.mytoken, { grant_type: 'foo' }), 400, 'invalid_request', "value 'foo' not valid for GrantType");
});

test('1.2 the access token endpoint accepts form bodies (issuer instead of oidc_issuer)', async () => {
  const t = await server.mint();
  const form = (fields: Record<string, string>) =>
    c.post('/api/v0/token/access', new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  assertOk(await form({ grant_type: 'mytoken', mytoken: t.mytoken, issuer: server.issuer }));
  assertError(await form({ grant_type: 'mytoken', mytoken: t.mytoken, issuer: 'https://nope.example' }), 400, 'invalid_request', 'token not for specified issuer');
  assertError(await c.post('/api/v0/token/access', 'x', { 'content-type': 'text/plain' }), 400, 'invalid_request', 'Unprocessable Entity');
});

test('9.5/63 when the OP refuses the refresh: oidc_error with the OP status, nothing counted', async () => {
  const t = await server.mint({ restrictions: [{ usages_AT: 1 }], rotation: { on_AT: true } });
  server.op.refuseRefresh(true);
  try {
    for (let i = 0; i < 2; i++) {
      assertError(await c.at(t.mytoken), 400, 'oidc_error', 'invalid_grant: grant request is invalid');
    }
  } finally {
    server.op.refuseRefresh(false);
  }
  // not counted (usages_AT: 1 still available) and not rotated (the old version still works)
  const r = assertOk(await c.at(t.mytoken));
  assert.ok(r.token_update);
  assertError(await c.at(r.token_update.mytoken), 403, 'usage_restricted');
});

test('9.5/64 [quirk] an unrestricted token ignores the requested scope: the OP gets all scopes', async () => {
  const t = await server.mint();
  const r = assertOk(await c.at(t.mytoken, { scope: 'openid' }));
  assert.deepEqual(r.scope.split(' ').sort(), [...ALL_SCOPES].sort());
  assert.deepEqual(String(decodeJwt(r.access_token).scope).split(' ').sort(), [...ALL_SCOPES].sort());
  // unrestricted tokens never send an audience either
  const a = assertOk(await c.at(t.mytoken, { audience: 'https://x.example' }));
  assert.deepEqual(a.audience, ['https://rs.example.test']);
  // a restricted token sends the requested scope (+ offline_access)
  const rt = await server.mint({ restrictions: [{ usages_AT: 10 }] });
  const rr = assertOk(await c.at(rt.mytoken, { scope: 'openid' }));
  assert.equal(rr.scope, 'openid offline_access');
});

test('5.11 an audience the OP never granted is refused by the OP (oidc_error invalid_target)', async () => {
  const t = await server.mint({ restrictions: [{ usages_AT: 2 }] });
  assertError(await c.at(t.mytoken, { audience: 'https://other.example' }), 400, 'oidc_error', /^invalid_target/);
  assertOk(await c.at(t.mytoken));
  assertOk(await c.at(t.mytoken));
});

test('5.2 the first usable clause is charged', async () => {
  const t = await server.mint({
    restrictions: [
      { scope: 'openid', usages_AT: 1 },
      { scope: 'openid storage.read', usages_AT: 1 },
    ],
  });
  // storage.read only fits clause 2: charged there
  assertOk(await c.at(t.mytoken, { scope: 'storage.read' }));
  assertError(await c.at(t.mytoken, { scope: 'storage.read' }), 403, 'usage_restricted');
  // openid fits clause 1 (still unused)
  assertOk(await c.at(t.mytoken, { scope: 'openid' }));
  assertError(await c.at(t.mytoken, { scope: 'openid' }), 403, 'usage_restricted');
});

test('5.2 nbf and exp of clauses', async () => {
  const now = nowSeconds();
  const t = await server.mint({
    restrictions: [
      { nbf: now + 3600, scope: 'openid' },
      { exp: now + 3600, scope: 'storage.read' },
    ],
  });
  assertError(await c.at(t.mytoken, { scope: 'openid' }), 403, 'usage_restricted');
  assertOk(await c.at(t.mytoken, { scope: 'storage.read' }));
});

test('5.2/3.1 a single clause with a future nbf: the token itself is not valid yet (401, the nbf claim is that nbf)', async () => {
  const nbf = nowSeconds() + 3600;
  const t = await server.mint({ restrictions: [{ nbf, usages_AT: 5 }] });
  assert.equal(decodeJwt(t.mytoken).nbf, nbf);
  assertError(await c.at(t.mytoken), 401, 'invalid_token', 'token is not valid yet');
  // with a second clause without nbf the token is valid; the nbf clause alone does not allow the usage
  const u = await server.mint({ restrictions: [{ nbf, scope: 'openid' }, { scope: 'storage.read' }] });
  assert.equal(decodeJwt(u.mytoken).nbf, decodeJwt(u.mytoken).iat);
  assertError(await c.at(u.mytoken, { scope: 'openid' }), 403, 'usage_restricted');
  assertOk(await c.at(u.mytoken, { scope: 'storage.read' }));
});

test('5.2/3.1 one expired clause of several: the token stays valid (exp = latest clause exp), that clause allows nothing', async () => {
  const now = nowSeconds();
  const t = await server.mint({ restrictions: [{ exp: now - 10, scope: 'openid' }, { exp: now + 3600, scope: 'storage.read' }] });
  assert.equal(decodeJwt(t.mytoken).exp, now + 3600);
  assertError(await c.at(t.mytoken, { scope: 'openid' }), 403, 'usage_restricted');
  const r = assertOk(await c.at(t.mytoken)); // the first usable clause is the second one
  assert.equal(r.scope, 'storage.read offline_access');
});

test('5.2 any clause may allow the usage: hosts in one clause, geoip and a usage limit in another', async () => {
  const t = await server.mint({ restrictions: [{ hosts: ['192.0.2.1'] }, { geoip_allow: ['DE'], usages_AT: 1 }] });
  assertOk(await c.at(t.mytoken)); // clause 2 (the host does not match clause 1)
  assertError(await c.at(t.mytoken), 403, 'usage_restricted');
  const u = await server.mint({ restrictions: [{ hosts: ['*.lab.example.test'], usages_AT: 1 }, { hosts: ['127.0.0.0/8'], usages_AT: 1 }] });
  assertOk(await c.at(u.mytoken)); // PTR wildcard clause
  assertOk(await c.at(u.mytoken)); // CIDR clause
  assertError(await c.at(u.mytoken), 403, 'usage_restricted');
});

test('5.2 hosts: IP, CIDR, non-network CIDR, PTR name and wildcard', async () => {
  const check = async (hosts: string[], ok: boolean) => {
    const t = await server.mint({ restrictions: [{ hosts }] });
    const r = await c.at(t.mytoken);
    if (ok) assert.equal(r.status, 200, `${hosts}: ${r.text}`);
    else assertError(r, 403, 'usage_restricted');
  };
  await check(['127.0.0.1'], true);
  await check(['192.0.2.1'], false);
  await check(['127.0.0.0/8'], true);
  await check(['192.0.2.0/24'], false);
  await check(['127.0.0.5/8'], false); // not the network address: the single IP 127.0.0.5
  await check(['127.0.0.1/8'], true); // the single IP 127.0.0.1
  await check(['ws1.lab.example.test'], true);
  await check(['WS1.lab.example.test.'], true);
  await check(['ws2.lab.example.test'], false);
  await check(['*.example.test'], true);
  await check(['*.other.test'], false);
  await check(['::1', '10.0.0.0/8'], false);
});

test('5.2 geoip_allow and geoip_disallow (loopback maps to DE)', async () => {
  const check = async (clause: Record<string, unknown>, ok: boolean) => {
    const t = await server.mint({ restrictions: [clause] });
    const r = await c.at(t.mytoken);
    if (ok) assert.equal(r.status, 200, `${JSON.stringify(clause)}: ${r.text}`);
    else assertError(r, 403, 'usage_restricted');
  };
  await check({ geoip_allow: ['DE'] }, true);
  await check({ geoip_allow: ['FR', 'IT'] }, false);
  await check({ geoip_disallow: ['DE'] }, false);
  await check({ geoip_disallow: ['US'] }, true);
  const fr = await startLocalServer({ geoip: { '127.0.0.1': 'FR' } });
  try {
    const t = await fr.mint({ restrictions: [{ geoip_allow: ['FR'] }] });
    assertOk(await api(fr).at(t.mytoken));
    const u = await fr.mint({ restrictions: [{ geoip_allow: ['DE'] }] });
    assertError(await api(fr).at(u.mytoken), 403, 'usage_restricted');
  } finally {
    await fr.close();
  }
});

test('4.3 the AT request is recorded with method, path and body', async () => {
  const t = await server.mint();
  const n = server.requests.length;
  await c.at(t.mytoken, { comment: 'for the record' });
  const rec = server.requests[n]!;
  assert.equal(rec.method, 'POST');
  assert.equal(rec.path, '/api/v0/token/access');
  assert.equal(JSON.parse(rec.body).comment, 'for the record');
});
