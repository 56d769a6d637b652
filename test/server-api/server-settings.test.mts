// Local mytoken server, spec server-api.md 9.10/108 and 4.7.3 (e-mail settings), 4.7.4 (tags
// [2026]), 4.8 (tags on mytokens [2026]), 4.14 (capability tree [2026]) and the options that
// leave endpoints out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_CAPABILITIES } from '../server/capabilities.mjs';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, bearer, http } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

const EMAIL = '/api/v0/settings/email';
const TAGS = '/api/v0/settings/tags';
const TOKEN_TAGS = '/api/v0/token/my/tags';

const getEmail = (token: string) => c.get(EMAIL, bearer(token));
const putEmail = (token: string, body: unknown) => c.send('PUT', EMAIL, body, bearer(token));
const listTags = async (token: string) => assertOk(await c.get(TAGS, bearer(token))).tags;
const createTag = (token: string, name: string, body: unknown = {}) => c.send('POST', `${TAGS}/${encodeURIComponent(name)}`, body, bearer(token));
const events = async (token: string) => assertOk(await c.tokeninfo(token, 'event_history')).events.map((e: any) => [e.event, e.comment]);

/** The entry of `momId` in the user's token forest. */
async function entryOf(admin: string, momId: string): Promise<any> {
  const walk = (nodes: any[]): any =>
    nodes.map((n) => (n.token.mom_id === momId ? n.token : walk(n.children ?? []))).find(Boolean);
  return walk(assertOk(await c.tokeninfo(admin, 'list_mytokens')).mytokens);
}

// ---------------------------------------------------------------------------------------------
// e-mail

test('9.10/108 PUT e-mail settings with an empty object gets 400 no request parameter given', async () => {
  const t = await server.mint({ capabilities: ['settings'] });
  assertError(await putEmail(t.mytoken, {}), 400, 'invalid_request', 'no request parameter given');
  assertError(await putEmail(t.mytoken, 'null'), 400, 'invalid_request', 'no request parameter given');
  assertError(await c.send('PUT', EMAIL, 'x=1', { ...bearer(t.mytoken), 'content-type': 'text/plain' }), 400, 'invalid_request', 'Unprocessable Entity');
});

test('4.7.3 GET e-mail: the address from the OP, verified, plain text; read@settings:email suffices', async () => {
  const user = 'erin';
  const t = await server.mint({ capabilities: ['read@settings:email'] }, { user });
  const r = assertOk(await getEmail(t.mytoken));
  assert.deepEqual(r, { email_address: 'erin@example.test', email_verified: true, prefer_html_mail: false });
  assertError(await putEmail(t.mytoken, { prefer_html_mail: true }), 403, 'insufficient_capabilities');
  const at = await server.mint({ capabilities: ['AT'] }, { user });
  assertError(await getEmail(at.mytoken), 403, 'insufficient_capabilities');
  assertError(await c.get(EMAIL), 401, 'invalid_token', 'no mytoken found in request');
  // the token may also come in the body or a cookie
  assert.equal(assertOk(await c.send('GET', EMAIL, undefined, { cookie: `mytoken=${t.mytoken}` })).email_address, 'erin@example.test');
  assert.deepEqual(server.emailOf(user), { address: 'erin@example.test', verified: true, preferHtml: false });
  assert.equal(server.emailOf('nobody'), undefined);
});

test('4.7.3 PUT e-mail: a new address is unverified until its link is opened; events and mime type', async () => {
  const user = 'frank';
  const t = await server.mint({ capabilities: ['settings:email', 'tokeninfo'] }, { user });
  assert.equal((await putEmail(t.mytoken, { email_address: 'frank@new.example' })).status, 204);
  assert.deepEqual(assertOk(await getEmail(t.mytoken)), {
    email_address: 'frank@new.example',
    email_verified: false,
    prefer_html_mail: false,
  });
  const mail = server.outbox().filter((m) => m.sub === user).at(-1)!;
  assert.equal(mail.kind, 'verify_email');
  assert.equal(mail.to, 'frank@new.example');
  assert.match(mail.link!, new RegExp(`^${server.url}/actions\\?action=verify_email&code=[A-Za-z0-9]+$`));
  assert.equal(server.verificationLinks().at(-1), mail.link);
  const page = await http(mail.link!, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers.get('content-type')), /^text\/html/);
  assert.match(page.text, /verified/);
  assert.equal(assertOk(await getEmail(t.mytoken)).email_verified, true);
  // a used link does not work again
  assert.equal((await http(mail.link!)).status, 400);
  assert.equal((await putEmail(t.mytoken, { prefer_html_mail: true })).status, 204);
  assert.equal(assertOk(await getEmail(t.mytoken)).prefer_html_mail, true);
  assert.equal((await putEmail(t.mytoken, { prefer_html_mail: false })).status, 204);
  // the same address again changes nothing
  assert.equal((await putEmail(t.mytoken, { email_address: 'frank@new.example' })).status, 204);
  assert.equal(server.emailOf(user)!.verified, true);
  assertError(await putEmail(t.mytoken, { email_address: 'not an address' }), 400, 'invalid_request', 'invalid email address');
  const log = await events(t.mytoken);
  assert.deepEqual(log.slice(0, 6), [
    ['email_mimetype_changed', 'to plain text'],
    ['email_settings_listed', undefined],
    ['email_mimetype_changed', 'to html'],
    ['email_settings_listed', undefined],
    ['email_settings_listed', undefined],
    ['email_changed', 'frank@new.example'],
  ]);
});

