// e2e: the commands that look after mytokens and ask the server what it offers, run as the built
// bin/mytoken against the local mytoken server (real OP, real tokens, real events): info history,
// MT with a sub-token, list-mytokens, subtokens, revoke, tags, e-mail settings, calendars (with
// the public ICS feed), notifications, a missing capability, rotation write-back inside one- and
// multi-request commands, the server information commands, a server that leaves endpoints out,
// and `info` decoding locally (README "Looking after mytokens", "What the server offers",
// "Exit statuses"; spec cli.md 6, 8.2-8.5, 17.3, 17.7-17.10).
//
// Every test that reads or changes per-user state (the token list, tags, e-mail, calendars,
// notifications) logs in its own OP user, so the tests do not see each other's tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { type RunResult, run, sshShim, startLogin, show, ok } from './helpers.mjs';
import { assertAccepted, assertRefused, homeWithConfig, jwtPayload, removeHomes, since } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const USER_AGENT = 'mytoken client 0.7.1 (mytoken-ts)';
const CONFIG_EXTRA = 'use_wlcg_token_discovery: false\n';
/** `--name N` gives the name `<hostname>:N` (default token_name_prefix) */
const named = (n: string) => `${hostname()}:${n}`;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

let S: LocalServer;

before(async () => {
  S = await startLocalServer({ interval: 1 });
});

