// Local mytoken server, spec server-api.md 9.9: the tokeninfo endpoint (4.6) and the event
// history (5.12); also 9.7/76 (orphans are roots in list_mytokens).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, nowSeconds } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

const FAMILY = ['AT', 'create_mytoken', 'tokeninfo'];
const MOM_ID_RE = /^[A-Za-z0-9+/]{86}==$/;

/** The presenting token's events (needs tokeninfo:history). */
async function history(token: string): Promise<any[]> {
  return assertOk(await c.tokeninfo(token, 'event_history')).events ?? [];
}

test('9.9/88 a tokeninfo request without action behaves like introspect', async () => {
  const t = await server.mint();
  const r = assertOk(await c.tokeninfo(t.mytoken));
  assert.equal(r.valid, true);
  assert.equal(r.mom_id, t.mom_id);
  assert.equal(r.token.jti.length, 36);
  assert.deepEqual(Object.keys(r), ['valid', 'token_type', 'mom_id', 'token']);
  // an explicit null is absent too
  assert.equal(assertOk(await c.tokeninfo(t.mytoken, undefined, { action: null })).valid, true);
});

test('9.9/89 an unknown action gets 400 invalid_request value ... not valid for TokeninfoAction', async () => {
  const t = await server.mint();
  assertError(await c.tokeninfo(t.mytoken, 'foo'), 400, 'invalid_request', "value 'foo' not valid for TokeninfoAction");
  assertError(await c.tokeninfo(t.mytoken, undefined, { action: 3 }), 400, 'invalid_request', /cannot unmarshal number/);
  // decoding comes before the token: an unknown action with a bad token is still 400
  assertError(await c.tokeninfo('x'.repeat(40), 'foo'), 400, 'invalid_request');
  // the token must be valid before any action runs
  assertError(await c.tokeninfo('x'.repeat(40), 'introspect'), 401, 'invalid_token');
  assertError(await c.post('/api/v0/tokeninfo', { action: 'introspect' }), 401, 'invalid_token', 'no mytoken found in request');
  assertError(await c.post('/api/v0/tokeninfo', ''), 400, 'invalid_request');
});

test('9.9/90 introspection needs tokeninfo:introspect, ignores hosts restrictions and counts nothing', async () => {
  const noCap = await server.mint({ capabilities: ['AT', 'tokeninfo:history'] });
  assertError(
    await c.tokeninfo(noCap.mytoken, 'introspect'),
    403,
    'insufficient_capabilities',
    'The provided token does not have the required capability for this operation',
  );
  const t = await server.mint({ capabilities: ['AT', 'tokeninfo:introspect'], restrictions: [{ hosts: ['192.0.2.1'], usages_other: 1 }] });
  assertError(await c.at(t.mytoken), 403, 'usage_restricted'); // 127.0.0.1 is outside the hosts
  const a = assertOk(await c.tokeninfo(t.mytoken, 'introspect'));
  const b = assertOk(await c.tokeninfo(t.mytoken, 'introspect'));
  assert.deepEqual(a.token.restrictions, [{ hosts: ['192.0.2.1'], usages_other: 1 }], 'not used yet: no counters');
  assert.deepEqual(b.token.restrictions, a.token.restrictions);
});

test('9.9/91 introspection returns valid, mom_id and the claims; after one AT the clause shows usages_AT_done 1', async () => {
  const exp = nowSeconds() + 3600;
  const t = await server.mint({ name: 'intro', restrictions: [{ exp, usages_AT: 5 }], rotation: { on_other: true } });
  assertOk(await c.at(t.mytoken));
  const r = assertOk(await c.tokeninfo(t.mytoken, 'introspect'));
  assert.equal(r.valid, true);
  assert.equal(r.token_type, 'token');
  assert.match(r.mom_id, MOM_ID_RE);
  assert.equal(r.mom_id, t.mom_id);
  assert.equal(r.token.name, 'intro');
  assert.equal(r.token.seq_no, 1);
  assert.equal(r.token.ver, '0.7');
  assert.deepEqual(r.token.capabilities, ['AT', 'tokeninfo']);
  assert.deepEqual(r.token.rotation, { on_other: true });
  assert.deepEqual(r.token.restrictions, [{ exp, usages_AT: 5, usages_AT_done: 1, usages_other_done: 0 }]);
  assert.equal(Object.keys(r.token).at(-1), 'restrictions', 'restrictions come last');
  assert.equal(r.token_update, undefined, 'introspection never rotates');
  assertOk(await c.at(t.mytoken)); // the presented version is still the current one
  // a short token is introspected as short_token
  const s = await server.mint({ response_type: 'short_token' });
  assert.equal(assertOk(await c.tokeninfo(s.mytoken, 'introspect')).token_type, 'short_token');
  // the token may come from the Authorization header too
  assert.equal(assertOk(await c.post('/api/v0/tokeninfo', { action: 'introspect' }, { authorization: `Bearer ${s.mytoken}` })).mom_id, s.mom_id);
});