test('4.13 /actions: unknown actions and codes get HTML 400 pages', async () => {
  const r = await http(`${server.url}/actions?action=verify_email&code=nope`);
  assert.equal(r.status, 400);
  assert.match(String(r.headers.get('content-type')), /^text\/html/);
  assert.equal((await http(`${server.url}/actions?action=recreate_token&code=x`)).status, 400);
  assert.equal((await http(`${server.url}/actions`)).status, 400);
});

test('4.7 e-mail settings count the usage and rotate on_other tokens (200 {token_update} instead of 204)', async () => {
  const t = await server.mint({ capabilities: ['settings:email', 'tokeninfo'], rotation: { on_other: true }, restrictions: [{ usages_other: 3 }] }, { user: 'gina' });
  const r1 = assertOk(await getEmail(t.mytoken));
  assert.equal(r1.email_address, 'gina@example.test');
  const t2 = r1.token_update.mytoken;
  assertError(await getEmail(t.mytoken), 401, 'invalid_token');
  const r2 = assertOk(await putEmail(t2, { prefer_html_mail: true }));
  assert.deepEqual(Object.keys(r2), ['token_update']);
  const t3 = r2.token_update.mytoken;
  const intro = assertOk(await c.tokeninfo(t3, 'introspect'));
  assert.equal(intro.token.restrictions[0].usages_other_done, 2);
  const r3 = assertOk(await getEmail(t3)); // the third and last "other" usage
  assertError(await getEmail(r3.token_update.mytoken), 403, 'usage_restricted');
});

// ---------------------------------------------------------------------------------------------
// tags

test('4.7.4 tags: list, create (default colour), duplicates 409, rename and recolour, delete, 404 for unknown', async () => {
  const t = await server.mint({ capabilities: ['settings:tags', 'tokeninfo'] }, { user: 'hank' });
  assert.deepEqual(await listTags(t.mytoken), []);
  assert.equal((await createTag(t.mytoken, 'CI', { color: '3357FF' })).status, 204);
  assert.equal((await createTag(t.mytoken, 'prod')).status, 204);
  assert.equal((await createTag(t.mytoken, 'grün ünd spaces')).status, 204);
  assert.deepEqual(await listTags(t.mytoken), [
    { tag: 'CI', color: '3357FF' },
    { tag: 'prod', color: '808080' },
    { tag: 'grün ünd spaces', color: '808080' },
  ]);
  assertError(await createTag(t.mytoken, 'CI'), 409, 'invalid_request', 'tag already exists');
  // the body form of POST <tags>
  assert.equal((await c.send('POST', TAGS, { tag: 'dev', color: '#abc' }, bearer(t.mytoken))).status, 204);
  assert.equal((await c.send('PUT', `${TAGS}/dev`, { tag: 'devel', color: '00FF00' }, bearer(t.mytoken))).status, 204);
  assert.equal((await c.send('PUT', `${TAGS}/prod`, { color: 'FF0000' }, bearer(t.mytoken))).status, 204);
  assertError(await c.send('PUT', `${TAGS}/CI`, { tag: 'prod' }, bearer(t.mytoken)), 409, 'invalid_request', 'tag already exists');
  assertError(await c.send('PUT', `${TAGS}/CI`, {}, bearer(t.mytoken)), 400, 'invalid_request', 'no request parameter given');
  assertError(await c.send('PUT', `${TAGS}/nope`, { color: '000000' }, bearer(t.mytoken)), 404, 'not_found', 'tag not found');
  assertError(await c.send('DELETE', `${TAGS}/nope`, undefined, bearer(t.mytoken)), 404, 'not_found', 'tag not found');
  assert.equal((await c.send('DELETE', `${TAGS}/${encodeURIComponent('grün ünd spaces')}`, undefined, bearer(t.mytoken))).status, 204);
  assert.deepEqual(await listTags(t.mytoken), [
    { tag: 'CI', color: '3357FF' },
    { tag: 'prod', color: 'FF0000' },
    { tag: 'devel', color: '00FF00' },
  ]);
  assert.deepEqual((await events(t.mytoken)).slice(0, 6), [
    ['tags_listed', undefined],
    ['tag_deleted', 'grün ünd spaces'],
    ['tag_updated', 'prod'],
    ['tag_updated', 'dev -> devel'],
    ['tag_created', 'dev'],
    ['tags_listed', undefined],
  ]);
  // tags are per user
  const other = await server.mint({ capabilities: ['settings:tags'] }, { user: 'ivy' });
  assert.deepEqual(await listTags(other.mytoken), []);
});

