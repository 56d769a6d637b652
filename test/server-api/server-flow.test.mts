// Local mytoken server, spec server-api.md 9.2: OIDC flow, consent and polling.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, http, nowSeconds, SHORT_TOKEN_RE } from '../server/testing.mjs';

let server: LocalServer; // auto-approving
let manual: LocalServer; // consent page with buttons
let c: ReturnType<typeof api>;
let m: ReturnType<typeof api>;

before(async () => {
  [server, manual] = await Promise.all([
    startLocalServer({ interval: 1 }),
    startLocalServer({ interval: 1, autoApprove: false }),
  ]);
  c = api(server);
  m = api(manual);
});
after(() => Promise.all([server.close(), manual.close()]));

test('9.2/16 an oidc_flow request returns consent_uri, an 8-character polling_code, expires_in and interval', async () => {
  const r = assertOk(await c.startFlow());
  assert.ok(r.consent_uri.startsWith(`${server.url}/c/`), r.consent_uri);
  assert.match(r.consent_uri.slice(`${server.url}/c/`.length), /^[abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNOPQRSTUVWXYZ]{8}$/);
  assert.match(r.polling_code, /^[A-Za-z0-9_-]{8}$/);
  assert.equal(r.expires_in, 300);
  assert.equal(r.interval, 1);
  assert.deepEqual(Object.keys(r).sort(), ['consent_uri', 'expires_in', 'interval', 'polling_code']);
  const d = assertOk(await startLocalServerDefaultsFlow());
  assert.equal(d.interval, 5);
});

async function startLocalServerDefaultsFlow() {
  const s = await startLocalServer();
  try {
    return await api(s).startFlow();
  } finally {
    await s.close();
  }
}

test('9.2/16 the OP issuer is accepted with or without a trailing slash and stored in its configured spelling', async () => {
  const t = await server.mint({ oidc_issuer: `${server.issuer}/` });
  assert.equal(decodeJwt(t.mytoken).oidc_iss, server.issuer);
});

test('9.2/17 an unsupported issuer gives 400 The provided issuer is not supported', async () => {
  assertError(await c.startFlow({ oidc_issuer: 'https://op.example.org' }), 400, 'invalid_request', 'The provided issuer is not supported');
  assertError(await c.startFlow({ oidc_issuer: undefined }), 400, 'invalid_request', 'The provided issuer is not supported');
});

test('9.2/18 client_type web without redirect_uri gives 400', async () => {
  assertError(
    await c.startFlow({ client_type: 'web' }),
    400,
    'invalid_request',
    'parameter redirect_uri must be given for client_type=web',
  );
  const web = assertOk(await c.startFlow({ client_type: 'web', redirect_uri: 'http://127.0.0.1:9/home' }));
  assert.deepEqual(Object.keys(web), ['consent_uri']);
});

test('9.2/19 clauses that all expired already give 400 token would already be expired', async () => {
  const past = nowSeconds() - 60;
  assertError(
    await c.startFlow({ restrictions: [{ exp: past }, { exp: past - 10, scope: 'openid' }] }),
    400,
    'invalid_request',
    'token would already be expired',
  );
  // one clause still valid: fine
  assert.equal((await c.startFlow({ restrictions: [{ exp: past }, { exp: nowSeconds() + 600 }] })).status, 200);
});

test('9.2/20 polling before the user finished gives 428 with body exactly {"error":"authorization_pending"}', async () => {
  const flow = assertOk(await c.startFlow());
  const r = await c.poll(flow.polling_code);
  assert.equal(r.status, 428);
  assert.equal(r.text, '{"error":"authorization_pending"}');
});

test('9.2/21 polling an unknown code gives 401 invalid_token Bad polling or transfer code', async () => {
  assertError(await c.poll('AAAAAAAA'), 401, 'invalid_token', 'Bad polling or transfer code');
  assertError(await c.post('/api/v0/token/my', { grant_type: 'polling_code' }), 401, 'invalid_token', 'Bad polling or transfer code');
});

test('9.2/22 declining consent gives 278 /native/abort; polling then gives 401 access_denied', async () => {
  const flow = assertOk(await c.startFlow({ application_name: 'my app' }));
  const r = await http(flow.consent_uri, { method: 'POST' });
  assert.equal(r.status, 278);
  assert.equal(r.json.url, '/native/abort?application=my%20app');
  assertError(await c.poll(flow.polling_code), 401, 'access_denied', 'user declined consent');
  assertError(await c.poll(flow.polling_code), 401, 'access_denied', 'user declined consent');
  // the consent request is gone
  assert.equal((await http(flow.consent_uri)).status, 404);
  // LocalServer.decline does the same
  const flow2 = assertOk(await c.startFlow());
  await server.decline(flow2.consent_uri);
  assertError(await c.poll(flow2.polling_code), 401, 'access_denied', 'user declined consent');
  const abort = await http(`${server.url}${r.json.url}`);
  assert.equal(abort.status, 200);
  assert.match(abort.text, /my app/);
});