test('9.9/92 the history of a flow-created token has created (oidc_flow comment); newest first; entries carry mom_id', async () => {
  const t = await server.mint();
  assertOk(await c.at(t.mytoken, { comment: 'job 1' }));
  const events = await history(t.mytoken);
  assert.deepEqual(events.map((e) => e.event), ['AT_created', 'created']);
  const [at, created] = events;
  assert.equal(created.comment, 'Used grant_type oidc_flow authorization_code');
  assert.equal(at.comment, 'Used grant_type mytoken');
  for (const e of events) {
    assert.equal(e.mom_id, t.mom_id);
    assert.equal(e.ip, '127.0.0.1');
    assert.equal(typeof e.time, 'number');
    assert.ok(Object.keys(e).every((k) => ['event', 'time', 'comment', 'ip', 'user_agent', 'mom_id'].includes(k)), JSON.stringify(e));
  }
  assert.ok(at.time >= created.time);
});

test('9.9/93 event_history without mom_ids by a token lacking tokeninfo:history gets 403 insufficient_capabilities', async () => {
  const t = await server.mint({ capabilities: ['AT', 'tokeninfo:introspect'] });
  assertError(await c.tokeninfo(t.mytoken, 'event_history'), 403, 'insufficient_capabilities');
  // and one that has it but whose clauses allow no other usage gets 403 usage_restricted
  const u = await server.mint({ restrictions: [{ usages_other: 0 }] });
  assertError(await c.tokeninfo(u.mytoken, 'event_history'), 403, 'usage_restricted', 'The restrictions of this token does not allow this usage');
});

test('9.9/94 subtokens returns the tree rooted at the presenting token, entries with mom_id, name, created, ip', async () => {
  const root = await server.mint({ capabilities: FAMILY, name: 'root' });
  const exp = nowSeconds() + 7200;
  const child = assertOk(await c.sub(root.mytoken, { name: 'child', restrictions: [{ exp }] }));
  const grandchild = assertOk(await c.sub(child.mytoken, {}));
  const sibling = assertOk(await c.sub(root.mytoken, { name: 'sibling' }));
  const r = assertOk(await c.tokeninfo(root.mytoken, 'subtokens'));
  assert.deepEqual(Object.keys(r), ['mytokens']);
  const tree = r.mytokens;
  assert.equal(tree.token.mom_id, root.mom_id);
  assert.equal(tree.token.name, 'root');
  assert.equal(typeof tree.token.created, 'number');
  assert.equal(tree.token.ip, '127.0.0.1');
  assert.equal('expires_at' in tree.token, false, 'no expiry: expires_at omitted');
  assert.deepEqual(tree.children.map((n: any) => n.token.mom_id), [child.mom_id, sibling.mom_id]);
  const childNode = tree.children[0];
  assert.equal(childNode.token.expires_at, exp);
  assert.equal(childNode.children[0].token.mom_id, grandchild.mom_id);
  assert.equal(childNode.children[0].token.name, '', 'unnamed tokens have name ""');
  assert.equal('children' in childNode.children[0], false, 'children omitted when empty');
  assert.equal('children' in tree.children[1], false);
  // the child's own tree
  const sub = assertOk(await c.tokeninfo(child.mytoken, 'subtokens')).mytokens;
  assert.equal(sub.token.mom_id, child.mom_id);
  assert.equal(sub.children.length, 1);
});