test('4.7.4 tag names: 1-64 characters, no control characters, no "/" (400 invalid tag name)', async () => {
  const t = await server.mint({ capabilities: ['settings:tags'] }, { user: 'jack' });
  for (const bad of ['a/b', 'tab\there', 'bell\u0007', 'x'.repeat(65)]) {
    assertError(await createTag(t.mytoken, bad), 400, 'invalid_request', 'invalid tag name');
  }
  assertError(await c.send('POST', TAGS, { color: '123456' }, bearer(t.mytoken)), 400, 'invalid_request', "required parameter 'tag' is missing");
  assert.equal((await createTag(t.mytoken, 'x'.repeat(64))).status, 204);
  assert.equal((await createTag(t.mytoken, 'ok')).status, 204);
  assertError(await c.send('PUT', `${TAGS}/ok`, { tag: 'a/b' }, bearer(t.mytoken)), 400, 'invalid_request', 'invalid tag name');
});

test('4.7.4 tag capabilities: read@settings:tags lists only; settings:tags manages; rotation gives 200 {token_update}', async () => {
  const user = 'kate';
  const reader = await server.mint({ capabilities: ['read@settings:tags'] }, { user });
  assert.deepEqual(await listTags(reader.mytoken), []);
  assertError(await createTag(reader.mytoken, 'x'), 403, 'insufficient_capabilities');
  const none = await server.mint({ capabilities: ['AT'] }, { user });
  assertError(await c.get(TAGS, bearer(none.mytoken)), 403, 'insufficient_capabilities');
  const rot = await server.mint({ capabilities: ['settings'], rotation: { on_other: true } }, { user });
  const r = assertOk(await createTag(rot.mytoken, 'rotating'));
  assert.deepEqual(Object.keys(r), ['token_update']);
  const r2 = assertOk(await c.get(TAGS, bearer(r.token_update.mytoken)));
  assert.deepEqual(r2.tags, [{ tag: 'rotating', color: '808080' }]);
  assert.ok(r2.token_update);
});

// ---------------------------------------------------------------------------------------------
// tags on mytokens

test('4.8 tags on the own token show in list_mytokens and subtokens; unknown tags 404; removal', async () => {
  const user = 'liam';
  const t = await server.mint({ capabilities: ['settings:tags', 'tokeninfo', 'manage_mytokens:list', 'create_mytoken'] }, { user });
  assert.equal((await createTag(t.mytoken, 'CI', { color: '3357FF' })).status, 204);
  assertError(await c.post(TOKEN_TAGS, { tag: 'missing', mytoken: t.mytoken, include_children: false }), 404, 'not_found', 'tag not found');
  assertError(await c.post(TOKEN_TAGS, { mytoken: t.mytoken }), 400, 'invalid_request', "required parameter 'tag' is missing");
  assert.equal((await c.post(TOKEN_TAGS, { tag: 'CI', mytoken: t.mytoken, include_children: false })).status, 204);
  assert.equal((await c.post(TOKEN_TAGS, { tag: 'CI', mytoken: t.mytoken, include_children: false })).status, 204, 'again: fine');
  assert.deepEqual((await entryOf(t.mytoken, t.mom_id)).tags, [{ tag: 'CI', color: '3357FF', include_children: false }]);
  assert.deepEqual(assertOk(await c.tokeninfo(t.mytoken, 'subtokens')).mytokens.token.tags, [{ tag: 'CI', color: '3357FF', include_children: false }]);
  // without include_children a new child does not get it
  const child = assertOk(await c.sub(t.mytoken, {}));
  assert.equal('tags' in (await entryOf(t.mytoken, child.mom_id)), false, 'no tags: member omitted');
  // renaming and recolouring shows on the token
  assert.equal((await c.send('PUT', `${TAGS}/CI`, { tag: 'build', color: '000000' }, bearer(t.mytoken))).status, 204);
  assert.deepEqual((await entryOf(t.mytoken, t.mom_id)).tags, [{ tag: 'build', color: '000000', include_children: false }]);
  const res = await c.send('DELETE', TOKEN_TAGS, { tag: 'build', mytoken: t.mytoken, include_children: false });
  assert.equal(res.status, 204);
  assert.equal('tags' in (await entryOf(t.mytoken, t.mom_id)), false);
  assert.deepEqual((await events(t.mytoken)).filter(([e]: string[]) => e.startsWith('tag_')).slice(0, 3), [
    ['tag_removed_from_token', 'build'],
    ['tag_updated', 'CI -> build'],
    ['tag_added_to_token', 'CI'],
  ]);
  // the token may come from the Authorization header as well
  assert.equal((await c.post(TOKEN_TAGS, { tag: 'build', include_children: false }, bearer(t.mytoken))).status, 204);
});

