// e2e (issue 12, items 11-14): outputs and behaviour that were unlike upstream or the spec, run as
// the built bin/mytoken against the local mytoken server, which reproduces the [quirk]s clients
// must live with: `notifications create --type ics_invite` (a one-shot 204, and the token's own
// mom_id that server-api 4.9 requires), calendar subscriptions with the own mom_id (4.10), the
// usage counters of `info introspect` that are 0 (4.6), `calendars create` output (cli.md
// 17.10/124), `calendars delete` of an unknown ID, and `settings grants list` before any grant was
// changed (4.7.1: `grant_types` is null then).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer, RecordedRequest } from '../server/index.mjs';
import { type RunResult, run, show, ok } from './helpers.mjs';
import { boxTable, homeWithConfig, removeHomes } from './stub-server.mjs';

let S: LocalServer;

before(async () => {
  S = await startLocalServer({ interval: 1 });
});

after(async () => {
  removeHomes();
  await S?.close();
});

const CONFIG_EXTRA = 'use_wlcg_token_discovery: false\n';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const ICS_SENT = '\n✓ Calendar invitation sent by e-mail (an ics_invite is sent once and not stored, so there is no management code)\n';

interface TokenFile {
  home: string;
  file: string;
  token: string;
  momId: string;
}

/** Mints a mytoken for OP user `user` and writes it to a file in a fresh HOME configured for `server`. */
async function minted(user: string, request: Record<string, unknown>, server: LocalServer = S): Promise<TokenFile> {
  const home = homeWithConfig(server.url, CONFIG_EXTRA);
  const reply = await server.mint(request, { user });
  const file = join(home, `${user}.mt`);
  writeFileSync(file, `${reply.mytoken}\n`, { mode: 0o600 });
  return { home, file, token: reply.mytoken, momId: reply.mom_id };
}

const cli = (home: string, ...args: string[]) => run(args, { home });

/** The requests the server got while `body` ran. */
async function during(body: () => Promise<RunResult>): Promise<{ r: RunResult; got: RecordedRequest[] }> {
  const from = S.requests.length;
  const r = await body();
  return { r, got: S.requests.slice(from) };
}

const bodyJson = (q: RecordedRequest): Record<string, unknown> => JSON.parse(String(q.body)) as Record<string, unknown>;
const requestsTo = (got: RecordedRequest[], method: string, path: string) => got.filter((q) => q.method === method && q.path === path);

// ---- 11. notifications create --type ics_invite ----------------------------------------------

test('12.11 notifications create --type ics_invite with a JWT mytoken: sends its own mom_id (computed from the jti), the 204 is success (exit 0, one result line), the invitation is mailed', async () => {
  const t = await minted('o-ics', { capabilities: ['AT', 'tokeninfo'], restrictions: [{ exp: inAnHour() }] });
  const jti = JSON.parse(Buffer.from(t.token.split('.')[1]!, 'base64url').toString('utf8')).jti as string;
  assert.equal(createHash('sha512').update(Buffer.from(jti.replace(/-/g, ''), 'hex')).digest('base64'), t.momId, 'server-api 3.2');
  const mails = () => S.outbox().filter((m) => m.kind === 'ics_invite' && m.to === 'o-ics@example.test').length;

  const { r, got } = await during(() => cli(t.home, 'notifications', 'create', '--type', 'ics_invite', '--classes', 'expiration', '--comment', 'renew it', '--MT-file', t.file));
  ok(r, 'ics_invite');
  assert.equal(r.stdout, ICS_SENT);
  const [post] = requestsTo(got, 'POST', '/api/v0/notifications');
  assert.ok(post, 'no POST to the notifications endpoint');
  const body = bodyJson(post);
  assert.equal(body.mom_id, t.momId);
  assert.deepEqual(Object.keys(body), ['mytoken', 'mom_id', 'notification_type', 'notification_classes', 'include_children', 'user_wide', 'comment']);
  assert.equal(requestsTo(got, 'POST', '/api/v0/tokeninfo').length, 0, 'a JWT needs no introspection');
  assert.equal(mails(), 1, 'one invitation mailed');
  assert.match(S.outbox().at(-1)!.ics!, /DESCRIPTION:renew it/);
});