test('9.9/95 list_mytokens needs manage_mytokens:list and returns a forest that includes the presenting token', async () => {
  const user = 'lister';
  const plain = await server.mint({}, { user });
  assertError(await c.tokeninfo(plain.mytoken, 'list_mytokens'), 403, 'insufficient_capabilities');
  const admin = await server.mint({ capabilities: ['manage_mytokens:list', 'create_mytoken'], name: 'admin' }, { user });
  const child = assertOk(await c.sub(admin.mytoken, { name: 'kid' }));
  const alice = await server.mint();
  const r = assertOk(await c.tokeninfo(admin.mytoken, 'list_mytokens'));
  assert.ok(Array.isArray(r.mytokens));
  const roots = r.mytokens.map((n: any) => n.token.mom_id);
  assert.deepEqual(roots, [plain.mom_id, admin.mom_id], 'roots oldest first, only this user');
  assert.ok(!roots.includes(alice.mom_id));
  assert.deepEqual(r.mytokens[1].children.map((n: any) => n.token.mom_id), [child.mom_id]);
});

test('9.7/76 tokens orphaned by non-recursive revocation become roots in list_mytokens', async () => {
  const user = 'orphans';
  const admin = await server.mint({ capabilities: ['manage_mytokens:list'] }, { user });
  const root = await server.mint({ capabilities: FAMILY, name: 'root' }, { user });
  const child = assertOk(await c.sub(root.mytoken, { name: 'child' }));
  const grandchild = assertOk(await c.sub(child.mytoken, { name: 'grandchild' }));
  let forest = assertOk(await c.tokeninfo(admin.mytoken, 'list_mytokens')).mytokens;
  assert.deepEqual(forest.map((n: any) => n.token.name), ['', 'root']);
  assert.equal((await c.revoke({ token: root.mytoken })).status, 204);
  forest = assertOk(await c.tokeninfo(admin.mytoken, 'list_mytokens')).mytokens;
  assert.deepEqual(forest.map((n: any) => n.token.mom_id), [admin.mom_id, child.mom_id]);
  assert.deepEqual(forest[1].children.map((n: any) => n.token.mom_id), [grandchild.mom_id]);
  // recursive revocation takes the subtree away
  assert.equal((await c.revoke({ token: child.mytoken, recursive: true })).status, 204);
  forest = assertOk(await c.tokeninfo(admin.mytoken, 'list_mytokens')).mytokens;
  assert.deepEqual(forest.map((n: any) => n.token.mom_id), [admin.mom_id]);
});

test('9.9/96 event_history of a child by mom_id needs no manage_mytokens:history; a non-descendant gets 403', async () => {
  const root = await server.mint({ capabilities: ['create_mytoken'] });
  const child = assertOk(await c.sub(root.mytoken, { name: 'c1' }));
  const r = assertOk(await c.tokeninfo(root.mytoken, 'event_history', { mom_ids: [child.mom_id] }));
  assert.deepEqual(r.events.map((e: any) => e.event), ['inherited_RT', 'created']);
  assert.ok(r.events.every((e: any) => e.mom_id === child.mom_id));
  const other = await server.mint();
  assertError(
    await c.tokeninfo(root.mytoken, 'event_history', { mom_ids: [other.mom_id] }),
    403,
    'insufficient_capabilities',
    `The provided token is neither a parent of the the token with  mom_id '${other.mom_id}' nor does it have the 'manage_mytokens:history' capability`,
  );
});

