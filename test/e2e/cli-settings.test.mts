// e2e: settings email get|update and settings tags list|create|update|delete against the scripted
// stub server (spec cli.md 8.4, 8.5, 17.9 statements 114-118), with the project's decisions: colours
// are validated as hex (Q44 fixed), tag names are URL-escaped (Q42 fixed), exit statuses 2 (usage),
// 1 (failure), 3 (refused), 4 (unreachable) and `mytoken: ` messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_PATH,
  type RecordedRequest,
  boxTable,
  rotatingMytoken,
  assertFailed,
  assertRotatedTo,
  assertUntouched,
  type TokenFile,
  tokenFileFor,
  bodyOf,
  under,
  runAgainst,
  stubServerForFile,
  OPAQUE_MT,
  INSUFFICIENT,
} from './stub-server.mjs';

const SETTINGS = '/api/v0/settings';
const EMAIL = '/api/v0/settings/email';
const TAGS = '/api/v0/settings/tags';
const MT = OPAQUE_MT;

const stub = stubServerForFile({ settings: true });

const withTokenFile = (content: string): TokenFile => tokenFileFor(stub.url, content);

const cli = (args: string[], opts?: Parameters<typeof runAgainst>[2]) => runAgainst(stub, args, opts);

/** Exactly one request to `path` (or below it when `path` ends a prefix): `method`, Bearer MT, and `body` if given. */
function assertOneRequest(got: RecordedRequest[], method: string, path: string, token: string, body?: Record<string, unknown>): RecordedRequest {
  const all = got.filter((q) => q.path === path);
  assert.equal(all.length, 1, `requests to ${path}: ${got.map((q) => `${q.method} ${q.path}`).join(', ')}`);
  const q = all[0]!;
  assert.equal(q.method, method);
  assert.equal(q.headers.authorization, `Bearer ${token}`);
  if (body) {
    const b = bodyOf(q);
    assert.deepEqual(b, body);
    assert.deepEqual(Object.keys(b), Object.keys(body), 'key order');
  }
  return q;
}

const EMAIL_BLOCK = 'Email Information:\n  Email Address:    a@b\n  Verified:         true\n  Prefer HTML Mail: false\n';
const EMAIL_ANSWER = { email_address: 'a@b', email_verified: true, prefer_html_mail: false };

// ---- settings email ----------------------------------------------------------------------------

describe('settings email', () => {
  it('17.9/114 settings email get prints the email block; GET <usersettings_endpoint> first, then GET <email_endpoint> with Bearer MT', async () => {
    stub.on('GET', EMAIL, { status: 200, body: EMAIL_ANSWER });
    const r = await cli(['settings', 'email', 'get', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, EMAIL_BLOCK);
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'GET', EMAIL, MT);
    const order = r.got.map((q) => q.path).filter((p) => p === SETTINGS || p === EMAIL);
    assert.deepEqual(order, [SETTINGS, EMAIL]);
  });

  it('17.9/114 rotation: settings email get writes a token_update back to --MT-file, stdout only the block', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('GET', EMAIL, { status: 200, body: { ...EMAIL_ANSWER, token_update: { mytoken: NEW } } });
    const t = withTokenFile(`${OLD}\n`);
    const r = await cli(['settings', 'email', 'get', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, EMAIL_BLOCK);
    assert.ok(!r.stderr.includes(NEW), 'the new mytoken leaked to stderr');
    assertOneRequest(r.got, 'GET', EMAIL, OLD);
    assertRotatedTo(t, NEW);
  });

  it('8.4 403 insufficient_capabilities: exit 3 naming read@settings:email, the token file unchanged', async () => {
    stub.on('GET', EMAIL, INSUFFICIENT);
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'email', 'get', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /read@settings:email/);
    assertUntouched(t);
  });

  it('8.4 settings metadata without email_endpoint: exit 1 naming it, no e-mail request', async () => {
    stub.on('GET', SETTINGS, { status: 200, body: { grant_type_endpoint: `${stub.url}/api/v0/settings/grants`, tags_endpoint: `${stub.url}${TAGS}` } });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'email', 'get', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /e-?mail/i);
    assertUntouched(t);
    assert.deepEqual(
      r.got.filter((q) => q.path !== CONFIG_PATH && q.path !== SETTINGS).map((q) => `${q.method} ${q.path}`),
      [],
    );
  });

  it('17.9/115 settings email update without --email/--html/--plain: exit 2 mentioning --email, nothing sent, file unchanged', async () => {
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'email', 'update', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, /--email/);
    assert.deepEqual(under(r.got, EMAIL), []);
    assertUntouched(t);
  });

  it('17.9/115 --html --plain sends PUT {"prefer_html_mail":true} and prints "Email preferences updated successfully"', async () => {
    stub.on('PUT', EMAIL, { status: 204 });
    const r = await cli(['settings', 'email', 'update', '--html', '--plain', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Email preferences updated successfully\n');
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'PUT', EMAIL, MT, { prefer_html_mail: true });
  });

  it('8.4 --email x --plain sends {"email_address":"x","prefer_html_mail":false}; --email alone only the address', async () => {
    stub.on('PUT', EMAIL, { status: 204 });
    const r = await cli(['settings', 'email', 'update', '--email', 'user@example.org', '--plain', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Email preferences updated successfully\n');
    assertOneRequest(r.got, 'PUT', EMAIL, MT, { email_address: 'user@example.org', prefer_html_mail: false });

    const e = await cli(['settings', 'email', 'update', '--email', 'user@example.org', '--MT', MT]);
    assert.equal(e.status, 0, e.stderr);
    assertOneRequest(e.got, 'PUT', EMAIL, MT, { email_address: 'user@example.org' });
  });

  it('8.4 a 400 invalid_request answer to the update: exit 1 with the server description', async () => {
    stub.on('PUT', EMAIL, { status: 400, body: { error: 'invalid_request', error_description: 'no request parameter given' } });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'email', 'update', '--html', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /no request parameter given/);
    assertUntouched(t);
  });
});