test('12.11 ics_invite with a short mytoken: its mom_id comes from introspection (tokeninfo:introspect); without that capability exit 3 naming it, and no invitation is asked for', async () => {
  const restrictions = [{ exp: inAnHour() }];
  const t = await minted('o-ics-short', { capabilities: ['tokeninfo'], restrictions, response_type: 'short_token' });
  assert.equal(t.token.split('.').length, 1, 'a short token');
  const { r, got } = await during(() => cli(t.home, 'notifications', 'create', '--type', 'ics_invite', '--classes', 'expiration', '--MT-file', t.file));
  ok(r, 'ics_invite with a short token');
  assert.equal(r.stdout, ICS_SENT);
  const intro = requestsTo(got, 'POST', '/api/v0/tokeninfo');
  assert.equal(intro.length, 1);
  assert.equal(bodyJson(intro[0]!).action, 'introspect');
  assert.equal(bodyJson(requestsTo(got, 'POST', '/api/v0/notifications')[0]!).mom_id, t.momId);

  const n = await minted('o-ics-short', { capabilities: ['tokeninfo:notify'], restrictions, response_type: 'short_token' });
  const refused = await during(() => cli(n.home, 'notifications', 'create', '--type', 'ics_invite', '--classes', 'expiration', '--MT-file', n.file));
  assert.equal(refused.r.status, 3, show(refused.r));
  assert.equal(refused.r.stdout, '');
  assert.match(refused.r.stderr, /^mytoken: /);
  assert.match(refused.r.stderr, /tokeninfo:introspect/);
  assert.ok(!refused.r.stderr.includes(n.token), 'the token is not in the message');
  assert.equal(requestsTo(refused.got, 'POST', '/api/v0/notifications').length, 0);
});

test('12.11 calendars subscribe and unsubscribe without --mom-id send the token\'s own mom_id (server-api 4.10 [quirk]); the token itself needs no capability', async () => {
  const owner = await minted('o-calsub', { capabilities: ['tokeninfo', 'manage_mytokens'], restrictions: [{ exp: inAnHour() }] });
  const created = ok(await cli(owner.home, 'calendars', 'create', '--description', 'mine', '--MT-file', owner.file), 'create');
  const id = /ID: (\S+)\n$/.exec(created.stdout)![1]!;
  const bare = await minted('o-calsub', { capabilities: ['AT'], restrictions: [{ exp: inAnHour() }] });
  const sub = await during(() => cli(bare.home, 'calendars', 'subscribe', id, '--comment', 'renew', '--MT-file', bare.file));
  assert.equal(ok(sub.r, 'subscribe').stdout, `Successfully subscribed to calendar '${id}'\n`);
  assert.deepEqual(bodyJson(requestsTo(sub.got, 'POST', `/api/v0/notifications/calendars/${id}`)[0]!), { mom_id: bare.momId, comment: 'renew' });
  const listed = ok(await cli(owner.home, 'calendars', 'list', '--MT-file', owner.file), 'list').stdout;
  assert.match(listed, /│ 1 +│\n└/, `one token in the calendar:\n${listed}`);
  const unsub = await during(() => cli(bare.home, 'calendars', 'unsubscribe', id, '--MT-file', bare.file));
  assert.equal(ok(unsub.r, 'unsubscribe').stdout, `Successfully unsubscribed from calendar '${id}'\n`);
  assert.deepEqual(bodyJson(requestsTo(unsub.got, 'DELETE', `/api/v0/notifications/calendars/${id}`)[0]!), { mom_id: bare.momId, comment: '' });
  assert.match(ok(await cli(owner.home, 'calendars', 'list', '--MT-file', owner.file), 'list').stdout, /│ 0 +│\n└/);
});

// ---- 13. info introspect ---------------------------------------------------------------------

