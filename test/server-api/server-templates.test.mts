// Local mytoken server, spec server-api.md 4.11 and 5.13 (checklist 9.11/109-114): the profiles and
// templates endpoint, the default templates of the reference deployment, and `include` in
// oidc_flow and sub-token requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, http, nowSeconds } from '../server/testing.mjs';
import type { Reply } from '../server/testing.mjs';

const H = 3600;
const D = 86400;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALL = ['AT', 'tokeninfo', 'manage_mytokens', 'create_mytoken', 'settings'];
const WLCG_PASSWORD = 'wlcg-secret';

let server: LocalServer; // default templates + test templates, groups _ and wlcg
let strict: LocalServer; // errorOnRestrictions, no auto-approval
let plain: LocalServer; // defaults only
let c: ReturnType<typeof api>;
let s: ReturnType<typeof api>;

before(async () => {
  const started = await Promise.allSettled([
    startLocalServer({
      interval: 1,
      templatePasswords: { _: 'admin', wlcg: WLCG_PASSWORD },
      templates: {
        _: {
          restrictions: {
            two: [
              { scope: 'openid', usages_AT: 1 },
              { scope: 'storage.read', usages_AT: 2 },
            ],
            lab: { hosts: ['192.0.2.0/24'], usages_AT: 3, scope: 'openid' },
            times: { nbf: '1599004800', exp: '2030-01-02 03:04' },
          },
          profiles: {
            p1: { name: 'from-p1', capabilities: ['tokeninfo'], rotation: { on_AT: true }, response_type: 'short_token' },
            p2: { name: 'from-p2', capabilities: ['AT', 'create_mytoken'], rotation: { on_other: true, lifetime: 100 } },
            p3: { include: 'p1', capabilities: ['settings'] },
          },
        },
        wlcg: {
          capabilities: { reader: ['@_/default', 'read@settings', 'AT'] },
          restrictions: { storage: { scope: 'openid storage.read', include: '_/1d' } },
          // names inside a template default to group _ as well: its own group must be named
          profiles: { storage: { include: '_/agent', restrictions: ['wlcg/storage'], rotation: 'at' } },
        },
      },
    }),
    startLocalServer({ interval: 1, errorOnRestrictions: true, autoApprove: false }),
    startLocalServer({ interval: 1 }),
  ]);
  const [a, b, d] = started.map((x) => (x.status === 'fulfilled' ? x.value : undefined));
  [server, strict, plain] = [a!, b!, d!];
  const failed = started.find((x) => x.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  c = api(server);
  s = api(strict);
});
after(() => Promise.all([server?.close(), strict?.close(), plain?.close()]));

/**
 * `actual` is `offset` seconds after a time the server read from its clock: after `t0` (the test's
 * clock read before the request) and before now (read here, after the reply).
 */
function within(actual: unknown, t0: number, offset: number, what = 'time'): void {
  const t1 = nowSeconds();
  assert.ok(
    typeof actual === 'number' && actual >= t0 + offset && actual <= t1 + offset,
    `${what}: ${String(actual)} not in [${t0 + offset}, ${t1 + offset}]`,
  );
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const ADMIN = basic('_', 'admin');
const WLCG = basic('wlcg', WLCG_PASSWORD);

function send(srv: LocalServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return http(srv.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function entries(srv: LocalServer, path: string): Promise<Record<string, { id: string; payload: any }>> {
  const list = assertOk(await http(srv.url + path)) as { id: string; name: string; payload: unknown }[];
  return Object.fromEntries(list.map((e) => [e.name, { id: e.id, payload: e.payload }]));
}

/** A mytoken with every capability, unrestricted: the parent of sub-token requests. */
const parent = () => server.mint({ capabilities: ['@all'] });

// ---------------------------------------------------------------------------------------------
// the endpoint (4.11)

test('9.11/109 GET profiles_endpoint returns the group names, including _', async () => {
  const doc = assertOk(await c.get('/.well-known/mytoken-configuration'));
  assert.equal(doc.profiles_endpoint, `${server.url}/api/v0/pt`);
  const r = await http(doc.profiles_endpoint);
  assert.match(String(r.headers.get('content-type')), /^application\/json/);
  assert.deepEqual(assertOk(r), ['_', 'wlcg']);
  assert.deepEqual(assertOk(await http(`${plain.url}/api/v0/pt`)), ['_']);
  assert.deepEqual(assertOk(await http(`${plain.url}/api/v0/pt/`)), ['_']);
});

test('9.11/110 GET <profiles_endpoint>/_/capabilities returns entries with id, name and an array payload', async () => {
  const list = assertOk(await http(`${plain.url}/api/v0/pt/_/capabilities`));
  assert.ok(Array.isArray(list));
  for (const e of list) {
    assert.deepEqual(Object.keys(e), ['id', 'name', 'payload']);
    assert.match(e.id, UUID_RE);
    assert.ok(Array.isArray(e.payload), JSON.stringify(e));
  }
  const byName = await entries(plain, '/api/v0/pt/_/capabilities');
  assert.deepEqual(Object.keys(byName).sort(), ['all', 'default', 'default+MT']);
  assert.deepEqual(byName.default!.payload, ['AT', 'tokeninfo']);
  assert.deepEqual(byName['default+MT']!.payload, ['AT', 'tokeninfo', 'create_mytoken']); // @default expanded
  assert.deepEqual(byName.all!.payload, ALL);
  // the group may be left out; ids are stable
  const again = await entries(plain, '/api/v0/pt/capabilities');
  assert.deepEqual(again, byName);
});

test('4.11 default restriction templates: relative times resolved at the time of the GET, "this" kept', async () => {
  const now = nowSeconds();
  const r = await entries(plain, '/api/v0/pt/_/restrictions');
  assert.deepEqual(Object.keys(r).sort(), ['12h', '1d', '1m', '1w', '1y', 'ip-this', 'web-default']);
  for (const [name, secs] of [['12h', 12 * H], ['1d', D], ['1w', 7 * D], ['1m', 30 * D], ['1y', 365 * D]] as const) {
    assert.equal(r[name]!.payload.length, 1, name);
    assert.deepEqual(Object.keys(r[name]!.payload[0]), ['exp'], name);
    within(r[name]!.payload[0].exp, now, secs, name);
  }
  assert.deepEqual(r['ip-this']!.payload, [{ hosts: ['this'] }]);
  const [wd] = r['web-default']!.payload;
  within(wd.exp, now, 12 * H);
  assert.deepEqual({ ...wd, exp: 0 }, { exp: 0, hosts: ['this'], usages_AT: 15 });
  assert.equal(r['web-default']!.payload.length, 1);
});

test('4.11 default rotation templates and profiles, resolved', async () => {
  const rot = await entries(plain, '/api/v0/pt/_/rotation');
  const payloads = Object.fromEntries(Object.entries(rot).map(([k, v]) => [k, v.payload]));
  assert.deepEqual(payloads, {
    at: { on_AT: true },
    other: { on_other: true },
    'auto-revoke': { auto_revoke: true },
    daily: { lifetime: 86400 },
    weekly: { lifetime: 604800 },
    monthly: { lifetime: 2592000 },
    'at-other-auto-revoke': { on_AT: true, on_other: true, auto_revoke: true },
    'at-other-daily-auto-revoke': { on_AT: true, on_other: true, lifetime: 86400, auto_revoke: true },
    'at-other-weekly-auto-revoke': { on_AT: true, on_other: true, lifetime: 604800, auto_revoke: true },
    'at-other-no-auto-revoke': { on_AT: true, on_other: true },
  });
  const now = nowSeconds();
  const prof = await entries(plain, '/api/v0/pt/_/profiles');
  assert.deepEqual(Object.keys(prof).sort(), ['agent', 'web-default']);
  assert.deepEqual(prof.agent!.payload, { capabilities: ALL });
  const wd = prof['web-default']!.payload;
  assert.deepEqual(wd.capabilities, ['AT', 'tokeninfo']);
  within(wd.restrictions[0].exp, now, 12 * H);
  assert.deepEqual(wd.restrictions, [{ exp: wd.restrictions[0].exp, hosts: ['this'], usages_AT: 15 }]);
  // a profile of another group including one of group _
  const storage = (await entries(server, '/api/v0/pt/wlcg/profiles')).storage!.payload;
  assert.deepEqual(storage.capabilities, ALL);
  assert.deepEqual(storage.rotation, { on_AT: true });
  within(storage.restrictions[0].exp, now, D);
  assert.deepEqual(storage.restrictions, [{ exp: storage.restrictions[0].exp, scope: 'openid storage.read' }]);
});

test('4.11 a group without entries of a type gives null; unknown group and unknown type give 404 not_found', async () => {
  const r = await http(`${server.url}/api/v0/pt/wlcg/rotation`);
  assert.equal(r.status, 200);
  assert.equal(r.text, 'null');
  assert.deepEqual(Object.keys(await entries(server, '/api/v0/pt/wlcg/capabilities')), ['reader']);
  // [choice] the spec does not say what an unknown group gives: 404 like an unknown route
  assertError(await http(`${server.url}/api/v0/pt/nogroup/restrictions`), 404, 'not_found', '/api/v0/pt/nogroup/restrictions');
  assertError(await http(`${server.url}/api/v0/pt/_/tokens`), 404, 'not_found', '/api/v0/pt/_/tokens');
  assertError(await http(`${server.url}/api/v0/pt/_/restrictions/x`), 404, 'not_found');
});

test('4.11 relative times stay relative in storage: each GET resolves them anew', async () => {
  const first = (await entries(plain, '/api/v0/pt/_/restrictions'))['1d']!.payload[0].exp;
  setClockOffset(1.05); // the second GET 1.05 s later on the server's clock, without waiting for it
  try {
    const second = (await entries(plain, '/api/v0/pt/_/restrictions'))['1d']!.payload[0].exp;
    assert.ok(second > first, `${second} > ${first}`);
  } finally {
    setClockOffset(0);
  }
});

test('9.11/114 POST <profiles_endpoint>/_/restrictions without HTTP Basic credentials returns 401 (non-JSON body)', async () => {
  const body = { name: 'x', payload: { exp: '+1h' } };
  for (const headers of [{}, basic('_', 'wrong'), basic('nobody', 'admin'), { authorization: 'Bearer abc' }, { authorization: 'Basic !!!' }]) {
    const r = await send(plain, 'POST', '/api/v0/pt/_/restrictions', body, headers);
    assert.equal(r.status, 401, JSON.stringify(headers));
    assert.equal(r.json, undefined, r.text);
    assert.equal(r.text, 'Unauthorized');
    assert.match(String(r.headers.get('www-authenticate')), /^Basic /);
  }
  for (const method of ['PUT', 'DELETE']) {
    const r = await send(plain, method, '/api/v0/pt/_/restrictions/0d0c8a1e-7f6b-4a51-9c2e-1b2c3d4e5f60', body);
    assert.equal(r.status, 401);
  }
  // nothing was created
  assert.equal((await entries(plain, '/api/v0/pt/_/restrictions')).x, undefined);
});

test('4.11 management: POST 201 Created, PUT 200 OK (id in path, query or body), DELETE 204; usable in requests at once', async () => {
  const created = await send(server, 'POST', '/api/v0/pt/_/restrictions', { name: 'tmp', payload: { exp: '+2h', hosts: ['192.0.2.0/24'] } }, ADMIN);
  assert.equal(created.status, 201);
  assert.equal(created.text, 'Created');
  assert.match(String(created.headers.get('content-type')), /^text\/plain/);
  const listed = nowSeconds();
  let list = await entries(server, '/api/v0/pt/restrictions');
  const id = list.tmp!.id;
  assert.match(id, UUID_RE);
  within(list.tmp!.payload[0].exp, listed, 2 * H);
  const p = await parent();
  const child = assertOk(await c.sub(p.mytoken, { restrictions: 'tmp' }));
  assert.deepEqual(child.restrictions, [{ exp: child.restrictions[0].exp, hosts: ['192.0.2.0/24'] }]);

  // PUT with the id in the path (group _ implied), in the query, in the body
  const put1 = await send(server, 'PUT', `/api/v0/pt/restrictions/${id}`, { name: 'tmp', payload: { usages_AT: 1 } }, ADMIN);
  assert.equal(put1.status, 200);
  assert.equal(put1.text, 'OK');
  assert.match(String(put1.headers.get('content-type')), /^text\/plain/);
  assert.deepEqual((await entries(server, '/api/v0/pt/_/restrictions')).tmp!.payload, [{ usages_AT: 1 }]);
  assert.equal((await send(server, 'PUT', `/api/v0/pt/_/restrictions?id=${id}`, { name: 'tmp', payload: { usages_AT: 2 } }, ADMIN)).status, 200);
  assert.deepEqual((await entries(server, '/api/v0/pt/_/restrictions')).tmp!.payload, [{ usages_AT: 2 }]);
  assert.equal((await send(server, 'PUT', '/api/v0/pt/_/restrictions', { id, name: 'tmp2', payload: { usages_AT: 3 } }, ADMIN)).status, 200);
  list = await entries(server, '/api/v0/pt/_/restrictions');
  assert.equal(list.tmp, undefined);
  assert.deepEqual(list.tmp2, { id, payload: [{ usages_AT: 3 }] });
  assert.deepEqual(assertOk(await c.sub(p.mytoken, { restrictions: ['tmp2'] })).restrictions, [{ usages_AT: 3 }]);

  const del = await send(server, 'DELETE', `/api/v0/pt/_/restrictions/${id}`, undefined, ADMIN);
  assert.equal(del.status, 204);
  assert.equal(del.text, '');
  assert.equal((await entries(server, '/api/v0/pt/_/restrictions')).tmp2, undefined);
  assertError(await c.sub(p.mytoken, { restrictions: 'tmp2' }), 400, 'invalid_request', "unknown include name: 'tmp2'");
  assertError(await send(server, 'DELETE', `/api/v0/pt/_/restrictions/${id}`, undefined, ADMIN), 404, 'not_found');
});

test('4.11 management: the group in the path must be the user (403 Forbidden); each group manages its own', async () => {
  const body = { name: 'g', payload: ['AT'] };
  for (const [path, headers] of [
    ['/api/v0/pt/_/capabilities', WLCG],
    ['/api/v0/pt/capabilities', WLCG],
    ['/api/v0/pt/wlcg/capabilities', ADMIN],
    ['/api/v0/pt/other/capabilities', ADMIN],
  ] as const) {
    const r = await send(server, 'POST', path, body, headers);
    assert.equal(r.status, 403, `${path}: ${r.text}`);
    assert.deepEqual(r.json, { error: 'Forbidden', error_description: 'Forbidden' });
  }
  assert.equal((await send(server, 'POST', '/api/v0/pt/wlcg/capabilities', body, WLCG)).status, 201);
  const wl = await entries(server, '/api/v0/pt/wlcg/capabilities');
  assert.deepEqual(wl.g!.payload, ['AT']);
  // usable as wlcg/g, not as g
  const p = await parent();
  assert.deepEqual(assertOk(await c.sub(p.mytoken, { capabilities: ['@wlcg/g'] })).capabilities, ['AT']);
  assertError(await c.sub(p.mytoken, { capabilities: '@g' }), 400, 'invalid_request', "unknown include name: 'g'");
  // an id of group _ is not found through group wlcg; admin cannot touch wlcg ids
  const underscoreId = (await entries(server, '/api/v0/pt/_/capabilities')).default!.id;
  assertError(await send(server, 'PUT', `/api/v0/pt/wlcg/capabilities/${underscoreId}`, body, WLCG), 404, 'not_found');
  assert.equal((await send(server, 'DELETE', `/api/v0/pt/wlcg/capabilities/${wl.g!.id}`, undefined, ADMIN)).status, 403);
  assert.equal((await send(server, 'DELETE', `/api/v0/pt/wlcg/capabilities/${wl.g!.id}`, undefined, WLCG)).status, 204);
  assert.equal((await entries(server, '/api/v0/pt/wlcg/capabilities')).g, undefined);
});

test('4.11 management errors: bad JSON, missing name/payload/id, unresolvable payload, duplicate name, bad id', async () => {
  const post = (body: unknown) => send(plain, 'POST', '/api/v0/pt/_/restrictions', body, ADMIN);
  assertError(await post('not json'), 400, 'invalid_request');
  assertError(await post({ payload: { exp: '+1h' } }), 400, 'invalid_request', "required parameter 'name' is missing");
  assertError(await post({ name: 'n' }), 400, 'invalid_request', "required parameter 'payload' is missing");
  assertError(await post({ name: 'n', payload: { include: 'nothere' } }), 400, 'invalid_request', "unknown include name: 'nothere'");
  assertError(await post({ name: 'n', payload: { exp: 'soon' } }), 400, 'invalid_request', "could not parse time 'soon'");
  assertError(await post({ name: '1d', payload: { exp: '+2d' } }), 409, 'invalid_request', "a template named '1d' already exists");
  assertError(await send(plain, 'POST', '/api/v0/pt/_/profiles', { name: 'n', payload: 'agent' }, ADMIN), 400, 'invalid_request');
  const put = (path: string, body: unknown) => send(plain, 'PUT', path, body, ADMIN);
  assertError(await put('/api/v0/pt/_/restrictions', { name: 'n', payload: {} }), 400, 'invalid_request', "required parameter 'id' is missing");
  assertError(await put('/api/v0/pt/_/restrictions/not-a-uuid', { name: 'n', payload: {} }), 400, 'invalid_request');
  assertError(await put('/api/v0/pt/_/restrictions/0d0c8a1e-7f6b-4a51-9c2e-1b2c3d4e5f60', { name: 'n', payload: {} }), 404, 'not_found');
  const id1d = (await entries(plain, '/api/v0/pt/_/restrictions'))['1d']!.id;
  assertError(await put(`/api/v0/pt/_/restrictions/${id1d}`, { name: '1w' }), 409, 'invalid_request');
  // the defaults are untouched
  const r = await entries(plain, '/api/v0/pt/_/restrictions');
  assert.deepEqual(Object.keys(r).sort(), ['12h', '1d', '1m', '1w', '1y', 'ip-this', 'web-default']);
});

// ---------------------------------------------------------------------------------------------
// include in requests (5.13)

test('9.11/111 capabilities ["@default"] yields a token with capabilities AT and tokeninfo', async () => {
  const t = await server.mint({ capabilities: ['@default'] });
  assert.deepEqual(t.capabilities, ['AT', 'tokeninfo']);
  assert.deepEqual(decodeJwt(t.mytoken).capabilities, ['AT', 'tokeninfo']);
  const mt = await server.mint({ capabilities: '@default+MT' });
  assert.deepEqual(mt.capabilities, ['AT', 'tokeninfo', 'create_mytoken']);
  const child = assertOk(await c.sub(mt.mytoken, { capabilities: ['@default'] }));
  assert.deepEqual(child.capabilities, ['AT', 'tokeninfo']);
});

test('9.11/112 an unknown template name gives 400 unknown include name in every place that accepts includes', async () => {
  const unknown = (r: Reply, name: string) => assertError(r, 400, 'invalid_request', `unknown include name: '${name}'`);
  unknown(await c.startFlow({ include: 'nope' }), 'nope');
  unknown(await c.startFlow({ include: ['agent', 'nope2'] }), 'nope2');
  unknown(await c.startFlow({ capabilities: ['AT', '@nope'] }), 'nope');
  unknown(await c.startFlow({ restrictions: '1d nope' }), 'nope');
  unknown(await c.startFlow({ restrictions: ['1d', 'nope'] }), 'nope');
  unknown(await c.startFlow({ restrictions: [{ include: ['ip-this', 'nope'] }] }), 'nope');
  unknown(await c.startFlow({ restrictions: { include: 'nope' } }), 'nope');
  unknown(await c.startFlow({ rotation: 'at nope' }), 'nope');
  unknown(await c.startFlow({ rotation: { include: ['nope'] } }), 'nope');
  unknown(await c.startFlow({ restrictions: 'wlcg/1d' }), 'wlcg/1d'); // 1d lives in group _
  unknown(await c.startFlow({ restrictions: 'nogroup/1d' }), 'nogroup/1d');
  unknown(await c.startFlow({ include: 'default' }), 'default'); // a capability template, not a profile
  // names are separated by single spaces; array entries are names as they stand (reference parser)
  unknown(await c.startFlow({ include: 'agent  web-default' }), '');
  unknown(await c.startFlow({ restrictions: [{ include: ['1d ip-this'] }] }), '1d ip-this');
  unknown(await c.startFlow({ rotation: 'at ' }), '');
  const p = await parent();
  unknown(await c.sub(p.mytoken, { include: 'nope' }), 'nope');
  unknown(await c.sub(p.mytoken, { restrictions: [{ include: 'nope' }] }), 'nope');
});

test('9.11/113 restrictions [{"include": "1d"}] yield a clause with exp within a few seconds of now + 86400', async () => {
  const minted = nowSeconds();
  const t = await server.mint({ restrictions: [{ include: '1d' }] });
  within(t.restrictions[0].exp, minted, D);
  assert.equal(t.restrictions.length, 1);
  assert.equal(decodeJwt(t.mytoken).exp, t.restrictions[0].exp);
  const p = await parent();
  const asked = nowSeconds();
  const child = assertOk(await c.sub(p.mytoken, { restrictions: [{ include: '@1d' }] }));
  within(child.restrictions[0].exp, asked, D);
});

test('5.13 profiles: request values win, arrays are unioned (base first), objects merged, earlier profiles win', async () => {
  const t = await server.mint({ include: ['p1', 'p2'], capabilities: ['AT'], rotation: { lifetime: 50 } });
  assert.equal(t.mytoken_type, 'short_token'); // response_type from p1
  assert.deepEqual(t.capabilities, ['AT', 'tokeninfo', 'create_mytoken']);
  assert.deepEqual(t.rotation, { on_AT: true, on_other: true, lifetime: 50 });
  const jwt = await server.mint({ include: ['p1', 'p2'], response_type: 'token' });
  assert.equal(jwt.mytoken_type, 'token');
  assert.equal(decodeJwt(jwt.mytoken).name, 'from-p1');
  const own = await server.mint({ include: 'p2 p1', name: 'mine', response_type: 'token' });
  assert.equal(decodeJwt(own.mytoken).name, 'mine');
  assert.equal(own.mytoken_type, 'token');
  assert.deepEqual(own.capabilities, ['AT', 'create_mytoken', 'tokeninfo']);
  assert.deepEqual(own.rotation, { on_AT: true, on_other: true, lifetime: 100 });
  // profiles include profiles
  const nested = await server.mint({ include: 'p3', response_type: 'token' });
  assert.deepEqual(nested.capabilities, ['settings', 'tokeninfo']);
  assert.equal(decodeJwt(nested.mytoken).name, 'from-p1');
  // a scalar in the request wins over an array of a profile ...
  const scalar = await server.mint({ include: 'agent', capabilities: 'AT' });
  assert.deepEqual(scalar.capabilities, ['AT']);
  // ... an object in the request cannot take a non-object from a profile
  assertError(await c.startFlow({ include: 'web-default', restrictions: { scope: 'openid' } }), 400, 'invalid_request');
  // a profile's string of restriction templates joins the request's clause array
  const both = await server.mint({ include: 'web-default', restrictions: [{ scope: 'openid' }] });
  assert.equal(both.restrictions.length, 2);
  assert.deepEqual(both.restrictions[0], { scope: 'openid' });
  assert.deepEqual({ ...both.restrictions[1], exp: 0 }, { exp: 0, hosts: ['127.0.0.1'], usages_AT: 15 });
});

test('5.13 capability templates expand recursively, across groups (group/name), without duplicates', async () => {
  const t = await server.mint({ capabilities: ['@wlcg/reader', 'tokeninfo', '@default+MT'] });
  assert.deepEqual(t.capabilities, ['AT', 'tokeninfo', 'read@settings', 'create_mytoken']);
  assert.deepEqual((await entries(server, '/api/v0/pt/wlcg/capabilities')).reader!.payload, ['AT', 'tokeninfo', 'read@settings']);
  const agent = await server.mint({ include: 'agent' });
  assert.deepEqual(agent.capabilities, ALL);
});

test('5.13 restriction templates: objects merge into the clause, arrays add clauses, names alone contribute clauses', async () => {
  const p = await parent();
  const sub = async (restrictions: unknown) => assertOk(await c.sub(p.mytoken, { restrictions })).restrictions;
  const now = nowSeconds();
  // clause members win, arrays (hosts) are unioned; "this" is replaced
  assert.deepEqual(await sub([{ include: ['lab', 'ip-this'], usages_AT: 5, hosts: ['10.0.0.1'] }]), [
    { scope: 'openid', hosts: ['10.0.0.1', '192.0.2.0/24', '127.0.0.1'], usages_AT: 5 },
  ]);
  // an array template adds its clauses after the clause (without merging into it)
  const [own, a, b, ...rest] = await sub([{ include: 'two', exp: '+1h' }]);
  within(own.exp, now, H);
  assert.deepEqual([Object.keys(own), a, b, rest], [['exp'], { scope: 'openid', usages_AT: 1 }, { scope: 'storage.read', usages_AT: 2 }, []]);
  // names standing alone in the array: one clause each
  const alone = await sub(['1d', 'ip-this']);
  within(alone[0].exp, now, D);
  assert.deepEqual(alone, [{ exp: alone[0].exp }, { hosts: ['127.0.0.1'] }]);
  // a string of names is one clause with those includes (cf. the rotation string)
  const str = await sub('1d ip-this');
  assert.deepEqual(str, [{ exp: str[0].exp, hosts: ['127.0.0.1'] }]);
  const mixed = await sub(['1w ip-this', { usages_AT: 2 }]);
  within(mixed[0].exp, now, 7 * D);
  assert.deepEqual(mixed, [{ exp: mixed[0].exp, hosts: ['127.0.0.1'] }, { usages_AT: 2 }]);
  assert.deepEqual(await sub('two'), [{ scope: 'openid', usages_AT: 1 }, { scope: 'storage.read', usages_AT: 2 }]);
  // one clause object with include; a template in another group that includes one of group _
  const one = await sub({ include: 'wlcg/storage' });
  within(one[0].exp, now, D);
  assert.deepEqual(one, [{ exp: one[0].exp, scope: 'openid storage.read' }]);
  // a nested include: web-default = 12h + ip-this + usages_AT 15; the clause's own exp wins
  const wd = await sub([{ include: 'web-default', exp: '+1h' }]);
  within(wd[0].exp, now, H);
  assert.deepEqual(wd, [{ exp: wd[0].exp, hosts: ['127.0.0.1'], usages_AT: 15 }]);
});

test('5.13 clauses from an array template are evaluated like any clauses (first usable one charged)', async () => {
  const t = await server.mint({ restrictions: 'two' });
  assert.deepEqual(t.restrictions, [{ scope: 'openid', usages_AT: 1 }, { scope: 'storage.read', usages_AT: 2 }]);
  assertOk(await c.at(t.mytoken, { scope: 'openid' }));
  assertError(await c.at(t.mytoken, { scope: 'openid' }), 403, 'usage_restricted');
  assertOk(await c.at(t.mytoken, { scope: 'storage.read' }));
  assertOk(await c.at(t.mytoken)); // no scope: the first usable clause is the second one
  assertError(await c.at(t.mytoken), 403, 'usage_restricted');
});

test('5.13 rotation templates: a string of names, an object with include (own members win), nesting', async () => {
  const p = await parent();
  const rot = async (rotation: unknown) => assertOk(await c.sub(p.mytoken, { rotation })).rotation;
  assert.deepEqual(await rot('at daily'), { on_AT: true, lifetime: 86400 });
  assert.deepEqual(await rot({ include: 'at-other-auto-revoke', auto_revoke: false, lifetime: 60 }), { on_AT: true, on_other: true, lifetime: 60 });
  assert.deepEqual(await rot({ include: ['weekly', 'daily'] }), { lifetime: 604800 });
  assert.deepEqual(await rot('at-other-weekly-auto-revoke'), { on_AT: true, on_other: true, lifetime: 604800, auto_revoke: true });
  assert.deepEqual(await rot('at-other-no-auto-revoke'), { on_AT: true, on_other: true });
  // the expanded policy is enforced: on_AT rotation, replay revokes (auto_revoke)
  const t = await server.mint({ rotation: 'at-other-auto-revoke' });
  assert.deepEqual(t.rotation, { on_AT: true, on_other: true, auto_revoke: true });
  const u = assertOk(await c.at(t.mytoken)).token_update;
  assert.ok(u);
  assertError(await c.at(t.mytoken), 401, 'invalid_token');
  assertError(await c.at(u.mytoken), 401, 'invalid_token');
});

test('5.13 the example of 5.13: include agent, clause include ["1d","ip-this"] with usages_AT 5, rotation at-other-auto-revoke', async () => {
  const example = (mytoken: string) => ({
    grant_type: 'mytoken',
    mytoken,
    include: 'agent',
    restrictions: [{ include: ['1d', 'ip-this'], usages_AT: 5 }],
    rotation: 'at-other-auto-revoke',
  });
  const p = await parent();
  const asked = nowSeconds();
  const child = assertOk(await c.post('/api/v0/token/my', example(p.mytoken)));
  assert.deepEqual(child.capabilities, ALL);
  within(child.restrictions[0].exp, asked, D);
  assert.deepEqual(child.restrictions, [{ exp: child.restrictions[0].exp, hosts: ['127.0.0.1'], usages_AT: 5 }]);
  assert.deepEqual(child.rotation, { on_AT: true, on_other: true, auto_revoke: true });
  const claims = decodeJwt(child.mytoken);
  assert.deepEqual(claims.capabilities, ALL);
  assert.deepEqual(claims.rotation, child.rotation);
  assert.equal(claims.exp, child.restrictions[0].exp);
  // a sub-token keeps only the capabilities the parent satisfies
  const small = await server.mint({ capabilities: '@default+MT' });
  const c2 = assertOk(await c.post('/api/v0/token/my', example(small.mytoken)));
  assert.deepEqual(c2.capabilities, ['AT', 'tokeninfo', 'create_mytoken']);
  // the child works from this host and rotates on AT
  assert.ok(assertOk(await c.at(child.mytoken)).token_update);
});

test('5.13 oidc_flow: the consent page, the approval and the token show the expanded request', async () => {
  const now = nowSeconds();
  const flow = assertOk(await s.startFlow({ include: 'web-default', rotation: 'at-other-daily-auto-revoke', name: 'web' }));
  const page = await http(flow.consent_uri);
  assert.equal(page.status, 200);
  const m = /<textarea id="approval"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.text);
  assert.ok(m, 'approval textarea');
  const approval = JSON.parse(m[1]!.replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n))));
  assert.deepEqual(approval.capabilities, ['AT', 'tokeninfo']);
  within(approval.restrictions[0].exp, now, 12 * H);
  assert.deepEqual(approval.restrictions, [{ exp: approval.restrictions[0].exp, hosts: ['127.0.0.1'], usages_AT: 15 }]);
  assert.deepEqual(approval.rotation, { on_AT: true, on_other: true, lifetime: 86400, auto_revoke: true });
  assert.equal(approval.name, 'web');
  await strict.approve(flow.consent_uri); // submits the shown approval unchanged
  const t = assertOk(await s.poll(flow.polling_code));
  assert.deepEqual(t.capabilities, approval.capabilities);
  assert.deepEqual(t.restrictions, approval.restrictions);
  assert.deepEqual(t.rotation, approval.rotation);
  assert.equal(decodeJwt(t.mytoken).name, 'web');
});