// ---- settings tags -----------------------------------------------------------------------------

const TAG_LIST = { tags: [{ tag: 'CI', color: '#3357ff' }, { tag: 'ops', color: 'FF0000' }] };
const TAG_TABLE = boxTable(
  ['COLOR BLOCK', 'TAG', 'COLOR  ( HEX )'],
  [
    ['', 'CI', '#3357ff'],
    ['', 'ops', 'FF0000'],
  ],
);

describe('settings tags', () => {
  it('8.5 settings tags list: GET <tags_endpoint> with Bearer MT; table COLOR BLOCK|TAG|COLOR  ( HEX ), empty swatches without colours', async () => {
    stub.on('GET', TAGS, { status: 200, body: TAG_LIST });
    const r = await cli(['settings', 'tags', 'list', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, TAG_TABLE);
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'GET', TAGS, MT);
  });

  it('8.5 settings tags list: no tags prints nothing', async () => {
    stub.on('GET', TAGS, { status: 200, body: { tags: [] } });
    const r = await cli(['settings', 'tags', 'list', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
  });

  it('8.5 rotation with --MT: settings tags list shows the new mytoken on stderr, never on stdout', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('GET', TAGS, { status: 200, body: { ...TAG_LIST, token_update: { mytoken: NEW } } });
    const r = await cli(['settings', 'tags', 'list', '--MT', OLD]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, TAG_TABLE);
    assert.ok(r.stderr.includes(NEW), `the new mytoken is not on stderr:\n${r.stderr}`);
  });

  it('8.5 settings metadata without tags_endpoint: exit 1 naming it, no request but configuration and settings metadata', async () => {
    stub.on('GET', SETTINGS, { status: 200, body: { grant_type_endpoint: `${stub.url}/api/v0/settings/grants`, email_endpoint: `${stub.url}${EMAIL}` } });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'tags', 'list', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /tags/i);
    assertUntouched(t);
    assert.deepEqual(
      r.got.filter((q) => q.path !== CONFIG_PATH && q.path !== SETTINGS).map((q) => `${q.method} ${q.path}`),
      [],
    );
  });

  it('17.9/116 create foo --color red sends POST <tags_endpoint>/foo {"color":"FF0000"}; "#abc", 3357ff, " Navy " are normalised', async () => {
    stub.on('POST', `${TAGS}/foo`, { status: 204 });
    const cases: [string[], Record<string, unknown>][] = [
      [['--color', 'red'], { color: 'FF0000' }],
      [['--color', '#abc'], { color: 'AABBCC' }],
      [['--color', '3357ff'], { color: '3357FF' }],
      [['--color', '#3357fF'], { color: '3357FF' }],
      [['--color', ' Navy '], { color: '000080' }],
      [['--color', 'grey'], { color: '808080' }],
      [[], {}],
    ];
    for (const [flags, body] of cases) {
      const r = await cli(['settings', 'tags', 'create', 'foo', ...flags, '--MT', MT]);
      assert.equal(r.status, 0, `${flags.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, "Tag 'foo' created successfully\n", flags.join(' '));
      assert.equal(r.stderr, '', flags.join(' '));
      assertOneRequest(r.got, 'POST', `${TAGS}/foo`, MT, body);
    }
  });

  it('17.9/116 --color nonsense, zzz, #12345: exit 2 naming the value, nothing sent (Q44 fixed)', async () => {
    const t = withTokenFile(`${MT}\n`);
    for (const color of ['nonsense', 'zzz', '#12345']) {
      const r = await cli(['settings', 'tags', 'create', 'foo', '--color', color, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 2, new RegExp(color), color);
      assert.deepEqual(under(r.got, TAGS), [], color);
    }
    const u = await cli(['settings', 'tags', 'update', 'foo', '--color', 'zzz', '--MT-file', t.file], { home: t.home });
    assertFailed(u, 2, /zzz/);
    assert.deepEqual(under(u.got, TAGS), []);
    assertUntouched(t);
  });

  it('8.5 tag names are URL-escaped in the path (Q42 fixed): "a b" goes to <tags_endpoint>/a%20b', async () => {
    stub.on('POST', `${TAGS}/a%20b`, { status: 204 });
    stub.on('DELETE', `${TAGS}/x%2Fy`, { status: 204 });
    const r = await cli(['settings', 'tags', 'create', 'a b', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Tag 'a b' created successfully\n");
    assertOneRequest(r.got, 'POST', `${TAGS}/a%20b`, MT, {});

    const d = await cli(['settings', 'tags', 'delete', 'x/y', '--MT', MT]);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.stdout, "Tag 'x/y' deleted successfully\n");
    assertOneRequest(d.got, 'DELETE', `${TAGS}/x%2Fy`, MT);
  });

  it('8.5 create refused with 403 insufficient_capabilities: exit 3 naming settings:tags, the token file unchanged', async () => {
    stub.on('POST', `${TAGS}/foo`, INSUFFICIENT);
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'tags', 'create', 'foo', '--color', 'red', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /settings:tags/);
    assertUntouched(t);
  });

  it('8.5 create, update and delete without a name: exit 2 mentioning the tag, nothing sent to <tags_endpoint>', async () => {
    const t = withTokenFile(`${MT}\n`);
    for (const args of [['create'], ['update', '--new-name', 'bar'], ['delete'], ['rm']]) {
      const r = await cli(['settings', 'tags', ...args, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 2, /tag/i, args.join(' '));
      assert.deepEqual(under(r.got, TAGS), [], args.join(' '));
      assertUntouched(t);
    }
  });

  it('17.9/117 update foo without --new-name or --color: exit 2 mentioning --new-name, nothing sent', async () => {
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'tags', 'update', 'foo', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, /--new-name/);
    assert.deepEqual(under(r.got, TAGS), []);
    assertUntouched(t);
  });

  it('8.5 update foo --new-name bar --color blue sends PUT <tags_endpoint>/foo {"color":"0000FF","tag":"bar"} and prints the old name', async () => {
    stub.on('PUT', `${TAGS}/foo`, { status: 204 });
    const r = await cli(['settings', 'tags', 'update', 'foo', '--new-name', 'bar', '--color', 'blue', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Tag 'foo' updated successfully\n");
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'PUT', `${TAGS}/foo`, MT, { color: '0000FF', tag: 'bar' });

    const c = await cli(['settings', 'tags', 'update', 'foo', '--new-name', 'bar', '--MT', MT]);
    assert.equal(c.status, 0, c.stderr);
    assertOneRequest(c.got, 'PUT', `${TAGS}/foo`, MT, { tag: 'bar' });
  });

  it('17.9/118 delete foo (and rm, remove) sends DELETE <tags_endpoint>/foo and prints "Tag \'foo\' deleted successfully"', async () => {
    stub.on('DELETE', `${TAGS}/foo`, { status: 204 });
    for (const cmd of ['delete', 'rm', 'remove']) {
      const r = await cli(['settings', 'tags', cmd, 'foo', '--MT', MT]);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(r.stdout, "Tag 'foo' deleted successfully\n", cmd);
      assert.equal(r.stderr, '', cmd);
      assertOneRequest(r.got, 'DELETE', `${TAGS}/foo`, MT);
    }
  });

  it('8.5 delete with a 404 not_found answer: exit 1 with the server description', async () => {
    stub.on('DELETE', `${TAGS}/foo`, { status: 404, body: { error: 'not_found', error_description: 'tag not found' } });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['settings', 'tags', 'delete', 'foo', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /tag not found/);
    assertUntouched(t);
  });
});