after(async () => {
  removeHomes();
  await S?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

interface TokenFile {
  home: string;
  /** the token file (`<token>\n`) */
  file: string;
  /** the mytoken as minted */
  token: string;
}

/** Mints a mytoken for OP user `user` on `server` and writes it to a file in a fresh HOME (or `home`). */
async function minted(user: string, request: Record<string, unknown>, opts: { server?: LocalServer; home?: string; name?: string } = {}): Promise<TokenFile> {
  const server = opts.server ?? S;
  const home = opts.home ?? homeWithConfig(server.url, CONFIG_EXTRA);
  const token = (await server.mint(request, { user })).mytoken as string;
  assert.ok(jwtPayload(token), `mint gave no JWT mytoken: ${token}`);
  const file = join(home, opts.name ?? `${user}.mt`);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { home, file, token };
}

const cli = (home: string, ...args: string[]) => run(args, { home });

/** Failed with `status`, nothing on stdout, a `mytoken: ` line (after ssh's own, if any) and `message` on stderr. */
function failed(r: RunResult, status: number, message: RegExp, label: string): void {
  assert.equal(r.status, status, `${label}: expected exit ${status}; ${show(r)}`);
  assert.equal(r.stdout, '', `${label}: stdout`);
  assert.match(r.stderr, /^mytoken: /m, label);
  assert.match(r.stderr, message, label);
}

interface Table {
  header: string[];
  /** data rows, each cell trimmed, keyed by header cell */
  rows: Record<string, string>[];
}

/** The (first) box-drawn table in `text`: its header cells and data rows. */
function table(text: string): Table {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('┌'));
  assert.ok(start >= 0, `no table in:\n${text}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('└'));
  assert.ok(end > start, `unterminated table in:\n${text}`);
  const cells = lines
    .slice(start, end)
    .filter((l) => l.startsWith('│'))
    .map((l) => l.slice(1, -1).split('│').map((c) => c.trim()));
  const header = cells[0]!;
  return { header, rows: cells.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

/** The only row whose `column` is `value`. */
function rowWith(t: Table, column: string, value: string): Record<string, string> {
  const found = t.rows.filter((r) => r[column] === value);
  assert.equal(found.length, 1, `rows with ${column} = ${value}: ${JSON.stringify(t.rows)}`);
  return found[0]!;
}

/** `info introspect`: the server's mom id of the mytoken in `file`. */
async function momIdOf(home: string, file: string): Promise<string> {
  const r = ok(await cli(home, 'info', 'introspect', '--MT-file', file), 'info introspect');
  const j = JSON.parse(r.stdout) as { valid: boolean; mom_id: string };
  assert.equal(j.valid, true);
  assert.ok(j.mom_id, 'introspection without mom_id');
  return j.mom_id;
}

/** `YYYY-MM-DD HH:MM:SS` (local time) as epoch milliseconds. */
function localTime(cell: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(cell);
  assert.ok(m, `not a local time: ${cell}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/** Mytoken-server requests made while `fn` runs. */
async function requestsDuring(server: LocalServer, fn: () => Promise<RunResult>) {
  const n = server.requests.length;
  const r = await fn();
  return { r, got: since(server.requests, n) };
}

// ---- 1. history of a real login token --------------------------------------------------------

test('info history (17.7/91): a login token shows `created` from the OIDC flow, and after `AT` an `AT_created` row above it with the client\'s user agent', async () => {
  const started = Date.now();
  const t = await minted('hist', { capabilities: ['AT', 'tokeninfo'] });

  const first = ok(await cli(t.home, 'info', 'history', '--MT-file', t.file), 'first info history');
  const h1 = table(first.stdout);
  assert.deepEqual(h1.header, ['EVENT', 'COMMENT', 'TIME', 'IP', 'USER AGENT']);
  const created = rowWith(h1, 'EVENT', 'created');
  assert.equal(created.COMMENT, 'Used grant_type oidc_flow authorization_code');
  assert.match(created.TIME!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  // local time of the login, to the second
  const when = localTime(created.TIME!);
  // the server read its clock between the start of the test and now
  const listed = Date.now();
  assert.ok(when >= Math.floor(started / 1000) * 1000 && when <= listed, `created at ${created.TIME}, test started ${new Date(started).toString()}, listed ${new Date(listed).toString()}`);
  assert.equal(created.IP, '127.0.0.1');
  assert.ok(!h1.rows.some((r) => r.EVENT === 'AT_created'), 'no access token yet');

  assertAccepted(await cli(t.home, 'AT', '--MT-file', t.file), 'AT');

  const second = ok(await cli(t.home, 'info', 'history', '--MT-file', t.file), 'second info history');
  const h2 = table(second.stdout);
  const events = h2.rows.map((r) => r.EVENT);
  assert.equal(events[0], 'AT_created', `newest first: ${events.join(', ')}`);
  assert.equal(events.at(-1), 'created', `oldest last: ${events.join(', ')}`);
  const at = h2.rows[0]!;
  assert.equal(at['USER AGENT'], USER_AGENT);
  assert.equal(at.IP, '127.0.0.1');
  assert.match(at.TIME!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.ok(localTime(at.TIME!) >= localTime(created.TIME!), 'AT_created is not older than created');
  assert.deepEqual(rowWith(h2, 'EVENT', 'created'), created, 'the created row is unchanged');
});

// ---- 2. sub-token, list-mytokens, subtokens --------------------------------------------------

test('MT --name child -o C (17.5/51), then info list-mytokens --include-mom-id (17.7/92) and info subtokens show both, and the parent\'s history has MT_created', async () => {
  const p = await minted('tree', { capabilities: ['AT', 'create_mytoken', 'tokeninfo', 'manage_mytokens:list'] });
  const child = join(p.home, 'child.mt');
  const mt = ok(await cli(p.home, 'MT', '--MT-file', p.file, '--name', 'child', '-o', child, '--capability', 'AT tokeninfo'), 'MT');
  assert.equal(mt.stdout, '', 'the child went to the file');
  const childToken = readFileSync(child, 'utf8').trim();
  const cp = jwtPayload(childToken);
  assert.ok(cp, 'the child file holds a JWT');
  assert.equal(cp.name, named('child'));
  assert.deepEqual(cp.capabilities, ['AT', 'tokeninfo']);
  assertAccepted(await cli(p.home, 'AT', '--MT-file', child), 'AT with the child');

  // the parent's history, read before anything else is done with the parent: MT_created on top
  const hist = table(ok(await cli(p.home, 'info', 'history', '--MT-file', p.file), 'parent history').stdout);
  assert.equal(hist.rows[0]!.EVENT, 'MT_created', `newest first: ${hist.rows.map((r) => r.EVENT).join(', ')}`);
  assert.equal(hist.rows[0]!['USER AGENT'], USER_AGENT);
  assert.equal(hist.rows[0]!.IP, '127.0.0.1');
  assert.equal(hist.rows.at(-1)!.EVENT, 'created');

  const parentMom = await momIdOf(p.home, p.file);
  const childMom = await momIdOf(p.home, child);

  const list = table(ok(await cli(p.home, 'info', 'list-mytokens', '--MT-file', p.file, '--include-mom-id'), 'list-mytokens').stdout);
  assert.deepEqual(list.header, ['MOM - ID', 'NAME', 'CREATED', 'EXPIRES', 'TAGS', 'IP']);
  assert.equal(list.rows.length, 2, `this user's two tokens: ${JSON.stringify(list.rows)}`);
  assert.equal(list.rows[0]!['MOM - ID'], parentMom);
  assert.equal(list.rows[0]!.NAME, 'unnamed token');
  assert.equal(list.rows[0]!.EXPIRES, 'does not expire');
  assert.equal(list.rows[1]!['MOM - ID'], childMom, 'the child right under its parent');
  assert.equal(list.rows[1]!.NAME, `└─ ${named('child')}`);
  assert.match(list.rows[1]!.CREATED!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(list.rows[1]!.IP, '127.0.0.1');

  const tree = JSON.parse(ok(await cli(p.home, 'info', 'subtokens', '--MT-file', p.file), 'subtokens').stdout) as {
    token: { mom_id: string; name?: string };
    children?: { token: { mom_id: string; name?: string } }[];
  };
  assert.equal(tree.token.mom_id, parentMom);
  assert.equal(tree.children?.length, 1, JSON.stringify(tree));
  assert.equal(tree.children![0]!.token.mom_id, childMom);
  assert.equal(tree.children![0]!.token.name, named('child'));

});

// ---- 3. revoke -------------------------------------------------------------------------------

describe('revoke (17.7/96-97)', () => {
  let p: TokenFile;
  before(async () => {
    p = await minted('revoker', { capabilities: ['AT', 'create_mytoken', 'tokeninfo', 'manage_mytokens'] });
  });

  /** `MT --MT-file from -o <name>` with `flags`; returns the new file. */
  async function sub(from: string, name: string, flags: string[] = []): Promise<string> {
    const file = join(p.home, name);
    ok(await cli(p.home, 'MT', '--MT-file', from, ...flags, '-o', file), `MT -o ${name}`);
    assertAccepted(await cli(p.home, 'AT', '--MT-file', file), `AT with ${name} before revocation`);
    return file;
  }

  test('revoke --MT-file C prints `Token revoked`, C is refused afterwards (exit 3), revoking it again succeeds, C stays byte-identical', async () => {
    const c = await sub(p.file, 'c.mt', ['--capability', 'AT']);
    const before = readFileSync(c);
    const r = ok(await cli(p.home, 'revoke', '--MT-file', c), 'revoke');
    assert.equal(r.stdout, 'Token revoked\n');
    assertRefused(await cli(p.home, 'AT', '--MT-file', c), 'AT with the revoked C', /invalid_token/);
    const again = ok(await cli(p.home, 'revoke', '--MT-file', c), 'revoke again');
    assert.equal(again.stdout, 'Token revoked\n');
    assert.ok(readFileSync(c).equals(before), 'the token file is left as it is');
    assertAccepted(await cli(p.home, 'AT', '--MT-file', p.file), 'the parent still works');
  });

  test('revoke -r on a parent revokes its child too; without -r the child lives on', async () => {
    const plain = await sub(p.file, 'plain-parent.mt', ['--capability', 'AT create_mytoken']);
    const plainChild = await sub(plain, 'plain-child.mt', ['--capability', 'AT']);
    assert.equal(ok(await cli(p.home, 'revoke', '--MT-file', plain), 'revoke').stdout, 'Token revoked\n');
    assertRefused(await cli(p.home, 'AT', '--MT-file', plain), 'AT with the parent revoked without -r', /invalid_token/);
    assertAccepted(await cli(p.home, 'AT', '--MT-file', plainChild), 'AT with the child of a parent revoked without -r');

    const rec = await sub(p.file, 'rec-parent.mt', ['--capability', 'AT create_mytoken']);
    const recChild = await sub(rec, 'rec-child.mt', ['--capability', 'AT']);
    assert.equal(ok(await cli(p.home, 'revoke', '-r', '--MT-file', rec), 'revoke -r').stdout, 'Token revoked\n');
    assertRefused(await cli(p.home, 'AT', '--MT-file', rec), 'AT with the parent revoked with -r', /invalid_token/);
    assertRefused(await cli(p.home, 'AT', '--MT-file', recChild), 'AT with the child of a parent revoked with -r', /invalid_token/);
  });

  test('revoke --mom-id <id from list-mytokens --include-mom-id> revokes that token; the authorizing token file is unchanged', async () => {
    const victim = await sub(p.file, 'victim.mt', ['--name', 'victim', '--capability', 'AT tokeninfo']);
    const list = table(ok(await cli(p.home, 'info', 'list-mytokens', '--MT-file', p.file, '--include-mom-id'), 'list-mytokens').stdout);
    const row = rowWith(list, 'NAME', `└─ ${named('victim')}`);
    const momId = row['MOM - ID']!;
    assert.equal(momId, await momIdOf(p.home, victim), 'list-mytokens and introspect agree on the mom id');

    const before = readFileSync(p.file);
    const r = ok(await cli(p.home, 'revoke', '--MT-file', p.file, '--mom-id', momId), 'revoke --mom-id');
    assert.equal(r.stdout, 'Token revoked\n');
    assertRefused(await cli(p.home, 'AT', '--MT-file', victim), 'AT with the token revoked by mom id', /invalid_token/);
    assert.ok(readFileSync(p.file).equals(before), 'the authorizing token file is unchanged');
    assertAccepted(await cli(p.home, 'AT', '--MT-file', p.file), 'the authorizing token still works');
    const after = table(ok(await cli(p.home, 'info', 'list-mytokens', '--MT-file', p.file, '--include-mom-id'), 'list-mytokens afterwards').stdout);
    assert.ok(!after.rows.some((x) => x['MOM - ID'] === momId), 'the revoked token is no longer listed');
  });

  test('revoke --mom-id of an unknown id exits 3 with the server\'s description on stderr; the token file is unchanged', async () => {
    const before = readFileSync(p.file);
    const unknown = Buffer.alloc(64, 7).toString('base64');
    const r = await cli(p.home, 'revoke', '--MT-file', p.file, '--mom-id', unknown);
    failed(r, 3, /The provided token cannot be used to revoke this mom_id/, 'revoke --mom-id unknown');
    assert.ok(readFileSync(p.file).equals(before), 'the token file is unchanged');
    assertAccepted(await cli(p.home, 'AT', '--MT-file', p.file), 'the token still works');
  });
});

// ---- 4. tags -----------------------------------------------------------------------------------

test('tags (17.7/99, 17.9/116-118): settings tags create/list/update/delete and MT tags add/remove, seen in info list-mytokens', async () => {
  const t = await minted('tagger', { capabilities: ['tokeninfo', 'manage_mytokens:list', 'settings'] });
  const f = ['--MT-file', t.file];
  const tags = async () => {
    const r = ok(await cli(t.home, 'settings', 'tags', 'list', ...f), 'settings tags list');
    return r.stdout === '' ? undefined : table(r.stdout);
  };
  const tagsOfToken = async () => {
    const l = table(ok(await cli(t.home, 'info', 'list-mytokens', ...f), 'list-mytokens').stdout);
    assert.equal(l.rows.length, 1, JSON.stringify(l.rows));
    return l.rows[0]!.TAGS;
  };

  assert.equal(ok(await cli(t.home, 'settings', 'tags', 'create', 'ci', '--color', 'teal', ...f), 'create').stdout, "Tag 'ci' created successfully\n");
  const t1 = (await tags())!;
  assert.deepEqual(t1.header, ['COLOR BLOCK', 'TAG', 'COLOR  ( HEX )']);
  assert.equal(rowWith(t1, 'TAG', 'ci')['COLOR  ( HEX )'], '008080');

  assert.equal(await tagsOfToken(), '', 'no tag on the token yet');
  assert.equal(ok(await cli(t.home, 'MT', 'tags', 'add', 'ci', ...f), 'MT tags add').stdout, "Tag 'ci' added successfully\n");
  assert.equal(await tagsOfToken(), 'ci');
  assert.equal(ok(await cli(t.home, 'MT', 'tags', 'remove', 'ci', ...f), 'MT tags remove').stdout, "Tag 'ci' removed successfully\n");
  assert.equal(await tagsOfToken(), '', 'the tag is off the token again');

  failed(await cli(t.home, 'MT', 'tags', 'add', 'nosuchtag', ...f), 1, /not_found: tag not found/, 'MT tags add nosuchtag');
  assert.equal(await tagsOfToken(), '');

  assert.equal(ok(await cli(t.home, 'settings', 'tags', 'update', 'ci', '--new-name', 'build', ...f), 'update').stdout, "Tag 'ci' updated successfully\n");
  const t2 = (await tags())!;
  assert.deepEqual(t2.rows.map((r) => r.TAG), ['build']);
  assert.equal(rowWith(t2, 'TAG', 'build')['COLOR  ( HEX )'], '008080', 'the colour survives the rename');

  assert.equal(ok(await cli(t.home, 'settings', 'tags', 'delete', 'build', ...f), 'delete').stdout, "Tag 'build' deleted successfully\n");
  assert.equal(await tags(), undefined, 'no tags left: no output');
});

// ---- 5. e-mail settings ----------------------------------------------------------------------

test('settings email get/update (17.9/114-115): the OP\'s verified address, a new unverified address with HTML mails, verified by the link the server mailed', async () => {
  const user = 'mailer';
  const t = await minted(user, { capabilities: ['settings'] });
  const f = ['--MT-file', t.file];
  const expected = (address: string, verified: boolean, html: boolean) =>
    `Email Information:\n  Email Address:    ${address}\n  Verified:         ${verified}\n  Prefer HTML Mail: ${html}\n`;

  const op = S.emailOf(user);
  assert.ok(op, 'the user has e-mail settings after logging in');
  assert.equal(op.address, `${user}@example.test`);
  assert.equal(ok(await cli(t.home, 'settings', 'email', 'get', ...f), 'get').stdout, expected(op.address, true, op.preferHtml));

  const linksBefore = S.verificationLinks().length;
  const up = ok(await cli(t.home, 'settings', 'email', 'update', '--email', 'new@example.test', '--html', ...f), 'update');
  assert.equal(up.stdout, 'Email preferences updated successfully\n');
  assert.equal(ok(await cli(t.home, 'settings', 'email', 'get', ...f), 'get after update').stdout, expected('new@example.test', false, true));
  assert.deepEqual(S.emailOf(user), { address: 'new@example.test', verified: false, preferHtml: true });

  const mails = S.outbox().filter((m) => m.kind === 'verify_email' && m.to === 'new@example.test');
  assert.equal(mails.length, 1, 'one verification mail to the new address');
  const link = mails[0]!.link!;
  assert.equal(S.verificationLinks().length, linksBefore + 1);
  assert.ok(S.verificationLinks().includes(link));
  const res = await fetch(link);
  await res.arrayBuffer();
  assert.ok(res.status < 400, `the verification link answered HTTP ${res.status}`);
  assert.equal(ok(await cli(t.home, 'settings', 'email', 'get', ...f), 'get after verification').stdout, expected('new@example.test', true, true));
});

// ---- 6. calendars ----------------------------------------------------------------------------

test('calendars (17.10/119-125): create with a new tag, list, subscribe a token with an expiry (ICS event), delete refused without --force (exit 2), delete --force', async () => {
  const t = await minted('calendarist', { capabilities: ['tokeninfo', 'manage_mytokens', 'settings'], restrictions: [{ exp: inAnHour() }] });
  const f = ['--MT-file', t.file];
  const exp = jwtPayload(t.token)!.restrictions as { exp: number }[];

  const created = ok(await cli(t.home, 'calendars', 'create', '--description', 'd', '--tags', 't1', ...f), 'create');
  const m = /^\n✓ Calendar created successfully! ID: (\S+)\n$/.exec(created.stdout);
  assert.ok(m, `create output: ${JSON.stringify(created.stdout)}`);
  const id = m[1]!;
  const tagList = table(ok(await cli(t.home, 'settings', 'tags', 'list', ...f), 'settings tags list').stdout);
  assert.ok(tagList.rows.some((r) => r.TAG === 't1'), 'the tag t1 was created on the fly');

  const list = async () => table(ok(await cli(t.home, 'calendars', 'list', ...f), 'calendars list').stdout);
  const l1 = await list();
  assert.deepEqual(l1.header, ['ID', 'DESCRIPTION', 'TAGS', 'ICS PATH', 'SUBSCRIBED TOKENS']);
  const c1 = rowWith(l1, 'ID', id);
  assert.equal(c1.DESCRIPTION, 'd');
  assert.equal(c1.TAGS, 't1');
  assert.equal(c1['SUBSCRIBED TOKENS'], '0');
  const ics = new URL(c1['ICS PATH']!, S.url).href;
  const empty = await fetch(ics);
  const emptyText = await empty.text();
  assert.equal(empty.status, 200);
  assert.match(emptyText, /BEGIN:VCALENDAR/);
  assert.doesNotMatch(emptyText, /BEGIN:VEVENT/, 'no token in the calendar yet');

  const sub = ok(await cli(t.home, 'calendars', 'subscribe', id, ...f), 'subscribe');
  assert.equal(sub.stdout, `Successfully subscribed to calendar '${id}'\n`);
  const c2 = rowWith(await list(), 'ID', id);
  assert.equal(c2['SUBSCRIBED TOKENS'], '1');
  const feed = await fetch(new URL(c2['ICS PATH']!, S.url));
  const text = await feed.text();
  assert.equal(feed.status, 200);
  assert.match(text, /BEGIN:VEVENT/);
  const dtstart = new Date(exp[0]!.exp * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  assert.match(text, new RegExp(`DTSTART:${dtstart}`), 'the event is at the token\'s expiry');

  const refused = await cli(t.home, 'calendars', 'delete', id, ...f);
  assert.equal(refused.status, 2, `delete without --force and without a terminal: ${show(refused)}`);
  assert.doesNotMatch(refused.stdout, /deleted successfully/);
  assert.match(refused.stderr, /--force/);
  rowWith(await list(), 'ID', id); // still there

  const del = ok(await cli(t.home, 'calendars', 'delete', id, '--force', ...f), 'delete --force');
  assert.equal(del.stdout, `Calendar '${id}' deleted successfully\n`);
  assert.equal(ok(await cli(t.home, 'calendars', 'list', ...f), 'list after delete').stdout, '', 'no calendars left');
  const gone = await fetch(ics);
  await gone.arrayBuffer();
  assert.equal(gone.status, 404, 'the feed is gone');
});

// ---- 7. notifications ------------------------------------------------------------------------

test('notifications (17.10/127, 129; 17.7/95): create, list, update classes, info notifications, delete -f, then nothing found', async () => {
  const t = await minted('notified', { capabilities: ['tokeninfo', 'manage_mytokens', 'settings'] });
  const f = ['--MT-file', t.file];

  const created = ok(await cli(t.home, 'notifications', 'create', '--type', 'mail', '--classes', 'AT_creations,security', ...f), 'create');
  const m = /^\n✓ Notification created successfully! Management code: (\S+)\n$/.exec(created.stdout);
  assert.ok(m, `create output: ${JSON.stringify(created.stdout)}`);
  const code = m[1]!;

  const list = async () => table(ok(await cli(t.home, 'notifications', 'list', ...f), 'notifications list').stdout);
  const classes = (row: Record<string, string>) => row.CLASSES!.split(', ').sort();
  const l1 = await list();
  assert.deepEqual(l1.header, ['TYPE', 'MANAGEMENT CODE', 'CLASSES', 'USER WIDE', 'TAGS', 'SUBSCRIBED TOKENS']);
  const n1 = rowWith(l1, 'MANAGEMENT CODE', code);
  assert.equal(n1.TYPE, 'mail');
  assert.deepEqual(classes(n1), ['AT_creations', 'security']);
  assert.equal(n1['USER WIDE'], 'false');
  assert.equal(n1['SUBSCRIBED TOKENS'], '1', 'the creating token is subscribed');

  const up = ok(await cli(t.home, 'notifications', 'update', code, '--add-classes', 'expiration', '--remove-classes', 'security', ...f), 'update');
  assert.equal(up.stdout, `Notification '${code}' updated successfully\n`);
  assert.deepEqual(classes(rowWith(await list(), 'MANAGEMENT CODE', code)), ['AT_creations', 'expiration']);

  const info = ok(await cli(t.home, 'info', 'notifications', ...f), 'info notifications');
  assert.ok(info.stdout.startsWith('Notifications:\n'), info.stdout);
  const n2 = rowWith(table(info.stdout), 'MANAGEMENT CODE', code);
  assert.deepEqual(classes(n2), ['AT_creations', 'expiration']);
  assert.doesNotMatch(info.stdout, /Calendars:/);

  const del = ok(await cli(t.home, 'notifications', 'delete', code, '-f', ...f), 'delete -f');
  assert.equal(del.stdout, `Notification '${code}' deleted successfully\n`);
  assert.equal(ok(await cli(t.home, 'info', 'notifications', ...f), 'info notifications afterwards').stdout, 'No notifications or calendars found.\n');
  assert.equal(ok(await cli(t.home, 'notifications', 'list', ...f), 'list afterwards').stdout, '');
});

// ---- 8. missing capability -------------------------------------------------------------------

test('a mytoken with only AT: info history and info list-mytokens exit 3 naming the missing capability', async () => {
  const t = await minted('atonly', { capabilities: ['AT'] });
  const before = readFileSync(t.file);
  failed(await cli(t.home, 'info', 'history', '--MT-file', t.file), 3, /tokeninfo:history/, 'info history');
  failed(await cli(t.home, 'info', 'list-mytokens', '--MT-file', t.file), 3, /manage_mytokens:list/, 'info list-mytokens');
  assert.ok(readFileSync(t.file).equals(before));
  assertAccepted(await cli(t.home, 'AT', '--MT-file', t.file), 'the token itself is fine');
});

// ---- 9. rotation write-back ------------------------------------------------------------------

describe('rotation write-back with real rotation (17.3/36)', () => {
  test('info history with an on_other rotating, restricted token: the file gets the new token, which works; the old one is refused', async () => {
    const t = await minted('rotor', { capabilities: ['tokeninfo'], restrictions: [{ usages_other: 100 }], rotation: { on_other: true } });
    const { r, got } = await requestsDuring(S, () => cli(t.home, 'info', 'history', '--MT-file', t.file));
    ok(r, 'info history');
    rowWith(table(r.stdout), 'EVENT', 'created');
    const sent = got.filter((q) => q.path.startsWith('/api/v0/tokeninfo')).map((q) => JSON.parse(q.body) as { mytoken: string });
    assert.deepEqual(sent.map((b) => b.mytoken), [t.token], 'one tokeninfo request, with the old token');

    const fresh = readFileSync(t.file, 'utf8').split('\n')[0]!;
    assert.notEqual(fresh, t.token, 'the first line of the file changed');
    const oldP = jwtPayload(t.token)!;
    const newP = jwtPayload(fresh);
    assert.ok(newP, 'the file holds a JWT');
    assert.equal(newP.jti, oldP.jti, 'the same mytoken');
    assert.ok((newP.seq_no as number) > (oldP.seq_no as number), `seq_no ${oldP.seq_no} -> ${newP.seq_no}`);

    ok(await cli(t.home, 'info', 'introspect', '--MT-file', t.file), 'introspect with the new token');
    failed(await cli(t.home, 'info', 'introspect', '--MT', t.token), 3, /invalid_token/, 'introspect with the old token');
  });

  test('calendars create --tags newtag (several requests) with an on_other rotating token: each request uses the latest token, the file ends with a working one', async () => {
    const t = await minted('rotor2', {
      capabilities: ['manage_mytokens:notify', 'read@manage_mytokens:notify', 'settings:tags', 'read@settings:tags'],
      restrictions: [{ usages_other: 100 }],
      rotation: { on_other: true },
    });
    const { r, got } = await requestsDuring(S, () => cli(t.home, 'calendars', 'create', '--description', 'd', '--tags', 'newtag', '--MT-file', t.file));
    ok(r, 'calendars create');
    const m = /^\n✓ Calendar created successfully! ID: (\S+)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);

    const authorized = got.filter((q) => typeof q.headers.authorization === 'string');
    assert.deepEqual(
      authorized.map((q) => `${q.method} ${q.path}`),
      ['GET /api/v0/settings/tags', 'POST /api/v0/settings/tags/newtag', 'POST /api/v0/notifications/calendars'],
    );
    const used = authorized.map((q) => (q.headers.authorization as string).replace(/^Bearer /, ''));
    assert.equal(used[0], t.token, 'the first request used the token from the file');
    assert.equal(new Set(used).size, used.length, 'every later request used the token the previous reply rotated to');
    const final = readFileSync(t.file, 'utf8').split('\n')[0]!;
    assert.ok(!used.includes(final), 'the file holds the token from the last reply');
    assert.equal(jwtPayload(final)?.jti, jwtPayload(t.token)!.jti);

    const l = table(ok(await cli(t.home, 'calendars', 'list', '--MT-file', t.file), 'calendars list with the final token').stdout);
    assert.equal(rowWith(l, 'ID', m[1]!).TAGS, 'newtag');
    failed(await cli(t.home, 'calendars', 'list', '--MT', t.token), 3, /invalid_token/, 'calendars list with the original token');
  });
});

// ---- 10. server information ------------------------------------------------------------------

test('server information (17.8/101-105): config, capabilities, list providers, profiles groups|capabilities|list-all', async () => {
  const home = homeWithConfig(S.url, CONFIG_EXTRA);

  const config = ok(await cli(home, 'config'), 'config');
  const doc = JSON.parse(config.stdout) as Record<string, unknown>;
  assert.equal(doc.issuer, S.url);
  assert.ok(config.stdout.startsWith(`{\n  "issuer": "${S.url}",\n`), config.stdout.slice(0, 80));
  assert.deepEqual((doc.providers_supported as { issuer: string }[]).map((p) => p.issuer), [S.issuer]);

  const caps = ok(await cli(home, 'capabilities'), 'capabilities').stdout.split('\n');
  assert.match(caps[0]!, /^NAME\s+DESCRIPTION$/);
  assert.match(caps[1]!, /^----\s+-----------$/);
  assert.ok(caps.some((l) => /^AT\s{2,}\S/.test(l)), 'an AT line');
  assert.ok(caps.some((l) => /^read@settings\s{2,}\S/.test(l)), 'a read@settings line');
  assert.ok(caps.some((l) => /^ {2}tokeninfo:history\s{2,}\S/.test(l)), 'children indented by two spaces');

  const providers = ok(await cli(home, 'list', 'providers'), 'list providers').stdout.split('\n');
  assert.equal(providers[0], `The connected mytoken instance ('${S.url}') supports the following providers:`);
  assert.ok(providers.includes(S.issuer), `the OP ${S.issuer} is listed: ${providers.join(' | ')}`);

  assert.equal(ok(await cli(home, 'profiles', 'groups'), 'profiles groups').stdout, '_\n');

  const pc = ok(await cli(home, 'profiles', 'capabilities'), 'profiles capabilities').stdout;
  assert.ok(pc.startsWith('\nGroup: _\n----------\n'), pc);
  assert.ok(pc.split('\n').includes('  default'), pc);

  const all = ok(await cli(home, 'profiles', 'list-all'), 'profiles list-all').stdout;
  const sections = ['Profiles', 'Capabilities', 'Restrictions', 'Rotation'].map((title) => {
    const at = all.indexOf(`\n${title}:\n${'='.repeat(title.length)}\n`);
    assert.ok(at >= 0, `section ${title} in:\n${all}`);
    return at;
  });
  assert.deepEqual([...sections].sort((a, b) => a - b), sections, 'sections in the order Profiles, Capabilities, Restrictions, Rotation');
  assert.match(all, /\n {2}Group: _\n {2}----------\n {4}- default\n/);
});

// ---- 11. a server without some endpoints -----------------------------------------------------

describe('a server that leaves out notifications, profiles and tags', () => {
  let S2: LocalServer;
  before(async () => {
    S2 = await startLocalServer({
      interval: 1,
      omitEndpoints: ['notifications_endpoint', 'profiles_endpoint', 'capabilities_endpoint'],
      omitSettings: ['tags_endpoint'],
    });
  });
  after(async () => {
    await S2?.close();
  });

  test('calendars list, profiles groups, settings tags list and capabilities exit 1 saying the server does not offer it, and send nothing to the missing paths', async () => {
    const t = await minted('lonely', { capabilities: ['tokeninfo', 'manage_mytokens', 'settings'] }, { server: S2 });
    const cases: [string[], RegExp][] = [
      [['calendars', 'list', '--MT-file', t.file], /does not offer notifications.*notifications_endpoint/],
      [['profiles', 'groups'], /does not offer profiles.*profiles_endpoint/],
      [['settings', 'tags', 'list', '--MT-file', t.file], /does not offer tags.*tags_endpoint/],
      [['capabilities'], /does not offer a list of capabilities/],
    ];
    const n = S2.requests.length;
    for (const [args, message] of cases) {
      failed(await cli(t.home, ...args), 1, message, args.slice(0, 3).join(' '));
    }
    const got = since(S2.requests, n).map((q) => q.path.split('?')[0]!);
    const missing = got.filter((p) => ['/api/v0/notifications', '/api/v0/pt', '/api/v0/settings/tags', '/calendars'].some((x) => p === x || p.startsWith(`${x}/`)));
    assert.deepEqual(missing, [], `requests: ${got.join(', ')}`);
    // the capability list has no key in the configuration document: asking is the only way to know
    const allowed = ['/.well-known/mytoken-configuration', '/api/v0/settings', '/api/v0/capabilities'];
    assert.ok(got.every((p) => allowed.includes(p)), `only discovery: ${got.join(', ')}`);
  });
});

// ---- 12. info decodes locally ----------------------------------------------------------------

test('info --MT-file F (17.7/87) prints the JWT payload as two-space JSON, iss is the server, and sends no request', async () => {
  const t = await minted('decoder', { capabilities: ['AT', 'tokeninfo'], restrictions: [{ exp: inAnHour(), scope: 'storage.read' }] });
  const { r, got } = await requestsDuring(S, () => cli(t.home, 'info', '--MT-file', t.file));
  ok(r, 'info');
  const payload = JSON.parse(r.stdout) as Record<string, unknown>;
  const expected = jwtPayload(t.token)!;
  assert.equal(payload.iss, S.url);
  assert.deepEqual(payload, expected);
  assert.deepEqual(Object.keys(payload), Object.keys(expected), 'keys in their original order');
  assert.equal(r.stdout, `${JSON.stringify(expected, null, 2)}\n`);
  assert.deepEqual(got, [], 'no request to the server');
});

// ---- 13. the ssh grant's settings (issue 5, part 1) --------------------------------------------

test('17.9/108, 110, 112, 113 settings grants enable ssh, ssh add with a real re-login, ssh list, AT/MT --ssh with OpenSSH in the three forms of the seed page, ssh delete', async () => {
  const t = await minted('keyholder', { capabilities: ['AT', 'settings'] });
  ok(await cli(t.home, 'settings', 'grants', 'list', '--MT-file', t.file), 'grants list (none yet)');
  const off = ok(await cli(t.home, 'settings', 'grants', 'ssh', 'list', '--MT-file', t.file), 'ssh list');
  assert.equal(off.stdout, 'SSH Grant Type is not enabled.\n');
  assert.equal(ok(await cli(t.home, 'settings', 'grants', 'enable', 'ssh', '--MT-file', t.file), 'enable').stdout, "Grant 'ssh' enabled\n");
  assert.match(ok(await cli(t.home, 'settings', 'grants', 'list', '--MT-file', t.file), 'grants list').stdout, /│ ssh +│ Enabled │/);

  const keyFile = join(t.home, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', keyFile]);
  const fp = execFileSync('ssh-keygen', ['-l', '-f', `${keyFile}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  const login = await startLogin(['settings', 'grants', 'ssh', 'add', `${keyFile}.pub`, '--key-name', 'laptop', '--capability', 'AT tokeninfo settings manage_mytokens create_mytoken', '--exp', '+1d', '--MT-file', t.file], { home: t.home, env: { MYTOKEN_HTTP_TIMEOUT: '20' } });
  await S.approve(login.url, { user: 'keyholder' });
  const added = await login.done;
  assert.equal(added.status, 0, show(added));
  const user = /username for ssh: '([A-Za-z0-9]{16})'/.exec(added.stdout)?.[1];
  assert.ok(user, added.stdout);
  assert.match(added.stdout, /We added a host entry to your '~\/\.ssh\/config' file/);
  const sshConfig = readFileSync(join(t.home, '.ssh', 'config'), 'utf8');
  assert.match(sshConfig, new RegExp(`Host mytoken-laptop\\n\\tHostName 127\\.0\\.0\\.1\\n\\tPort ${S.sshPort}\\n\\tUser ${user}\\n`));

  const listed = ok(await cli(t.home, 'settings', 'grants', 'ssh', 'list', '--MT-file', t.file), 'ssh list');
  assert.match(listed.stdout, /^SSH Grant Type is enabled\.\n/);
  assert.ok(listed.stdout.includes(fp) && listed.stdout.includes('laptop'), listed.stdout);

  const again = await cli(t.home, 'settings', 'grants', 'ssh', 'add', `${keyFile}.pub`, '--MT-file', t.file);
  failed(again, 1, /ssh key already added/, 'adding the same key twice');

  // the real OpenSSH client against the local SSH server; OpenSSH ignores $HOME, so a shim adds
  // the test's config file and key (issue 5)
  const { bin, ssh: shim } = sshShim(t.home, keyFile);
  const viaSsh = (...args: string[]) => run(args, { home: t.home, env: { PATH: `${bin}:${process.env.PATH}` } });
  for (const target of ['mytoken-laptop', `-p ${S.sshPort} ${user}@127.0.0.1`, `-p ${S.sshPort} -i ${keyFile} ${user}@127.0.0.1`]) {
    const at = await viaSsh('AT', '--ssh', target, '-s', 'openid');
    assert.equal(at.status, 0, `AT --ssh ${target}: ${show(at)}`);
    assert.match(at.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'an access token (a JWT) and a newline');
  }
  for (const target of ['mytoken-laptop', `-p ${S.sshPort} ${user}@127.0.0.1`, `-p ${S.sshPort} -i ${keyFile} ${user}@127.0.0.1`]) {
    const sub = await viaSsh('MT', '--ssh', target, '--capability', 'AT', '--name', 'from-ssh');
    assert.equal(sub.status, 0, `MT --ssh ${target}: ${show(sub)}`);
    assert.equal(jwtPayload(sub.stdout.trim())?.iss, S.url, 'MT over ssh gives a mytoken of this server');
  }
  // plain ssh, as the seed page shows it
  // (asynchronously: the ssh server runs in this process)
  const plain = await new Promise<string>((resolve, reject) =>
    execFile(shim, ['mytoken-laptop', 'AT'], { encoding: 'utf8', env: { ...process.env, HOME: t.home } }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
  );
  assert.match(plain, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'ssh HOST AT prints an access token');
  const intro = await viaSsh('info', 'introspect', '--ssh', 'mytoken-laptop');
  assert.equal(intro.status, 0, show(intro));
  assert.equal((JSON.parse(intro.stdout) as { token_type: string }).token_type, 'token');
  // a command of several requests over ssh: the tag list, the new tag, the calendar
  const cal = await viaSsh('calendars', 'create', '--description', "Bob's jobs", '--tags', 'overssh', '--ssh', 'mytoken-laptop');
  assert.equal(cal.status, 0, show(cal));
  const id = /ID: (\S+)\n$/.exec(cal.stdout)?.[1];
  assert.ok(id, cal.stdout);
  assert.match(ok(await viaSsh('calendars', 'list', '--ssh', 'mytoken-laptop'), 'calendars list over ssh').stdout, new RegExp(`│ ${id} │ Bob's jobs +│ overssh`));
  assert.match(ok(await cli(t.home, 'settings', 'tags', 'list', '--MT-file', t.file), 'the tag made over ssh').stdout, /overssh/);

  assert.equal(ok(await cli(t.home, 'settings', 'grants', 'ssh', 'delete', fp, '--MT-file', t.file), 'delete').stdout, 'Successfully removed ssh key\n');
  const after = ok(await cli(t.home, 'settings', 'grants', 'ssh', 'list', '--MT-file', t.file), 'ssh list after delete');
  assert.ok(!after.stdout.includes(fp), after.stdout);
  failed(await viaSsh('AT', '--ssh', 'mytoken-laptop'), 3, /Permission denied/, 'AT over ssh with the deleted key');
  assert.equal(ok(await cli(t.home, 'settings', 'grants', 'disable', 'ssh', '--MT-file', t.file), 'disable').stdout, "Grant 'ssh' disabled\n");
});