test('4.6 event_history mom_ids: this, children, children@<id>, several ids; events null when none', async () => {
  const root = await server.mint({ capabilities: ['create_mytoken'] });
  const child = assertOk(await c.sub(root.mytoken, { name: 'a' }));
  const grandchild = assertOk(await c.sub(child.mytoken, { name: 'b' }));
  const ids = (r: any) => new Set(r.events.map((e: any) => e.mom_id));
  assert.deepEqual(ids(assertOk(await c.tokeninfo(root.mytoken, 'event_history', { mom_ids: ['this'] }))), new Set([root.mom_id]));
  assert.deepEqual(
    ids(assertOk(await c.tokeninfo(root.mytoken, 'event_history', { mom_ids: ['children'] }))),
    new Set([child.mom_id, grandchild.mom_id]),
  );
  assert.deepEqual(
    ids(assertOk(await c.tokeninfo(root.mytoken, 'event_history', { mom_ids: [`children@${child.mom_id}`] }))),
    new Set([grandchild.mom_id]),
  );
  const both = assertOk(await c.tokeninfo(root.mytoken, 'event_history', { mom_ids: ['this', grandchild.mom_id, root.mom_id] }));
  assert.deepEqual(ids(both), new Set([root.mom_id, grandchild.mom_id]));
  const times = both.events.map((e: any) => e.time);
  assert.deepEqual(times, [...times].sort((a: number, b: number) => b - a), 'newest first');
  assert.equal(new Set(both.events.map((e: any) => JSON.stringify(e))).size, both.events.length, 'no duplicates');
  // no children: events is null ([0.10])
  const leaf = assertOk(await c.tokeninfo(grandchild.mytoken, 'event_history', { mom_ids: ['children'] }));
  assert.equal(leaf.events, null);
  // a child cannot look at its parent
  assertError(await c.tokeninfo(child.mytoken, 'event_history', { mom_ids: [root.mom_id] }), 403, 'insufficient_capabilities');
  assertError(
    await c.tokeninfo(child.mytoken, 'event_history', { mom_ids: [`children@${root.mom_id}`] }),
    403,
    'insufficient_capabilities',
    `The provided token is neither a parent of the the token with  mom_id '${root.mom_id}' nor does it have the 'manage_mytokens:history' capability`,
  );
  // with mom_ids no tokeninfo:history is needed ([quirk]), but an "other" clause is
  const limited = await server.mint({ capabilities: ['AT'], restrictions: [{ usages_other: 0 }] });
  assertError(await c.tokeninfo(limited.mytoken, 'event_history', { mom_ids: ['this'] }), 403, 'usage_restricted');
  const atOnly = await server.mint({ capabilities: ['AT'] });
  assert.equal(assertOk(await c.tokeninfo(atOnly.mytoken, 'event_history', { mom_ids: ['this'] })).events[0].event, 'created');
});

test('4.6 event_history with manage_mytokens:history: any token of the user; other users and [quirk] keywords get 403 invalid_grant', async () => {
  const admin = await server.mint({ capabilities: ['manage_mytokens:history'] });
  const other = await server.mint();
  const r = assertOk(await c.tokeninfo(admin.mytoken, 'event_history', { mom_ids: [other.mom_id] }));
  assert.equal(r.events[0].mom_id, other.mom_id);
  const bob = await server.mint({}, { user: 'bob' });
  assertError(
    await c.tokeninfo(admin.mytoken, 'event_history', { mom_ids: [bob.mom_id] }),
    403,
    'invalid_grant',
    `The provided token cannot be used to obtain history for mom_id '${bob.mom_id}'`,
  );
  assertError(await c.tokeninfo(admin.mytoken, 'event_history', { mom_ids: ['this'] }), 403, 'invalid_grant');
  assertError(await c.tokeninfo(admin.mytoken, 'event_history', { mom_ids: ['children'] }), 403, 'invalid_grant');
  assertError(await c.tokeninfo(admin.mytoken, 'event_history', { mom_ids: [`children@${other.mom_id}`] }), 403, 'invalid_grant');
  // unknown mom_id
  assertError(await c.tokeninfo(admin.mytoken, 'event_history', { mom_ids: ['A'.repeat(86) + '=='] }), 403, 'invalid_grant');
});

test('5.12 a sub-token shows MT_created on the parent and created + inherited_RT on the child', async () => {
  const parent = await server.mint({ capabilities: FAMILY });
  const child = assertOk(await c.sub(parent.mytoken, { name: 'worker', capabilities: ['AT', 'tokeninfo'] }));
  const parentEvents = await history(parent.mytoken);
  assert.equal(parentEvents[0].event, 'MT_created');
  assert.equal(parentEvents[0].comment, 'Created MT worker');
  const childEvents = await history(child.mytoken);
  assert.deepEqual(
    childEvents.map((e) => [e.event, e.comment]),
    [
      ['inherited_RT', 'Got RT from parent'],
      ['created', 'Used grant_type mytoken'],
    ],
  );
  assert.ok(childEvents.every((e) => e.mom_id === child.mom_id));
  // an unnamed sub-token: comment "Created MT"
  assertOk(await c.sub(parent.mytoken, {}));
  assert.equal((await history(parent.mytoken))[0].comment, 'Created MT');
});

