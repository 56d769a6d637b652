// e2e: calendars list|create|update|delete|subscribe|unsubscribe and notifications
// list|create|update|delete|add-token|remove-token against the scripted stub server (spec cli.md
// 8.2, 8.3, 12.5, 17.10 statements 119-129), with the project's decisions: deterministic tag and
// class order (Q35 fixed), URL-escaped ids and codes (Q42 fixed), no silent cancel of a delete
// without a terminal (Q16 fixed), rotation across several requests (Q43 fixed), interactive prompts
// on stderr, exit statuses 2 (usage), 1 (failure), 3 (refused) and `mytoken: ` messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_PATH,
  type RecordedRequest,
  boxTable,
  rotatingMytoken,
  stubConfiguration,
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
const TAGS = '/api/v0/settings/tags';
const NOTIF = '/api/v0/notifications';
const CAL = '/api/v0/notifications/calendars';
const MT = OPAQUE_MT;

const stub = stubServerForFile({ settings: true });

const withTokenFile = (content: string): TokenFile => tokenFileFor(stub.url, content);

const cli = (args: string[], opts?: Parameters<typeof runAgainst>[2]) => runAgainst(stub, args, opts);

/** "METHOD path" of the requests, without the configuration document and the settings metadata. */
const calls = (got: RecordedRequest[]) => got.filter((q) => q.path !== CONFIG_PATH && q.path !== SETTINGS).map((q) => `${q.method} ${q.path}`);

/** Exactly one request to `path`: `method`, Bearer `token`, and `body` (with key order) if given. */
function assertOneRequest(got: RecordedRequest[], method: string, path: string, token: string, body?: unknown): RecordedRequest {
  const all = got.filter((q) => q.path === path);
  assert.equal(all.length, 1, `requests to ${path}: ${got.map((q) => `${q.method} ${q.path}`).join(', ')}`);
  const q = all[0]!;
  assert.equal(q.method, method);
  assert.equal(q.headers.authorization, `Bearer ${token}`, `Authorization of ${method} ${path}`);
  if (body !== undefined) {
    const b = bodyOf(q);
    assert.deepEqual(b, body);
    if (body && typeof body === 'object') assert.deepEqual(Object.keys(b), Object.keys(body), 'key order');
  }
  return q;
}

const calendar = (id: string, extra: Record<string, unknown> = {}) => ({ id, ics_path: `${stub.url}/calendars/${id}`, tags: [], ...extra });
const tagsAnswer = (...names: string[]) => ({ tags: names.map((tag) => ({ tag, color: '#3357ff' })) });

// ---- calendars ---------------------------------------------------------------------------------

