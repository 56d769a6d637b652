// Local mytoken server, spec server-api.md 9.7: revocation (4.4, 5.7).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

const FAMILY = ['AT', 'create_mytoken', 'tokeninfo'];

test('9.7/74 self-revocation returns 204; afterwards the token gets 401 invalid_token', async () => {
  const t = await server.mint();
  const r = await c.revoke({ token: t.mytoken });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
  assert.equal((await c.revoke({ token: t.mytoken })).status, 204, 'revoking again is fine');
});

test('9.7/75 revoking a syntactically valid JWT with a bad signature returns 204 (and revokes nothing)', async () => {
  const t = await server.mint();
  const bad = `${t.mytoken.slice(0, -6)}AAAAAA`;
  assert.equal((await c.revoke({ token: bad })).status, 204);
  assertOk(await c.at(t.mytoken));
});

test('9.7/76 recursive revocation invalidates all descendants; non-recursive leaves the children valid', async () => {
  const root = await server.mint({ capabilities: FAMILY });
  const child = assertOk(await c.sub(root.mytoken, {}));
  const grandchild = assertOk(await c.sub(child.mytoken, {}));
  assert.equal((await c.revoke({ token: root.mytoken, recursive: true })).status, 204);
  for (const t of [root, child, grandchild]) assertError(await c.at(t.mytoken), 401, 'invalid_token');

  const root2 = await server.mint({ capabilities: FAMILY });
  const child2 = assertOk(await c.sub(root2.mytoken, {}));
  const grandchild2 = assertOk(await c.sub(child2.mytoken, {}));
  assert.equal((await c.revoke({ token: root2.mytoken })).status, 204);
  assertError(await c.at(root2.mytoken), 401, 'invalid_token');
  assertOk(await c.at(child2.mytoken));
  assertOk(await c.at(grandchild2.mytoken));
});

test('9.7/77 revoking a short token invalidates the underlying JWT as well', async () => {
  const t = await server.mint({ response_type: 'short_token' });
  const code = assertOk(await c.transfer(t.mytoken)).transfer_code;
  const jwt = assertOk(await c.exchange(code)).mytoken;
  assertOk(await c.at(jwt));
  assert.equal((await c.revoke({ token: t.mytoken })).status, 204);
  assertError(await c.at(jwt), 401, 'invalid_token');
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
});

test('9.7/78 a revocation request without token gets 400 no token given', async () => {
  assertError(await c.revoke({}), 400, 'invalid_request', 'no token given');
  // the Authorization header is not consulted, the cookie is
  const t = await server.mint();
  assertError(await c.post('/api/v0/token/revoke', {}, { authorization: `Bearer ${t.mytoken}` }), 400, 'invalid_request', 'no token given');
  const r = await c.post('/api/v0/token/revoke', {}, { cookie: `mytoken=${t.mytoken}` });
  assert.equal(r.status, 204);
  assert.match(String(r.headers.get('set-cookie')), /^mytoken=; Path=\/api; Max-Age=0/);
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
});

test('9.7/79 revoking a descendant by mom_id needs no capability and returns 204', async () => {
  const root = await server.mint({ capabilities: ['create_mytoken'] });
  const child = assertOk(await c.sub(root.mytoken, {}));
  const grandchild = assertOk(await c.sub(child.mytoken, {}));
  assert.equal((await c.revoke({ token: root.mytoken, mom_id: grandchild.mom_id })).status, 204);
  assertError(await c.sub(grandchild.mytoken, {}), 401, 'invalid_token');
  assertOk(await c.sub(child.mytoken, {}));
});

test('9.7/80 revoking a non-descendant by mom_id without manage_mytokens:revoke gets 403 insufficient_capabilities', async () => {
  const a = await server.mint({ capabilities: FAMILY });
  const b = await server.mint();
  assertError(
    await c.revoke({ token: a.mytoken, mom_id: b.mom_id }),
    403,
    'insufficient_capabilities',
    "The provided token is neither a parent of the token to be revoked nor does it have the 'manage_mytokens:revoke' capability",
  );
  assertOk(await c.at(b.mytoken));
  // with the capability it works (same user)
  const admin = await server.mint({ capabilities: ['manage_mytokens:revoke'] });
  assert.equal((await c.revoke({ token: admin.mytoken, mom_id: b.mom_id })).status, 204);
  assertError(await c.at(b.mytoken), 401, 'invalid_token');
});

test('9.7/81 with manage_mytokens:revoke an unknown mom_id gets 403 invalid_grant', async () => {
  const admin = await server.mint({ capabilities: ['manage_mytokens'] });
  assertError(
    await c.revoke({ token: admin.mytoken, mom_id: 'A'.repeat(86) + '==' }),
    403,
    'invalid_grant',
    'The provided token cannot be used to revoke this mom_id',
  );
});

test('4.4 [quirk] revocation by mom_id with an unverifiable authorizing token gets 400', async () => {
  const t = await server.mint();
  assertError(await c.revoke({ token: `${t.mytoken.slice(0, -6)}AAAAAA`, mom_id: t.mom_id }), 400, 'invalid_request');
});

test('9.7/82 revoking a transfer code issued as response_type=transfer_code also revokes its token', async () => {
  const t = await server.mint({ response_type: 'transfer_code', capabilities: FAMILY });
  assert.equal((await c.revoke({ token: t.transfer_code })).status, 204);
  assertError(await c.exchange(t.transfer_code), 401, 'invalid_token', 'Bad polling or transfer code');
  // the token itself is gone: its mom_id is unknown now
  const admin = await server.mint({ capabilities: ['manage_mytokens:revoke'] });
  assertError(await c.revoke({ token: admin.mytoken, mom_id: t.mom_id }), 403, 'invalid_grant');
  // unknown codes: 204
  assert.equal((await c.revoke({ token: 'unknown1' })).status, 204);
});

test('9.7/83 self-revocation with a mismatching oidc_issuer gets 400 token not for specified issuer', async () => {
  const t = await server.mint();
  assertError(await c.revoke({ token: t.mytoken, oidc_issuer: 'https://op.example.org' }), 400, 'invalid_request', 'token not for specified issuer');
  assertOk(await c.at(t.mytoken));
  assert.equal((await c.revoke({ token: t.mytoken, oidc_issuer: server.issuer })).status, 204);
});

test('1.2 the revocation endpoint accepts form bodies', async () => {
  const t = await server.mint();
  const r = await c.post('/api/v0/token/revoke', new URLSearchParams({ token: t.mytoken }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  assert.equal(r.status, 204);
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
});

test('5.7 revoking a token revokes its refresh token at the OP without harming tokens from the same browser session', async () => {
  // one cookie jar for both logins, like a person's browser
  const jar = new Map<string, string>();
  const follow = async (start: string) => {
    let url = start;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const ck of res.headers.getSetCookie()) {
        const kv = ck.split(';')[0]!;
        jar.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
      }
      await res.arrayBuffer();
      const loc = res.headers.get('location');
      if (!loc) return;
      url = new URL(loc, url).href;
    }
  };
  const mint = async () => {
    const flow = assertOk(await c.startFlow());
    await follow(flow.consent_uri);
    return assertOk(await c.poll(flow.polling_code));
  };
  const first = await mint();
  const second = await mint();
  assert.ok(jar.size > 0);
  assert.equal((await c.revoke({ token: first.mytoken })).status, 204);
  await new Promise((r) => setTimeout(r, 200)); // the OP revocation runs in the background
  assertOk(await c.at(second.mytoken));
});