test('5.12 AT, transfer codes, rotation, revocation by mom_id and tokeninfo calls log their events', async () => {
  const t = await server.mint({ capabilities: ['AT', 'tokeninfo', 'create_mytoken', 'manage_mytokens:revoke'], restrictions: [{ usages_other: 100 }] });
  assertOk(await c.at(t.mytoken));
  assertOk(await c.transfer(t.mytoken));
  const child = assertOk(await c.sub(t.mytoken, {}));
  assert.equal((await c.revoke({ token: t.mytoken, mom_id: child.mom_id })).status, 204);
  assertOk(await c.tokeninfo(t.mytoken, 'introspect'));
  assertOk(await c.tokeninfo(t.mytoken, 'subtokens'));
  const events = await history(t.mytoken);
  assert.deepEqual(
    events.map((e) => [e.event, e.comment]),
    [
      ['tokeninfo_subtokens', undefined],
      ['tokeninfo_introspect', undefined],
      ['revoked_other_token', `mom_id: ${child.mom_id}`],
      ['MT_created', 'Created MT'],
      ['transfer_code_created', 'token type: token'],
      ['AT_created', 'Used grant_type mytoken'],
      ['created', 'Used grant_type oidc_flow authorization_code'],
    ],
  );
  // the history call itself shows up next time
  assert.equal((await history(t.mytoken))[0].event, 'tokeninfo_history');
});

test('4.6 [quirk] history, subtokens, list, notifications count, log and rotate only for restricted tokens', async () => {
  const caps = ['tokeninfo', 'manage_mytokens:list'];
  // unrestricted on_other token: no rotation, no event
  const free = await server.mint({ capabilities: caps, rotation: { on_other: true } });
  for (const action of ['event_history', 'subtokens', 'list_mytokens', 'notifications']) {
    assert.equal(assertOk(await c.tokeninfo(free.mytoken, action)).token_update, undefined, action);
  }
  assert.deepEqual((await history(free.mytoken)).map((e) => e.event), ['created']);
  // restricted on_other token: every action rotates, counts and logs
  let token = (await server.mint({ capabilities: caps, rotation: { on_other: true }, restrictions: [{ usages_other: 10 }] })).mytoken;
  for (const action of ['event_history', 'subtokens', 'list_mytokens', 'notifications']) {
    const r = assertOk(await c.tokeninfo(token, action));
    assert.ok(r.token_update, action);
    assert.equal(r.token_update.mytoken_type, 'token');
    assertError(await c.tokeninfo(token, 'introspect'), 401, 'invalid_token'); // the old version is gone
    token = r.token_update.mytoken;
  }
  const intro = assertOk(await c.tokeninfo(token, 'introspect'));
  assert.equal(intro.token.seq_no, 5);
  assert.equal(intro.token.restrictions[0].usages_other_done, 4);
  const events = assertOk(await c.tokeninfo(token, 'event_history')).events.map((e: any) => e.event);
  for (const e of ['tokeninfo_history', 'tokeninfo_subtokens', 'tokeninfo_list_mytokens', 'tokeninfo_notifications', 'token_rotated']) {
    assert.ok(events.includes(e), e);
  }
});

test('4.6 a rotated short token comes back as a new short token', async () => {
  const t = await server.mint({ response_type: 'short_token', rotation: { on_other: true }, restrictions: [{ usages_other: 5 }] });
  const r = assertOk(await c.tokeninfo(t.mytoken, 'event_history'));
  assert.equal(r.token_update.mytoken_type, 'short_token');
  assert.notEqual(r.token_update.mytoken, t.mytoken);
  assert.equal(assertOk(await c.tokeninfo(r.token_update.mytoken, 'introspect')).token_type, 'short_token');
});

test('2.1 the configuration document lists the notifications tokeninfo action', async () => {
  const doc = assertOk(await c.get('/.well-known/mytoken-configuration'));
  assert.deepEqual(doc.tokeninfo_endpoint_actions_supported, ['introspect', 'event_history', 'subtokens', 'list_mytokens', 'notifications']);
});