test('4.8 include_children applies to current and future children; deleting the tag removes it everywhere', async () => {
  const user = 'mia';
  const root = await server.mint({ capabilities: ['settings:tags', 'tokeninfo', 'manage_mytokens:list', 'create_mytoken'] }, { user });
  const child = assertOk(await c.sub(root.mytoken, {}));
  const grandchild = assertOk(await c.sub(child.mytoken, {}));
  assert.equal((await createTag(root.mytoken, 'fleet')).status, 204);
  assert.equal((await c.post(TOKEN_TAGS, { tag: 'fleet', mytoken: root.mytoken, include_children: true })).status, 204);
  const later = assertOk(await c.sub(child.mytoken, {}));
  const expected = [{ tag: 'fleet', color: '808080', include_children: true }];
  for (const t of [root, child, grandchild, later]) assert.deepEqual((await entryOf(root.mytoken, t.mom_id)).tags, expected, t.mom_id);
  // removing with include_children takes it off the whole subtree
  assert.equal((await c.send('DELETE', TOKEN_TAGS, { tag: 'fleet', mytoken: child.mytoken, include_children: true })).status, 204);
  assert.deepEqual((await entryOf(root.mytoken, root.mom_id)).tags, expected);
  for (const t of [child, grandchild, later]) assert.equal((await entryOf(root.mytoken, t.mom_id)).tags, undefined);
  // deleting the tag takes it off every token
  assert.equal((await c.send('DELETE', `${TAGS}/fleet`, undefined, bearer(root.mytoken))).status, 204);
  assert.equal((await entryOf(root.mytoken, root.mom_id)).tags, undefined);
});

test('4.8 tagging another token needs manage_mytokens:tags and the same user (403 invalid_grant)', async () => {
  const user = 'noah';
  const owner = await server.mint({ capabilities: ['settings:tags', 'tokeninfo', 'create_mytoken', 'manage_mytokens:list'] }, { user });
  assert.equal((await createTag(owner.mytoken, 'x')).status, 204);
  const child = assertOk(await c.sub(owner.mytoken, {}));
  // a descendant is "another token" too
  assertError(await c.post(TOKEN_TAGS, { tag: 'x', mytoken: owner.mytoken, mom_id: child.mom_id, include_children: false }), 403, 'insufficient_capabilities');
  // own mom_id counts as the own token
  assert.equal((await c.post(TOKEN_TAGS, { tag: 'x', mytoken: owner.mytoken, mom_id: owner.mom_id, include_children: false })).status, 204);
  const noTags = await server.mint({ capabilities: ['AT'] }, { user });
  assertError(await c.post(TOKEN_TAGS, { tag: 'x', mytoken: noTags.mytoken, include_children: false }), 403, 'insufficient_capabilities');
  const manager = await server.mint({ capabilities: ['manage_mytokens:tags'] }, { user });
  assert.equal((await c.post(TOKEN_TAGS, { tag: 'x', mytoken: manager.mytoken, mom_id: child.mom_id, include_children: false })).status, 204);
  assert.deepEqual((await entryOf(owner.mytoken, child.mom_id)).tags, [{ tag: 'x', color: '808080', include_children: false }]);
  const bob = await server.mint({}, { user: 'bob' });
  assertError(
    await c.post(TOKEN_TAGS, { tag: 'x', mytoken: manager.mytoken, mom_id: bob.mom_id, include_children: false }),
    403,
    'invalid_grant',
  );
  assertError(await c.post(TOKEN_TAGS, { tag: 'x', mytoken: manager.mytoken, mom_id: 'A'.repeat(86) + '==', include_children: false }), 403, 'invalid_grant');
  const log = assertOk(await c.tokeninfo(owner.mytoken, 'event_history', { mom_ids: ['this'] })).events;
  assert.equal(log.find((e: any) => e.event === 'tag_added_to_token')?.comment, 'x');
  const managerLog = assertOk(await c.tokeninfo(manager.mytoken, 'event_history', { mom_ids: ['this'] })).events;
  assert.deepEqual([managerLog[0].event, managerLog[0].comment], ['tag_added_to_other_token', `x (mom_id: ${child.mom_id})`]);
  // POST /api/v0/token/my is undisturbed
  assert.ok(assertOk(await c.sub(owner.mytoken, {})).mytoken);
});

