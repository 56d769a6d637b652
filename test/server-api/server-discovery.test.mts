// Local mytoken server, spec server-api.md 9.1: discovery and transport.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { calculateJwkThumbprint, decodeJwt, importJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, http } from '../server/testing.mjs';
import type { Reply } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;
let token: Record<string, any>;

before(async () => {
  server = await startLocalServer({ interval: 1, discoveryMaxAge: 123 });
  c = api(server);
  token = await server.mint({ capabilities: ['AT', 'create_mytoken'] });
});
after(() => server.close());

const config = async () => assertOk(await c.get('/.well-known/mytoken-configuration'));

test('9.1/1 the configuration issuer equals iss and aud of issued mytokens', async () => {
  const doc = await config();
  assert.equal(doc.issuer, server.url);
  const claims = decodeJwt(token.mytoken);
  assert.equal(claims.iss, doc.issuer);
  assert.equal(claims.aud, doc.issuer);
});

test('9.1/2 the configuration contains the mandatory members', async () => {
  const doc = await config();
  for (const k of [
    'access_token_endpoint',
    'mytoken_endpoint',
    'usersettings_endpoint',
    'jwks_uri',
    'providers_supported',
    'token_signing_alg_value',
    'access_token_endpoint_grant_types_supported',
    'mytoken_endpoint_grant_types_supported',
    'mytoken_endpoint_oidc_flows_supported',
    'response_types_supported',
    'restriction_claims_supported',
  ]) {
    assert.ok(doc[k] !== undefined, `missing ${k}`);
  }
  for (const k of ['tokeninfo_endpoint', 'revocation_endpoint', 'notifications_endpoint', 'token_transfer_endpoint', 'profiles_endpoint']) {
    assert.ok(String(doc[k]).startsWith(`${server.url}/api/v0/`), k);
  }
  assert.deepEqual(doc.providers_supported, [
    {
      issuer: server.issuer,
      name: doc.providers_supported[0].name,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'storage.read', 'storage.write', 'compute'],
    },
  ]);
  assert.deepEqual(doc.restriction_claims_supported, [
    'nbf', 'exp', 'scope', 'audience', 'hosts', 'geoip_allow', 'geoip_disallow', 'usages_AT', 'usages_other',
  ]);
  // the SSH server of the ssh grant runs by default (option ssh): its host key and the ssh grant type
  assert.deepEqual(doc.mytoken_endpoint_grant_types_supported, ['oidc_flow', 'mytoken', 'transfer_code', 'polling_code', 'ssh']);
  assert.deepEqual(Object.keys(doc.ssh_keys[0]), ['type', 'fingerprint']);
  assert.equal(doc.ssh_keys[0].type, 'ssh-ed25519');
  assert.match(doc.ssh_keys[0].fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('9.1/3 access token grant types are exactly ["mytoken"] and OIDC flows exactly ["authorization_code"]', async () => {
  const doc = await config();
  assert.deepEqual(doc.access_token_endpoint_grant_types_supported, ['mytoken']);
  assert.deepEqual(doc.mytoken_endpoint_oidc_flows_supported, ['authorization_code']);
});

test('9.1/4 mytoken grant types contain ssh if and only if ssh_keys is present', async () => {
  const doc = await config();
  assert.equal(doc.mytoken_endpoint_grant_types_supported.includes('ssh'), 'ssh_keys' in doc);
  assert.ok('ssh_keys' in doc);
  const off = await startLocalServer({ ssh: false });
  try {
    const d = assertOk(await api(off).get('/.well-known/mytoken-configuration'));
    assert.ok(!('ssh_keys' in d));
    assert.ok(!d.mytoken_endpoint_grant_types_supported.includes('ssh'));
  } finally {
    await off.close();
  }
});

test('9.1/5 response types contain transfer_code iff token_transfer_endpoint is present, and always token', async () => {
  const doc = await config();
  assert.ok(doc.response_types_supported.includes('token'));
  assert.equal(doc.response_types_supported.includes('transfer_code'), 'token_transfer_endpoint' in doc);
  assert.deepEqual(doc.response_types_supported, ['token', 'short_token', 'transfer_code']);
});

test('9.1/6 /.well-known/openid-configuration returns the same document', async () => {
  const a = await c.get('/.well-known/mytoken-configuration');
  const b = await c.get('/.well-known/openid-configuration');
  assert.equal(b.status, 200);
  assert.deepEqual(b.json, a.json);
});

test('2.1 discovery document and settings metadata carry Cache-Control max-age', async () => {
  for (const path of ['/.well-known/mytoken-configuration', '/.well-known/openid-configuration', '/api/v0/settings']) {
    const r = await c.get(path);
    assert.equal(r.headers.get('cache-control'), 'max-age=123', path);
    assert.match(String(r.headers.get('content-type')), /^application\/json/);
  }
});

test('9.1/7 the JWKS has exactly one key, alg = token_signing_alg_value, and it verifies mytokens', async () => {
  const doc = await config();
  const jwks = assertOk(await http(doc.jwks_uri));
  assert.equal(jwks.keys.length, 1);
  const jwk = jwks.keys[0] as JWK;
  assert.equal(jwk.alg, doc.token_signing_alg_value);
  assert.equal(jwk.alg, 'ES512');
  assert.equal(jwk.use, 'sig');
  assert.equal(jwk.crv, 'P-521');
  assert.equal(jwk.d, undefined, 'private part must not be published');
  assert.equal(jwk.kid, await calculateJwkThumbprint(jwk, 'sha256'));
  const key = await importJWK(jwk, 'ES512');
  const { payload, protectedHeader } = await jwtVerify(token.mytoken, key, { issuer: server.url, audience: server.url });
  assert.equal(protectedHeader.typ, 'MT+JWT');
  assert.equal(payload.token_type, 'mytoken');
});

test('9.1/8 the usersettings endpoint answers without authentication with grant_type_endpoint', async () => {
  const doc = await config();
  const s = assertOk(await http(doc.usersettings_endpoint));
  assert.equal(s.grant_type_endpoint, `${server.url}/api/v0/settings/grants`);
  assert.equal(s.email_endpoint, `${server.url}/api/v0/settings/email`);
  assert.equal(s.tags_endpoint, `${server.url}/api/v0/settings/tags`);
});

test('9.1/9 every error reply below /api/ has a JSON body with a string error and no empty description', async () => {
  const replies: Reply[] = [
    await c.get('/api/v0/nothing'),
    await c.post('/api/v0/token/my', 'no json'),
    await c.post('/api/v0/token/my', {}),
    await c.post('/api/v0/token/my', { grant_type: 'polling_code', polling_code: 'unknown1' }),
    await c.post('/api/v0/token/access', { grant_type: 'mytoken' }),
    await c.post('/api/v0/token/access', { grant_type: 'mytoken', mytoken: 'x'.repeat(40) }),
    await c.post('/api/v0/token/access', 'grant_type=mytoken', { 'content-type': 'text/plain' }),
    await c.post('/api/v0/token/revoke', {}),
    await c.post('/api/v0/token/transfer', {}),
    await c.sub(token.mytoken, { capabilities: ['settings'] }),
  ];
  const flow = assertOk(await c.startFlow());
  replies.push(await c.poll(flow.polling_code)); // 428
  for (const r of replies) {
    assert.ok(r.status >= 400, `${r.status} ${r.text}`);
    assert.equal(typeof r.json?.error, 'string', r.text);
    assert.match(String(r.headers.get('content-type')), /^application\/json/);
    if ('error_description' in r.json) {
      assert.equal(typeof r.json.error_description, 'string');
      assert.notEqual(r.json.error_description, '');
    }
  }
  assert.deepEqual(
    replies.map((r) => r.status),
    [404, 400, 400, 401, 401, 401, 400, 400, 401, 400, 428],
  );
});

test('9.1/10 unknown API paths and wrong methods return 404 not_found with the path', async () => {
  assertError(await c.get('/api/v0/unknown/thing'), 404, 'not_found', '/api/v0/unknown/thing');
  assertError(await c.get('/api/v0/token/my'), 404, 'not_found', '/api/v0/token/my');
  assertError(await c.get('/api/v0/token/access?x=1'), 404, 'not_found', '/api/v0/token/access');
  assertError(await c.post('/api/v0/settings', {}), 404, 'not_found', '/api/v0/settings');
  assertError(await http(`${server.url}/api/v0/token/my`, { method: 'DELETE' }), 404, 'not_found', '/api/v0/token/my');
});

test('9.1/11 no grant_type, ssh over HTTP and unknown grant types give 400 invalid_grant Unsupported grant_type', async () => {
  assertError(await c.post('/api/v0/token/my', {}), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.post('/api/v0/token/my', { grant_type: 'ssh' }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.post('/api/v0/token/my', { grant_type: 'foo' }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.post('/api/v0/token/my', 'null'), 400, 'invalid_grant', 'Unsupported grant_type');
  // the query parameter wins over the body
  assertError(await c.post('/api/v0/token/my?grant_type=ssh', { grant_type: 'oidc_flow' }), 400, 'invalid_grant', 'Unsupported grant_type');
});

test('9.1/12 a non-JSON body at the mytoken endpoint gives 400 invalid_request', async () => {
  assertError(await c.post('/api/v0/token/my', 'grant_type=oidc_flow', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'invalid_request');
  assertError(await c.post('/api/v0/token/my', ''), 400, 'invalid_request');
  assertError(await c.post('/api/v0/token/my', '[1,2]'), 400, 'invalid_request');
});

test('1.3 (cf. 9.1/13) a JSON mytoken member shorter than 32 characters: 400 token not valid at the mytoken endpoint, 401 elsewhere', async () => {
  assertError(await c.sub('short'), 400, 'invalid_request', 'token not valid');
  assertError(await c.transfer('short'), 400, 'invalid_request', 'token not valid');
  assertError(await c.at('short'), 401, 'invalid_token', 'token not valid');
  assertError(await c.at('x'.repeat(64)), 401, 'invalid_token', 'token not valid'); // unknown short token
});

test('9.1/14 a request needing a mytoken that carries none gives 401 no mytoken found in request', async () => {
  assertError(await c.post('/api/v0/token/access', { grant_type: 'mytoken' }), 401, 'invalid_token', 'no mytoken found in request');
  assertError(await c.post('/api/v0/token/my', { grant_type: 'mytoken' }), 401, 'invalid_token', 'no mytoken found in request');
  assertError(await c.post('/api/v0/token/transfer', {}), 401, 'invalid_token', 'no mytoken found in request');
});

test('1.3 a mytoken is accepted from the Authorization header and from the mytoken cookie', async () => {
  const r1 = await c.post('/api/v0/token/access', { grant_type: 'mytoken' }, { authorization: `bearer ${token.mytoken}` });
  assert.equal(r1.status, 200, r1.text);
  const r2 = await c.post('/api/v0/token/access', { grant_type: 'mytoken' }, { cookie: `mytoken=${token.mytoken}` });
  assert.equal(r2.status, 200, r2.text);
});

test('1.8 CORS is enabled for the API, discovery and the JWKS', async () => {
  for (const path of ['/.well-known/mytoken-configuration', '/jwks', '/api/v0/settings']) {
    const r = await c.get(path, { origin: 'https://app.example' });
    assert.equal(r.headers.get('access-control-allow-origin'), '*', path);
  }
  const pre = await http(`${server.url}/api/v0/token/access`, { method: 'OPTIONS' });
  assert.equal(pre.status, 204);
});

test('server: every request the mytoken server receives is recorded in order (not the OP ones)', async () => {
  const before = server.requests.length;
  await c.post('/api/v0/token/my?grant_type=ssh', { hello: 'world' }, { 'user-agent': 'recorder-test' });
  await c.get('/jwks');
  const [a, b] = server.requests.slice(before);
  assert.equal(a!.method, 'POST');
  assert.equal(a!.path, '/api/v0/token/my?grant_type=ssh');
  assert.equal(a!.body, '{"hello":"world"}');
  assert.equal(a!.headers['user-agent'], 'recorder-test');
  assert.equal(typeof a!.time, 'number');
  assert.equal(b!.method, 'GET');
  assert.equal(b!.path, '/jwks');
  assert.ok(server.requests.every((r) => !r.path.startsWith('/auth') && !r.path.startsWith('/interaction')));
});