test('5.3 time strings in templates and requests: digits, +duration, local "YYYY-MM-DD HH:MM"', async () => {
  const abs2030 = Math.floor(new Date(2030, 0, 2, 3, 4).getTime() / 1000);
  assert.deepEqual((await entries(server, '/api/v0/pt/_/restrictions')).times!.payload, [{ nbf: 1599004800, exp: abs2030 }]);
  const t = await server.mint({ restrictions: 'times' });
  assert.deepEqual(t.restrictions, [{ nbf: 1599004800, exp: abs2030 }]);
  const claims = decodeJwt(t.mytoken);
  assert.equal(claims.exp, abs2030);
  assert.equal(claims.nbf, claims.iat); // the clause nbf lies in the past
  const p = await parent();
  const asked = nowSeconds();
  const r = assertOk(await c.sub(p.mytoken, { restrictions: [{ nbf: '1599004800', exp: '+1d' }, { exp: '2030-01-02 03:04', include: 'ip-this' }] }));
  within(r.restrictions[0].exp, asked, D);
  assert.deepEqual(r.restrictions, [{ nbf: 1599004800, exp: r.restrictions[0].exp }, { exp: abs2030, hosts: ['127.0.0.1'] }]);
});

test('5.4 templates in sub-token requests follow the subset rules, silently or with the documented 400', async () => {
  // the strict server does not auto-approve: approve() submits the consent page unchanged
  const mint = (srv: LocalServer) => srv.mint({ capabilities: '@default+MT', restrictions: '1d' });
  for (const [srv, a] of [[plain, api(plain)], [strict, s]] as const) {
    const p = await mint(srv);
    // narrower (12h < 1d): honoured in both modes
    const asked = nowSeconds();
    const ok = assertOk(await a.sub(p.mytoken, { restrictions: [{ include: '12h ip-this' }], error_on_restrictions: true }));
    within(ok.restrictions[0].exp, asked, 12 * H);
    assert.deepEqual(ok.restrictions, [{ exp: ok.restrictions[0].exp, hosts: ['127.0.0.1'] }]);
    // wider (1w > 1d) or without exp (ip-this): not a subset
    const wider = await a.sub(p.mytoken, { restrictions: '1w', error_on_restrictions: true });
    if (srv === strict) {
      assertError(wider, 400, 'invalid_request', 'requested restrictions are not subset of original restrictions');
    } else {
      assert.deepEqual(assertOk(wider).restrictions, p.restrictions);
    }
    assert.deepEqual(assertOk(await a.sub(p.mytoken, { restrictions: 'ip-this' })).restrictions, p.restrictions);
    // capability templates are tightened silently
    assert.deepEqual(assertOk(await a.sub(p.mytoken, { capabilities: '@all' })).capabilities, ['AT', 'tokeninfo', 'create_mytoken']);
  }
});

test('server options: defaultTemplates false gives an empty group _; templates that do not resolve fail the start', async () => {
  const bare = await startLocalServer({ defaultTemplates: false, templates: { _: { capabilities: { mine: 'AT' } } } });
  try {
    assert.equal((await http(`${bare.url}/api/v0/pt/_/restrictions`)).text, 'null');
    assert.deepEqual(Object.keys(await entries(bare, '/api/v0/pt/_/capabilities')), ['mine']);
    assertError(await api(bare).startFlow({ capabilities: '@default' }), 400, 'invalid_request', "unknown include name: 'default'");
  } finally {
    await bare.close();
  }
  await assert.rejects(
    startLocalServer({ templates: { _: { restrictions: { bad: { include: 'nothere' } } } } }),
    /restrictions template '_\/bad' does not resolve: .*unknown include name: 'nothere'/,
  );
});