test('9.2/24 a JSON approval gives 278 with the OP authorization URL (code, PKCE S256, state, prompt=consent, scope, resource)', async () => {
  const flow = assertOk(await c.startFlow());
  const r = await http(flow.consent_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      oidc_issuer: server.issuer,
      capabilities: ['AT'],
      restrictions: [
        { scope: 'storage.read', audience: ['https://a.example'] },
        { scope: 'profile', audience: ['https://b.example', 'https://a.example'] },
      ],
    }),
  });
  assert.equal(r.status, 278, r.text);
  const u = new URL(r.json.authorization_uri);
  assert.equal(u.origin, server.issuer);
  const p = u.searchParams;
  assert.equal(p.get('response_type'), 'code');
  assert.equal(p.get('redirect_uri'), `${server.url}/redirect`);
  assert.equal(p.get('code_challenge_method'), 'S256');
  assert.match(p.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(p.get('state'));
  assert.ok(p.get('client_id'));
  assert.equal(p.get('prompt'), 'consent');
  assert.deepEqual(p.get('scope')!.split(' ').sort(), ['offline_access', 'openid', 'profile', 'storage.read']);
  assert.deepEqual(p.getAll('resource'), ['https://a.example', 'https://b.example']);
  // finishing the flow from the authorization URL works
  await server.approve(r.json.authorization_uri);
  const t = assertOk(await c.poll(flow.polling_code));
  assert.deepEqual(t.capabilities, ['AT']);
});

test('4.2 without scopes in the clauses all OP scopes are requested', async () => {
  const flow = assertOk(await c.startFlow());
  const loc = (await http(flow.consent_uri)).headers.get('location')!;
  const p = new URL(loc).searchParams;
  assert.deepEqual(p.get('scope')!.split(' ').sort(), ['compute', 'email', 'offline_access', 'openid', 'profile', 'storage.read', 'storage.write']);
  assert.deepEqual(p.getAll('resource'), []);
});

test('9.2/25 an approval with an unknown capability gives 400 unknown capability', async () => {
  const flow = assertOk(await c.startFlow());
  const approve = (body: unknown) =>
    http(flow.consent_uri, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assertError(
    await approve({ oidc_issuer: server.issuer, capabilities: ['AT', 'foo'] }),
    400,
    'invalid_request',
    "unknown capability 'foo'",
  );
  assertError(await approve({ oidc_issuer: server.issuer, capabilities: ['read@AT:x', 'write@settings'] }), 400, 'invalid_request', "unknown capability 'write@settings'");
  // below a known one is fine
  assert.equal((await approve({ oidc_issuer: server.issuer, capabilities: ['tokeninfo:foo', 'read@settings:grants'] })).status, 278);
  assertError(await approve({ capabilities: ['AT'] }), 400, 'invalid_request', 'The provided issuer is not supported');
});

test('4.2 consent edge cases: unknown code (GET 404 page, POST 500 Not Found), unknown state at /redirect (400 page)', async () => {
  const g = await http(`${server.url}/c/unknownX`);
  assert.equal(g.status, 404);
  assert.match(String(g.headers.get('content-type')), /^text\/html/);
  assertError(await http(`${server.url}/c/unknownX`, { method: 'POST', body: '{}' }), 500, 'internal_server_error', 'Not Found');
  const r = await http(`${server.url}/redirect?state=nope&code=x`);
  assert.equal(r.status, 400);
  assert.match(r.text, /State mismatched/);
});

test('9.2/26 after approval exactly one poll returns the token; the next gives 401 invalid_token', async () => {
  const flow = assertOk(await c.startFlow());
  await server.approve(flow.consent_uri);
  const t = assertOk(await c.poll(flow.polling_code));
  assert.equal(t.mytoken_type, 'token');
  assertError(await c.poll(flow.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
});

test('9.2/27 the token carries the capabilities, restrictions and name of the approval, not of the request', async () => {
  const flow = assertOk(
    await c.startFlow({ capabilities: ['AT', 'tokeninfo', 'create_mytoken'], name: 'requested', restrictions: [{ usages_AT: 10 }] }),
  );
  const exp = nowSeconds() + 3600;
  const r = await http(flow.consent_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      oidc_issuer: server.issuer,
      capabilities: ['AT'],
      name: 'approved',
      restrictions: [{ exp, usages_AT: 2, scope: 'openid storage.read' }],
      rotation: { on_AT: true },
    }),
  });
  assert.equal(r.status, 278);
  await server.approve(r.json.authorization_uri);
  const t = assertOk(await c.poll(flow.polling_code));
  assert.deepEqual(t.capabilities, ['AT']);
  assert.deepEqual(t.restrictions, [{ exp, scope: 'openid storage.read', usages_AT: 2 }]);
  assert.deepEqual(t.rotation, { on_AT: true });
  const claims = decodeJwt(t.mytoken);
  assert.equal(claims.name, 'approved');
  assert.deepEqual(claims.capabilities, ['AT']);
  assert.deepEqual(claims.restrictions, [{ exp, scope: 'openid storage.read', usages_AT: 2 }]);
});