// ---------------------------------------------------------------------------------------------
// capabilities

test('4.14 GET /api/v0/capabilities: the capability tree without authentication', async () => {
  const r = assertOk(await c.get('/api/v0/capabilities'));
  assert.ok(Array.isArray(r));
  assert.deepEqual(r.map((e: any) => e.read_write_capability.name), ['AT', 'create_mytoken', 'tokeninfo', 'manage_mytokens', 'settings']);
  const names: string[] = [];
  const walk = (e: any) => {
    assert.equal(typeof e.read_write_capability.description, 'string');
    assert.ok(e.read_write_capability.description.length > 0);
    names.push(e.read_write_capability.name);
    if (e.read_only_capability) {
      assert.equal(e.read_only_capability.name, `read@${e.read_write_capability.name}`);
      assert.equal(e.read_only_capability.is_read_only, true);
      names.push(e.read_only_capability.name);
    }
    (e.children ?? []).forEach(walk);
  };
  r.forEach(walk);
  assert.deepEqual([...names].sort(), [...KNOWN_CAPABILITIES].sort());
  const settings = r.find((e: any) => e.read_write_capability.name === 'settings');
  assert.deepEqual(settings.children.map((e: any) => e.read_write_capability.name), ['settings:grants', 'settings:email', 'settings:tags']);
  assert.equal(settings.children[0].children[0].read_write_capability.name, 'settings:grants:ssh');
  assert.equal('read_only_capability' in r[0], false);
});

// ---------------------------------------------------------------------------------------------
// options

test('startLocalServer omitEndpoints/omitSettings: the keys are left out and the routes answer 404', async () => {
  const s = await startLocalServer({
    interval: 1,
    omitEndpoints: ['profiles_endpoint', 'notifications_endpoint', 'token_transfer_endpoint', 'capabilities_endpoint'],
    omitSettings: ['tags_endpoint', 'email_endpoint'],
  });
  try {
    const sc = api(s);
    const doc = assertOk(await sc.get('/.well-known/mytoken-configuration'));
    for (const k of ['profiles_endpoint', 'notifications_endpoint', 'token_transfer_endpoint']) assert.equal(k in doc, false, k);
    assert.deepEqual(doc.response_types_supported, ['token', 'short_token']);
    assert.ok(doc.tokeninfo_endpoint);
    assert.deepEqual(assertOk(await sc.get('/api/v0/settings')), { grant_type_endpoint: `${s.url}/api/v0/settings/grants` });
    const t = await s.mint({ capabilities: ['settings', 'tokeninfo', 'manage_mytokens'] });
    for (const [method, path] of [
      ['GET', '/api/v0/pt'],
      ['GET', '/api/v0/notifications'],
      ['GET', '/api/v0/notifications/calendars'],
      ['POST', '/api/v0/token/transfer'],
      ['GET', '/api/v0/capabilities'],
      ['GET', '/api/v0/settings/tags'],
      ['POST', '/api/v0/token/my/tags'],
      ['GET', '/api/v0/settings/email'],
    ] as const) {
      assertError(await sc.send(method, path, method === 'GET' ? undefined : { mytoken: t.mytoken }, bearer(t.mytoken)), 404, 'not_found', path);
    }
    // everything else still works
    assertOk(await sc.tokeninfo(t.mytoken, 'introspect'));
  } finally {
    await s.close();
  }
  // the default server offers all of them
  const doc = assertOk(await c.get('/.well-known/mytoken-configuration'));
  for (const k of ['profiles_endpoint', 'notifications_endpoint', 'token_transfer_endpoint']) assert.ok(doc[k], k);
  assert.deepEqual(Object.keys(assertOk(await c.get('/api/v0/settings'))), ['grant_type_endpoint', 'email_endpoint', 'tags_endpoint']);
});