describe('calendars list', () => {
  it('17.10/119 calendars list sends GET <notifications_endpoint>/calendars with Bearer MT and prints the table', async () => {
    stub.on('GET', CAL, {
      status: 200,
      body: {
        calendars: [
          calendar('C1', {
            description: 'work',
            tags: [
              { tag: 'CI', color: '#3357ff' },
              { tag: 'ops', color: 'ff0000' },
            ],
            subscribed_tokens: ['a', 'b'],
          }),
          calendar('C2'),
        ],
      },
    });
    const r = await cli(['calendars', 'list', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      boxTable(
        ['ID', 'DESCRIPTION', 'TAGS', 'ICS PATH', 'SUBSCRIBED TOKENS'],
        [
          ['C1', 'work', 'CI, ops', `${stub.url}/calendars/C1`, '2'],
          ['C2', '', '', `${stub.url}/calendars/C2`, '0'],
        ],
      ),
    );
    assertOneRequest(r.got, 'GET', CAL, MT);
    const alias = await cli(['calendar', 'list', '--MT', MT]);
    assert.equal(alias.status, 0, alias.stderr);
    assert.equal(alias.stdout, r.stdout);
  });

  it('8.2 calendars list: no calendars prints nothing', async () => {
    stub.on('GET', CAL, { status: 200, body: { calendars: [] } });
    const r = await cli(['calendars', 'list', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
  });

  it('8.2 rotation: calendars list writes a token_update back to --MT-file', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('GET', CAL, { status: 200, body: { calendars: [calendar('C1')], token_update: { mytoken: NEW } } });
    const t = withTokenFile(`${OLD}\n`);
    const r = await cli(['calendars', 'list', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, boxTable(['ID', 'DESCRIPTION', 'TAGS', 'ICS PATH', 'SUBSCRIBED TOKENS'], [['C1', '', '', `${stub.url}/calendars/C1`, '0']]));
    assertOneRequest(r.got, 'GET', CAL, OLD);
    assertRotatedTo(t, NEW);
  });

  it('8.2 a configuration without notifications_endpoint: calendars list|create|delete exit 1 naming it, nothing else sent', async () => {
    const doc = stubConfiguration(stub.url);
    delete doc.notifications_endpoint;
    stub.on('GET', CONFIG_PATH, { status: 200, headers: { 'cache-control': 'no-store' }, body: doc });
    const t = withTokenFile(`${MT}\n`);
    for (const args of [['list'], ['create', '--description', 'd'], ['delete', 'C', '--force']]) {
      const r = await cli(['calendars', ...args, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 1, /notification/i, args.join(' '));
      // create reads the settings metadata first (harmless); nothing else may be sent, not even a tag request
      const sent = args[0] === 'create' ? calls(r.got) : r.got.filter((q) => q.path !== CONFIG_PATH).map((q) => `${q.method} ${q.path}`);
      assert.deepEqual(sent, [], args.join(' '));
      assertUntouched(t);
    }
  });
});

describe('calendars create', () => {
  it('17.10/124 create --description d: POST calendars {"description":"d","tags":null}; the tag list is not fetched when no tags are given (difference)', async () => {
    stub.on('POST', CAL, { status: 201, body: calendar('C7', { description: 'd' }) });
    const r = await cli(['calendars', 'create', '--description', 'd', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Calendar created successfully! ID: C7\n');
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', CAL, MT, { description: 'd', tags: null });
    assert.deepEqual(calls(r.got), [`POST ${CAL}`]);
  });

  it('8.2 create --tags "a b, c": missing tags are created first (POST <tags_endpoint>/a%20b {}), then the calendar', async () => {
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('c') });
    stub.on('POST', `${TAGS}/a%20b`, { status: 204 });
    stub.on('POST', CAL, { status: 201, body: calendar('C8', { description: 'd' }) });
    const r = await cli(['calendars', 'new', '--description', 'd', '--tags', 'a b, c', '--tags', ',', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Calendar created successfully! ID: C8\n');
    assertOneRequest(r.got, 'POST', `${TAGS}/a%20b`, MT, {});
    assertOneRequest(r.got, 'POST', CAL, MT, { description: 'd', tags: ['a b', 'c'] });
    assert.deepEqual(calls(r.got), [`GET ${TAGS}`, `POST ${TAGS}/a%20b`, `POST ${CAL}`]);
  });

  it('8.2 rotation across requests (Q43 fixed): each request uses the newest mytoken, --MT-file ends with it', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW1 = rotatingMytoken(stub.url, 2);
    const NEW2 = rotatingMytoken(stub.url, 3);
    stub.on('GET', TAGS, { status: 200, body: { tags: [], token_update: { mytoken: NEW1 } } });
    stub.on('POST', `${TAGS}/t`, { status: 200, body: { token_update: { mytoken: NEW2 } } });
    stub.on('POST', CAL, { status: 201, body: calendar('C9', { description: 'd', tags: [{ tag: 't', color: '' }] }) });
    const t = withTokenFile(`${OLD}\n`);
    const r = await cli(['calendars', 'create', '--description', 'd', '--tags', 't', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Calendar created successfully! ID: C9\n');
    assertOneRequest(r.got, 'GET', TAGS, OLD);
    assertOneRequest(r.got, 'POST', `${TAGS}/t`, NEW1, {});
    assertOneRequest(r.got, 'POST', CAL, NEW2, { description: 'd', tags: ['t'] });
    assertRotatedTo(t, NEW2);
  });

  it('8.2 create refused with 403 insufficient_capabilities: exit 3 naming manage_mytokens:notify, the token file unchanged', async () => {
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer() });
    stub.on('POST', CAL, INSUFFICIENT);
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['calendars', 'create', '--description', 'd', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /manage_mytokens:notify/);
    assertUntouched(t);
  });

  it('12.5 create -i with GO_PROMPTER_USE_PIPE=1: prompts on stderr, stdout only the result line', async () => {
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('CI') });
    stub.on('POST', CAL, { status: 201, body: calendar('C10', { description: 'work' }) });
    const r = await cli(['calendars', 'create', '-i', '--MT', MT], { env: { GO_PROMPTER_USE_PIPE: '1' }, input: 'work\nCI\ny\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Calendar created successfully! ID: C10\n');
    assert.match(r.stderr, /description/i);
    assert.match(r.stderr, /work/);
    assertOneRequest(r.got, 'POST', CAL, MT, { description: 'work', tags: ['CI'] });
    // the tag list is read (to show it, and to create missing tags; once or twice); CI exists: no tag is created
    const order = calls(r.got);
    assert.equal(order[order.length - 1], `POST ${CAL}`, order.join(', '));
    assert.ok(order.includes(`GET ${TAGS}`), order.join(', '));
    assert.deepEqual(
      order.filter((c) => !c.startsWith('GET ')),
      [`POST ${CAL}`],
    );
  });
});

describe('calendars update', () => {
  const current = () => ({
    calendars: [
      calendar('X'),
      calendar('C', {
        description: 'old desc',
        tags: [
          { tag: 'a', color: '#ff0000' },
          { tag: 'c', color: '#00ff00' },
        ],
      }),
    ],
  });

  it('8.2 update C --add-tags b --remove-tags a: creates b, sends PUT calendars/C {"description":"old desc","tags":["c","b"]} (Q35 fixed)', async () => {
    stub.on('GET', CAL, { status: 200, body: current() });
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('a', 'c') });
    stub.on('POST', `${TAGS}/b`, { status: 204 });
    stub.on('PUT', `${CAL}/C`, { status: 204 });
    const r = await cli(['calendars', 'update', 'C', '--add-tags', 'b', '--remove-tags', 'a', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Calendar 'C' updated successfully\n");
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', `${TAGS}/b`, MT, {});
    assertOneRequest(r.got, 'PUT', `${CAL}/C`, MT, { description: 'old desc', tags: ['c', 'b'] });
    const order = calls(r.got);
    assert.ok(order.indexOf(`GET ${CAL}`) < order.indexOf(`PUT ${CAL}/C`), order.join(', '));
    assert.ok(order.indexOf(`POST ${TAGS}/b`) < order.indexOf(`PUT ${CAL}/C`), order.join(', '));
  });

  it('8.2 update C --description new keeps the tags in their order', async () => {
    stub.on('GET', CAL, { status: 200, body: current() });
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('a', 'c') });
    stub.on('PUT', `${CAL}/C`, { status: 204 });
    const r = await cli(['calendars', 'update', 'C', '--description', 'new', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Calendar 'C' updated successfully\n");
    assertOneRequest(r.got, 'PUT', `${CAL}/C`, MT, { description: 'new', tags: ['a', 'c'] });
    assert.deepEqual(under(r.got, TAGS).filter((q) => q.method !== 'GET'), []);
  });

  it('17.10/123 update C without a change: exit 2 mentioning --description, nothing sent to calendars, file unchanged', async () => {
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['calendars', 'update', 'C', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, /--description/);
    assert.deepEqual(under(r.got, NOTIF), []);
    assertUntouched(t);
  });

  it('17.10/123 update C --description d with C not in the list: exit 1 "C ... not found", no PUT', async () => {
    stub.on('GET', CAL, { status: 200, body: { calendars: [calendar('X')] } });
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer() });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['calendars', 'update', 'C', '--description', 'd', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /\bC\b[\s\S]*not found|not found[\s\S]*\bC\b/);
    assert.deepEqual(
      r.got.filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`),
      [],
    );
    assertUntouched(t);
  });
});

describe('calendars delete, subscribe, unsubscribe', () => {
  it('17.10/120 delete C --force (and -f, rm) looks C up in the list (the server answers 204 also for unknown IDs), sends DELETE calendars/C and prints "Calendar \'C\' deleted successfully"', async () => {
    stub.on('GET', CAL, { status: 200, body: { calendars: [calendar('C')] } });
    stub.on('DELETE', `${CAL}/C`, { status: 204 });
    for (const args of [
      ['delete', 'C', '--force'],
      ['delete', 'C', '-f'],
      ['rm', '-f', 'C'],
    ]) {
      const r = await cli(['calendars', ...args, '--MT', MT]);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, "Calendar 'C' deleted successfully\n", args.join(' '));
      assert.equal(r.stderr, '', args.join(' '));
      assertOneRequest(r.got, 'DELETE', `${CAL}/C`, MT);
      assert.deepEqual(calls(r.got), [`GET ${CAL}`, `DELETE ${CAL}/C`], args.join(' '));
    }
  });

  it('17.10/121 delete C without --force and without a terminal: exit 2 mentioning --force, no DELETE, stdout empty (Q16 fixed)', async () => {
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['calendars', 'delete', 'C', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, /--force/);
    assert.ok(!r.stderr.includes('Cancelled.'));
    assert.deepEqual(
      r.got.filter((q) => q.method === 'DELETE').map((q) => q.path),
      [],
    );
    assertUntouched(t);
  });

  it('17.10/122 calendars remove C --force deletes calendar C (Q33 kept)', async () => {
    stub.on('GET', CAL, { status: 200, body: { calendars: [calendar('C')] } });
    stub.on('DELETE', `${CAL}/C`, { status: 204 });
    const r = await cli(['calendars', 'remove', 'C', '--force', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Calendar 'C' deleted successfully\n");
    const q = assertOneRequest(r.got, 'DELETE', `${CAL}/C`, MT);
    assert.ok(!q.body.includes('mom_id'), `an unsubscribe body was sent: ${q.body}`);
  });

  it('8.2 calendar ids are URL-escaped in paths (Q42 fixed)', async () => {
    stub.on('GET', CAL, { status: 200, body: { calendars: [calendar('a b/c')] } });
    stub.on('DELETE', `${CAL}/a%20b%2Fc`, { status: 204 });
    const r = await cli(['calendars', 'delete', 'a b/c', '--force', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Calendar 'a b/c' deleted successfully\n");
    assertOneRequest(r.got, 'DELETE', `${CAL}/a%20b%2Fc`, MT);
  });

  it('17.10/125 (changed) subscribe C sends POST calendars/C {"mom_id":<its own>,"comment":""}, the mom id of a short token from introspection (an empty one is refused, server-api 4.10 [quirk]); --mom-id and --comment fill them', async () => {
    stub.on('POST', `${CAL}/C`, { status: 200, body: {} });
    stub.on('POST', '/api/v0/tokeninfo', { status: 200, body: { valid: true, token_type: 'short_token', mom_id: 'own-mom-id==', token: {} } });
    const r = await cli(['calendars', 'subscribe', 'C', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Successfully subscribed to calendar 'C'\n");
    assert.equal(r.stderr, '');
    assert.deepEqual(bodyOf(r.got.find((q) => q.path === '/api/v0/tokeninfo')!), { action: 'introspect', mytoken: MT });
    assertOneRequest(r.got, 'POST', `${CAL}/C`, MT, { mom_id: 'own-mom-id==', comment: '' });
    assert.deepEqual(calls(r.got), ['POST /api/v0/tokeninfo', `POST ${CAL}/C`]);

    const m = await cli(['calendars', 'add', 'C', '--mom-id', 'm1', '--comment', 'renew me', '--MT', MT]);
    assert.equal(m.status, 0, m.stderr);
    assert.equal(m.stdout, "Successfully subscribed to calendar 'C'\n");
    assertOneRequest(m.got, 'POST', `${CAL}/C`, MT, { mom_id: 'm1', comment: 'renew me' });
  });

  it('8.2 unsubscribe C --mom-id m sends DELETE calendars/C {"mom_id":"m","comment":""}', async () => {
    stub.on('DELETE', `${CAL}/C`, { status: 204 });
    const r = await cli(['calendars', 'unsubscribe', 'C', '--mom-id', 'm', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Successfully unsubscribed from calendar 'C'\n");
    assertOneRequest(r.got, 'DELETE', `${CAL}/C`, MT, { mom_id: 'm', comment: '' });
  });

  it('8.2 update, delete, subscribe, unsubscribe without a calendar id: exit 2 mentioning the calendar, nothing sent', async () => {
    const t = withTokenFile(`${MT}\n`);
    for (const args of [['update', '--description', 'd'], ['delete', '--force'], ['subscribe'], ['unsubscribe']]) {
      const r = await cli(['calendars', ...args, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 2, /calendar/i, args.join(' '));
      assert.deepEqual(under(r.got, NOTIF), [], args.join(' '));
      assertUntouched(t);
    }
  });
});

// ---- notifications -----------------------------------------------------------------------------

const notification = (code: string, extra: Record<string, unknown> = {}) => ({
  notification_id: 1,
  notification_type: 'mail',
  management_code: code,
  user_wide: false,
  notification_classes: ['AT_creations'],
  ...extra,
});

describe('notifications list', () => {
  it('8.3 notifications list sends GET <notifications_endpoint> with Bearer MT and prints the table', async () => {
    stub.on('GET', NOTIF, {
      status: 200,
      body: {
        notifications: [
          notification('M1', { notification_classes: ['AT_creations', 'security:ips'], subscribed_tokens: ['a'], tags: [{ tag: 'CI', color: '#3357ff' }] }),
          notification('M2', { user_wide: true, notification_classes: ['expiration'] }),
          notification('M3'),
        ],
      },
    });
    const r = await cli(['notifications', 'list', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      boxTable(
        ['TYPE', 'MANAGEMENT CODE', 'CLASSES', 'USER WIDE', 'TAGS', 'SUBSCRIBED TOKENS'],
        [
          ['mail', 'M1', 'AT_creations, security:ips', 'false', 'CI', '1'],
          ['mail', 'M2', 'expiration', 'true', '', 'all'],
          ['mail', 'M3', 'AT_creations', 'false', '', '0'],
        ],
      ),
    );
    assertOneRequest(r.got, 'GET', NOTIF, MT);
    const alias = await cli(['notify', 'list', '--MT', MT]);
    assert.equal(alias.status, 0, alias.stderr);
    assert.equal(alias.stdout, r.stdout);
  });

  it('8.3 a configuration without notifications_endpoint: notifications list|create|add-token exit 1 naming it, nothing else sent', async () => {
    const doc = stubConfiguration(stub.url);
    delete doc.notifications_endpoint;
    stub.on('GET', CONFIG_PATH, { status: 200, headers: { 'cache-control': 'no-store' }, body: doc });
    const t = withTokenFile(`${MT}\n`);
    for (const args of [['list'], ['create', '--type', 'mail', '--classes', 'expiration'], ['add-token', 'M']]) {
      const r = await cli(['notifications', ...args, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 1, /notification/i, args.join(' '));
      // create reads the settings metadata first (harmless); nothing else may be sent, not even a tag request
      const sent = args[0] === 'create' ? calls(r.got) : r.got.filter((q) => q.path !== CONFIG_PATH).map((q) => `${q.method} ${q.path}`);
      assert.deepEqual(sent, [], args.join(' '));
      assertUntouched(t);
    }
  });
});

describe('notifications create', () => {
  it('17.10/126 create without --type: exit 2 mentioning --type; --type mail without classes: exit 2 mentioning --classes', async () => {
    const t = withTokenFile(`${MT}\n`);
    const a = await cli(['notifications', 'create', '--MT-file', t.file], { home: t.home });
    assertFailed(a, 2, /--type/);
    assert.deepEqual(under(a.got, NOTIF), []);
    for (const extra of [[], ['--classes', ' , ']]) {
      const b = await cli(['notifications', 'create', '--type', 'mail', ...extra, '--MT-file', t.file], { home: t.home });
      assertFailed(b, 2, /--classes/, extra.join(' '));
      assert.deepEqual(under(b.got, NOTIF), []);
      assert.deepEqual(
        b.got.filter((q) => q.method !== 'GET'),
        [],
      );
    }
    assertUntouched(t);
  });

  it('17.10/127 create --type mail --classes AT_creations: POST <notifications_endpoint> with the exact body (no tag list without tags: difference)', async () => {
    stub.on('POST', NOTIF, { status: 201, body: { management_code: 'Mcode123' } });
    const r = await cli(['notifications', 'create', '--type', 'mail', '--classes', 'AT_creations', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Notification created successfully! Management code: Mcode123\n');
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', NOTIF, MT, {
      mytoken: MT,
      notification_type: 'mail',
      notification_classes: ['AT_creations'],
      include_children: false,
      user_wide: false,
    });
    assert.deepEqual(calls(r.got), [`POST ${NOTIF}`]);
  });

  it('8.3 create with --user-wide, --comment, --tags and split classes: missing tags created first, all keys in order; an ics_invite names the token\'s own mom id (of a short token: from introspection), server-api 4.9 [quirk]', async () => {
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('known') });
    stub.on('POST', `${TAGS}/new%20tag`, { status: 204 });
    stub.on('POST', NOTIF, { status: 201, body: { management_code: 'M2' } });
    stub.on('POST', '/api/v0/tokeninfo', { status: 200, body: { valid: true, token_type: 'short_token', mom_id: 'own-mom-id==', token: {} } });
    const r = await cli([
      'notify',
      'subscribe',
      '--type',
      'ics_invite',
      '--classes',
      'AT_creations, expiration,',
      '--user-wide',
      '--comment',
      'renew <soon>',
      '--tags',
      'known,new tag',
      '--MT',
      MT,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Notification created successfully! Management code: M2\n');
    assertOneRequest(r.got, 'POST', `${TAGS}/new%20tag`, MT, {});
    assertOneRequest(r.got, 'POST', NOTIF, MT, {
      mytoken: MT,
      mom_id: 'own-mom-id==',
      notification_type: 'ics_invite',
      notification_classes: ['AT_creations', 'expiration'],
      include_children: false,
      user_wide: true,
      comment: 'renew <soon>',
      tags: ['known', 'new tag'],
    });
    assert.deepEqual(calls(r.got), [`GET ${TAGS}`, `POST ${TAGS}/new%20tag`, 'POST /api/v0/tokeninfo', `POST ${NOTIF}`]);
  });

  it('12.5 create -i with GO_PROMPTER_USE_PIPE=1: prompts on stderr, stdout only the result line', async () => {
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('CI') });
    stub.on('POST', NOTIF, { status: 201, body: { management_code: 'M7' } });
    const r = await cli(['notifications', 'create', '-i', '--MT', MT], {
      env: { GO_PROMPTER_USE_PIPE: '1' },
      input: 'mail\nAT_creations,expiration\nn\n\ny\n',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n✓ Notification created successfully! Management code: M7\n');
    assert.match(r.stderr, /mail/);
    assert.match(r.stderr, /AT_creations/);
    assertOneRequest(r.got, 'POST', NOTIF, MT, {
      mytoken: MT,
      notification_type: 'mail',
      notification_classes: ['AT_creations', 'expiration'],
      include_children: false,
      user_wide: false,
    });
  });
});

describe('notifications update', () => {
  const list = () => ({
    notifications: [
      notification('OTHER'),
      notification('M', {
        notification_classes: ['AT_creations', 'security'],
        tags: [
          { tag: 'a', color: '#ff0000' },
          { tag: 'c', color: '#00ff00' },
        ],
      }),
    ],
  });

  it('17.10/129 update M --add-classes expiration: GET list, PUT <notifications_endpoint>/M/nc (no tag list when no tag is added: difference)', async () => {
    stub.on('GET', NOTIF, { status: 200, body: list() });
    stub.on('PUT', `${NOTIF}/M/nc`, { status: 204 });
    const r = await cli(['notifications', 'update', 'M', '--add-classes', 'expiration', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Notification 'M' updated successfully\n");
    assert.equal(r.stderr, '');
    assert.deepEqual(calls(r.got), [`GET ${NOTIF}`, `PUT ${NOTIF}/M/nc`]);
    assertOneRequest(r.got, 'PUT', `${NOTIF}/M/nc`, MT, { notification_classes: ['AT_creations', 'security', 'expiration'], tags: ['a', 'c'] });
  });

  it('8.3 update M adding and removing classes and tags: current order minus removed, then added (Q35 fixed)', async () => {
    stub.on('GET', NOTIF, { status: 200, body: list() });
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('a', 'c') });
    stub.on('POST', `${TAGS}/b`, { status: 204 });
    stub.on('PUT', `${NOTIF}/M/nc`, { status: 204 });
    const r = await cli([
      'notifications',
      'update',
      'M',
      '--add-classes',
      'expiration,security',
      '--remove-classes',
      'AT_creations',
      '--add-tags',
      'b',
      '--remove-tags',
      'a',
      '--MT',
      MT,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Notification 'M' updated successfully\n");
    assertOneRequest(r.got, 'POST', `${TAGS}/b`, MT, {});
    assertOneRequest(r.got, 'PUT', `${NOTIF}/M/nc`, MT, { notification_classes: ['security', 'expiration'], tags: ['c', 'b'] });
    const order = calls(r.got);
    assert.ok(order.indexOf(`POST ${TAGS}/b`) < order.indexOf(`PUT ${NOTIF}/M/nc`), order.join(', '));
  });

  it('8.3 update M without a change: exit 2 mentioning --add-classes, nothing sent to notifications', async () => {
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['notifications', 'update', 'M', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, /--add-classes/);
    assert.deepEqual(under(r.got, NOTIF), []);
    assertUntouched(t);
  });

  it('8.3 update with an unknown management code: exit 1 "... not found" naming it, no PUT', async () => {
    stub.on('GET', NOTIF, { status: 200, body: list() });
    stub.on('GET', TAGS, { status: 200, body: tagsAnswer('a', 'c') });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['notifications', 'update', 'NOPE', '--add-classes', 'x', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /NOPE[\s\S]*not found|not found[\s\S]*NOPE/);
    assert.deepEqual(
      r.got.filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`),
      [],
    );
    assertUntouched(t);
  });
});

describe('notifications delete, add-token, remove-token', () => {
  it('8.3 delete M --force (and -f, rm) sends DELETE <notifications_endpoint>/M and prints "Notification \'M\' deleted successfully"', async () => {
    stub.on('DELETE', `${NOTIF}/M`, { status: 204 });
    for (const args of [
      ['delete', 'M', '--force'],
      ['rm', 'M', '-f'],
      ['remove', '-f', 'M'],
    ]) {
      const r = await cli(['notifications', ...args, '--MT', MT]);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, "Notification 'M' deleted successfully\n", args.join(' '));
      assert.equal(r.stderr, '', args.join(' '));
      assertOneRequest(r.got, 'DELETE', `${NOTIF}/M`, MT);
    }
  });

  it('8.3 delete M without --force and without a terminal: exit 2 mentioning --force, no DELETE (Q16 fixed)', async () => {
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['notifications', 'delete', 'M', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, /--force/);
    assert.ok(!r.stderr.includes('Cancelled.'));
    assert.deepEqual(
      r.got.filter((q) => q.method === 'DELETE').map((q) => q.path),
      [],
    );
    assertUntouched(t);
  });

  it('8.3 management codes are URL-escaped in paths (Q42 fixed)', async () => {
    stub.on('DELETE', `${NOTIF}/a%2Fb%20c`, { status: 204 });
    const r = await cli(['notifications', 'delete', 'a/b c', '--force', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Notification 'a/b c' deleted successfully\n");
    assertOneRequest(r.got, 'DELETE', `${NOTIF}/a%2Fb%20c`, MT);
  });

  it('17.10/128 add-token M sends POST <notifications_endpoint>/M/token; remove-token uses DELETE on the same URL', async () => {
    stub.on('POST', `${NOTIF}/M/token`, { status: 204 });
    stub.on('DELETE', `${NOTIF}/M/token`, { status: 204 });
    const a = await cli(['notifications', 'add-token', 'M', '--MT', MT]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, "Token added to notification 'M' successfully\n");
    assert.equal(a.stderr, '');
    assertOneRequest(a.got, 'POST', `${NOTIF}/M/token`, MT, { mytoken: MT, include_children: false });

    const m = await cli(['notifications', 'add-token', 'M', '--mom-id', 'm1', '--include-children', '--MT', MT]);
    assert.equal(m.status, 0, m.stderr);
    assertOneRequest(m.got, 'POST', `${NOTIF}/M/token`, MT, { mytoken: MT, mom_id: 'm1', include_children: true });

    const d = await cli(['notifications', 'remove-token', 'M', '--MT', MT]);
    assert.equal(d.status, 0, d.stderr);
    assert.equal(d.stdout, "Token removed from notification 'M' successfully\n");
    assert.equal(d.stderr, '');
    assertOneRequest(d.got, 'DELETE', `${NOTIF}/M/token`, MT, { mytoken: MT });

    const dm = await cli(['notifications', 'remove-token', 'M', '--mom-id', 'm1', '--MT', MT]);
    assert.equal(dm.status, 0, dm.stderr);
    assertOneRequest(dm.got, 'DELETE', `${NOTIF}/M/token`, MT, { mytoken: MT, mom_id: 'm1' });
  });

  it('8.3 update, delete, add-token, remove-token without a management code: exit 2, nothing sent', async () => {
    const t = withTokenFile(`${MT}\n`);
    for (const args of [['update', '--add-classes', 'x'], ['delete', '--force'], ['add-token'], ['remove-token']]) {
      const r = await cli(['notifications', ...args, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 2, /management[- ]code/i, args.join(' '));
      assert.deepEqual(under(r.got, NOTIF), [], args.join(' '));
      assertUntouched(t);
    }
  });

  it('8.3 a 404 answer to add-token (unknown code): exit 1 with the server description', async () => {
    stub.on('POST', `${NOTIF}/M/token`, { status: 404, body: { error: 'not_found', error_description: 'management_code not valid' } });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['notifications', 'add-token', 'M', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 1, /management_code not valid/);
    assertUntouched(t);
  });
});