test('9.2/28 a flow-created token has seq_no 1 and auth_time equal to iat', async () => {
  const t0 = nowSeconds();
  const t = await server.mint();
  const t1 = nowSeconds();
  const claims = decodeJwt(t.mytoken);
  assert.equal(claims.seq_no, 1);
  assert.equal(claims.auth_time, claims.iat);
  assert.ok(Number(claims.iat) >= t0 && Number(claims.iat) <= t1, `iat ${claims.iat} not in [${t0}, ${t1}]`);
});

test('9.2/29 without capabilities the consent page shows and the token gets ["AT","tokeninfo"]', async () => {
  const flow = assertOk(await m.startFlow({ name: 'page test', application_name: 'demo app' }));
  const page = await http(flow.consent_uri);
  assert.equal(page.status, 200);
  assert.match(String(page.headers.get('content-type')), /^text\/html/);
  assert.match(page.text, /<code>AT<\/code> <code>tokeninfo<\/code>/);
  assert.match(page.text, /page test/);
  assert.match(page.text, /demo app/);
  assert.match(page.text, /Approve/);
  assert.match(page.text, /Decline/);
  assert.match(page.text, /<script>/);
  // approve() clicks "Approve" on the page (POST JSON) and follows the OP redirects
  await manual.approve(flow.consent_uri);
  const t = assertOk(await m.poll(flow.polling_code));
  assert.deepEqual(t.capabilities, ['AT', 'tokeninfo']);
  const t2 = await server.mint();
  assert.deepEqual(t2.capabilities, ['AT', 'tokeninfo']);
  assert.deepEqual(decodeJwt(t2.mytoken).capabilities, ['AT', 'tokeninfo']);
});

test('9.2/30 response_type of the oidc_flow request determines mytoken_type of the poll', async () => {
  const short = await server.mint({ response_type: 'short_token' });
  assert.equal(short.mytoken_type, 'short_token');
  assert.match(short.mytoken, SHORT_TOKEN_RE);
  const tc = await server.mint({ response_type: 'transfer_code' });
  assert.equal(tc.mytoken_type, 'transfer_code');
  assert.equal(tc.mytoken, undefined);
  const jwt = await server.mint({ response_type: 'token' });
  assert.equal(jwt.mytoken_type, 'token');
  assert.equal(decodeJwt(jwt.mytoken).token_type, 'mytoken');
});

test('4.2 the flow ends on /native (with application) and the pages are HTML', async () => {
  const flow = assertOk(await c.startFlow({ application_name: 'CLI' }));
  // follow by hand to see the last redirect
  let url = flow.consent_uri as string;
  const jar = new Map<string, string>();
  let last = '';
  for (let i = 0; i < 20 && !last; i++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const ck of res.headers.getSetCookie()) {
      const kv = ck.split(';')[0]!;
      jar.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
    }
    await res.arrayBuffer();
    const loc = res.headers.get('location');
    if (!loc) break;
    if (url.startsWith(`${server.url}/redirect`)) {
      assert.equal(res.status, 303);
      last = loc;
    }
    url = new URL(loc, url).href;
  }
  assert.equal(last, '/native?application=CLI');
  const page = await http(`${server.url}${last}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /CLI/);
  assert.equal(assertOk(await c.poll(flow.polling_code)).mytoken_type, 'token');
});

test('4.1.2 web flow: the token ends up in a cookie and the browser is sent to redirect_uri', async () => {
  const flow = assertOk(await c.startFlow({ client_type: 'web', redirect_uri: 'http://127.0.0.1:9/home' }));
  let url = flow.consent_uri as string;
  const jar = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    await res.arrayBuffer();
    const isRedirect = url.startsWith(`${server.url}/redirect`);
    for (const ck of res.headers.getSetCookie()) {
      if (isRedirect) {
        assert.match(ck, /^mytoken=eyJ[^;]+; Path=\/api; HttpOnly; SameSite=Strict$/);
      }
      const kv = ck.split(';')[0]!;
      jar.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
    }
    if (isRedirect) {
      assert.equal(res.headers.get('location'), 'http://127.0.0.1:9/home');
      break;
    }
    url = new URL(res.headers.get('location')!, url).href;
  }
  assert.ok(jar.get('mytoken'));
  assert.equal(decodeJwt(jar.get('mytoken')!).token_type, 'mytoken');
});

test('4.2 an OP error at the redirect shows a 555 page and deletes the flow (polls get 401 invalid_token)', async () => {
  const flow = assertOk(await c.startFlow({ restrictions: [{ audience: ['not a resource uri'] }] }));
  await assert.rejects(server.approve(flow.consent_uri), /stuck at .*\/redirect\?error=invalid_target.*HTTP 555/s);
  assertError(await c.poll(flow.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
});