test('12.13 info introspect prints usage counters that are 0 (usages_other_done after one AT on a usages_AT 5 / usages_other 5 token); only absent ones are left out', async () => {
  const t = await minted('o-intro', { capabilities: ['AT', 'tokeninfo'], restrictions: [{ usages_AT: 5, usages_other: 5 }] });
  const before = ok(await cli(t.home, 'info', 'introspect', '--MT-file', t.file), 'introspect before');
  assert.deepEqual(JSON.parse(before.stdout).token.restrictions, [{ usages_AT: 5, usages_other: 5 }], 'an unused clause has no counters');
  ok(await cli(t.home, 'AT', '--MT-file', t.file), 'AT');
  const after = ok(await cli(t.home, 'info', 'introspect', '--MT-file', t.file), 'introspect after');
  assert.deepEqual(JSON.parse(after.stdout).token.restrictions, [{ usages_AT: 5, usages_other: 5, usages_AT_done: 1, usages_other_done: 0 }]);
  assert.match(after.stdout, /\n {8}"usages_AT_done": 1,\n {8}"usages_other_done": 0\n {6}}\n/);
});

// ---- 14. calendars create, calendars delete, settings grants list ------------------------------

test('12.14 calendars create prints the line of cli.md 17.10/124 (an empty line, then the ID after "ID: "), not the bare ID', async () => {
  const t = await minted('o-calcreate', { capabilities: ['tokeninfo', 'manage_mytokens'] });
  const r = ok(await cli(t.home, 'calendars', 'create', '--description', 'd', '--MT-file', t.file), 'create');
  const m = /^\n✓ Calendar created successfully! ID: ([A-Za-z0-9]{32})\n$/.exec(r.stdout);
  assert.ok(m, JSON.stringify(r.stdout));
  assert.match(ok(await cli(t.home, 'calendars', 'list', '--MT-file', t.file), 'list').stdout, new RegExp(`│ ${m[1]} │`));
});

test('12.14 calendars delete of an unknown ID with -f: exit 1 saying it was not found (the server would answer 204), nothing deleted, nothing on stdout', async () => {
  const t = await minted('o-caldel', { capabilities: ['tokeninfo', 'manage_mytokens'] });
  const created = ok(await cli(t.home, 'calendars', 'create', '--description', 'keep', '--MT-file', t.file), 'create');
  const id = /ID: (\S+)\n$/.exec(created.stdout)![1]!;
  const { r, got } = await during(() => cli(t.home, 'calendars', 'delete', 'doesnotexist', '-f', '--MT-file', t.file));
  assert.equal(r.status, 1, show(r));
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^mytoken: calendar 'doesnotexist' not found\n/);
  assert.match(r.stderr, /mytoken calendars list/);
  assert.equal(got.filter((q) => q.method === 'DELETE').length, 0, 'no DELETE sent');
  // the existing calendar is still there and is deleted by its ID
  assert.equal(ok(await cli(t.home, 'calendars', 'delete', id, '-f', '--MT-file', t.file), 'delete').stdout, `Calendar '${id}' deleted successfully\n`);
  assert.equal(ok(await cli(t.home, 'calendars', 'list', '--MT-file', t.file), 'list').stdout, '');
});

test('12.14 settings grants list before any grant was changed (the server answers grant_types null): the table with ssh Disabled; after enable and disable the server\'s own rows', async () => {
  const t = await minted('o-grants', { capabilities: ['settings'] });
  const table = (status: string) => boxTable(['GRANT TYPE', 'STATUS'], [['ssh', status]]);
  assert.equal(ok(await cli(t.home, 'settings', 'grants', 'list', '--MT-file', t.file), 'list, never changed').stdout, table('Disabled'));
  ok(await cli(t.home, 'settings', 'grants', 'enable', 'ssh', '--MT-file', t.file), 'enable');
  assert.equal(ok(await cli(t.home, 'settings', 'grants', 'list', '--MT-file', t.file), 'list, enabled').stdout, table('Enabled'));
  ok(await cli(t.home, 'settings', 'grants', 'disable', 'ssh', '--MT-file', t.file), 'disable');
  assert.equal(ok(await cli(t.home, 'settings', 'grants', 'list', '--MT-file', t.file), 'list, disabled').stdout, table('Disabled'));
});

test('12.14 settings grants list on a server without the ssh grant: one line saying there is none, not an empty output', async () => {
  const noSsh = await startLocalServer({ ssh: false });
  try {
    const t = await minted('o-grants-nossh', { capabilities: ['settings'] }, noSsh);
    const r = ok(await cli(t.home, 'settings', 'grants', 'list', '--MT-file', t.file), 'list');
    assert.equal(r.stdout, 'This server offers no grant types to enable or disable.\n');
  } finally {
    await noSsh.close();
  }
});
