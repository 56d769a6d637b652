// e2e: mytoken info (local decoding), info introspect|history|subtokens|list-mytokens|notifications,
// MT list-mytokens, MT tags add|remove and revoke against the scripted stub server (spec cli.md
// 6.1-6.8, 12, 17.7 statements 87-100 without 98, Appendix B.6/B.7), with the project's exit
// statuses (2 usage, 1 failure, 3 refused, 4 unreachable) and `mytoken: ` messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type RecordedRequest,
  boxTable,
  rotatingMytoken,
  assertFailed,
  assertRotatedTo,
  assertUntouched,
  type TokenFile,
  tokenFileFor,
  bodyOf,
  runAgainst,
  stubServerForFile,
  OPAQUE_MT,
  INSUFFICIENT,
} from './stub-server.mjs';

const TOKENINFO = '/api/v0/tokeninfo';
const REVOKE = '/api/v0/token/revoke';
const MYTAGS = '/api/v0/token/my/tags';
const MT = OPAQUE_MT;

const stub = stubServerForFile();

const withTokenFile = (content: string): TokenFile => tokenFileFor(stub.url, content);

const cli = (args: string[], opts?: Parameters<typeof runAgainst>[2]) => runAgainst(stub, args, opts);

const requestsTo = (got: RecordedRequest[], method: string, path: string) => got.filter((q) => q.method === method && q.path === path);

/** The only request to `path` was one `method` with exactly `body` (keys in this order). */
function assertOneRequest(got: RecordedRequest[], method: string, path: string, body: Record<string, unknown>): RecordedRequest {
  const all = got.filter((q) => q.path === path);
  assert.equal(all.length, 1, `requests to ${path}: ${all.map((q) => q.method).join(', ')}`);
  assert.equal(all[0]!.method, method);
  const b = bodyOf(all[0]!);
  assert.deepEqual(b, body);
  assert.deepEqual(Object.keys(b), Object.keys(body), 'key order');
  return all[0]!;
}




/** A JWT whose payload is exactly `payloadText` (for verbatim re-indentation). */
function rawJwt(payloadText: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ES512', typ: 'MT+JWT' })).toString('base64url');
  return `${header}.${Buffer.from(payloadText).toString('base64url')}.${'A'.repeat(176)}`;
}

const UTC = { TZ: 'UTC' };

// ---- info (local) ------------------------------------------------------------------------------

describe('info (decode the mytoken locally)', () => {
  it('17.7/87 info re-indents the JWT payload verbatim (key order, 1.50, 2.0e3, escapes) and sends no request', async () => {
    const payload =
      `{"ver":"0.7","token_type":"mytoken","iss":"${stub.url}","sub":"u1","seq_no":1,"exp":1767225600,` +
      `"weight":1.50,"note":"caf\\u00e9 \\"q\\" <&>","nested":{"z":1,"a":[1,2.0e3]},"empty":{},"list":[]}`;
    const expected = [
      '{',
      '  "ver": "0.7",',
      '  "token_type": "mytoken",',
      `  "iss": "${stub.url}",`,
      '  "sub": "u1",',
      '  "seq_no": 1,',
      '  "exp": 1767225600,',
      '  "weight": 1.50,',
      '  "note": "caf\\u00e9 \\"q\\" <&>",',
      '  "nested": {',
      '    "z": 1,',
      '    "a": [',
      '      1,',
      '      2.0e3',
      '    ]',
      '  },',
      '  "empty": {},',
      '  "list": []',
      '}',
      '',
    ].join('\n');
    const jwt = rawJwt(payload);
    for (const cmd of ['info', 'tokeninfo']) {
      const r = await cli([cmd, '--MT', jwt]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, expected, cmd);
      assert.equal(r.stderr, '', cmd);
      assert.deepEqual(r.got, [], `${cmd} made requests: ${r.got.map((q) => `${q.method} ${q.path}`).join(', ')}`);
    }
  });

  it('17.7/88 info with an opaque token: exit 2 "not a JWT", no request, the token file unchanged', async () => {
    const r = await cli(['info', '--MT', 'opaque-but-32-characters-long-xxxxxxxx']);
    assertFailed(r, 2, /not a JWT/);
    assert.equal(requestsTo(r.got, 'POST', TOKENINFO).length, 0);

    const t = withTokenFile(`${MT}\n`);
    const f = await cli(['info', '--MT-file', t.file], { home: t.home });
    assertFailed(f, 2, /not a JWT/);
    assertUntouched(t);
  });
});

// ---- info introspect ---------------------------------------------------------------------------

describe('info introspect', () => {
  it('17.7/89 sends {"action":"introspect","mytoken":MT} and prints the typed B.6 shape (order, unknown keys dropped, <>& escaped)', async () => {
    stub.on('POST', TOKENINFO, {
      status: 200,
      body: {
        mom_id: 'mom-<1>',
        unknown_top: 1,
        token: {
          restrictions: [{ usages_AT: 10, exp: 1767225600, usages_AT_done: 4, usages_other_done: 2 }],
          rotation: { on_AT: true },
          jti: '2b4c7f0e-8a51-4f5e-9a0c-6c9d3b1a7e11',
          iat: 1767140000,
          ver: '0.7',
          token_type: 'mytoken',
          iss: stub.url,
          sub: 'sub-1',
          seq_no: 3,
          aud: stub.url,
          oidc_sub: 'a&b',
          oidc_iss: 'https://op.example.org/',
          capabilities: ['AT'],
          exp: 1767225600,
          nbf: 1767139200,
          auth_time: 1767139200,
          extra_claim: 'dropped',
        },
        token_type: 'token',
        valid: true,
      },
    });
    const r = await cli(['info', 'introspect', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'introspect', mytoken: MT });
    const expected = [
      '{',
      '  "valid": true,',
      '  "token_type": "token",',
      '  "token": {',
      '    "ver": "0.7",',
      '    "token_type": "mytoken",',
      `    "iss": "${stub.url}",`,
      '    "sub": "sub-1",',
      '    "exp": 1767225600,',
      '    "nbf": 1767139200,',
      '    "iat": 1767140000,',
      '    "auth_time": 1767139200,',
      '    "jti": "2b4c7f0e-8a51-4f5e-9a0c-6c9d3b1a7e11",',
      '    "seq_no": 3,',
      `    "aud": "${stub.url}",`,
      '    "oidc_sub": "a\\u0026b",',
      '    "oidc_iss": "https://op.example.org/",',
      '    "capabilities": [',
      '      "AT"',
      '    ],',
      '    "rotation": {',
      '      "on_AT": true',
      '    },',
      '    "restrictions": [',
      '      {',
      '        "exp": 1767225600,',
      '        "usages_AT": 10,',
      '        "usages_AT_done": 4,',
      '        "usages_other_done": 2',
      '      }',
      '    ]',
      '  },',
      '  "mom_id": "mom-\\u003c1\\u003e"',
      '}',
      '',
    ].join('\n');
    assert.equal(r.stdout, expected);
  });

  it('17.7/89 a refused token (401 invalid_token): exit 3, the token file unchanged', async () => {
    stub.on('POST', TOKENINFO, { status: 401, body: { error: 'invalid_token', error_description: 'token revoked' } });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['info', 'introspect', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /invalid_token/);
    assertUntouched(t);
  });
});

// ---- info history ------------------------------------------------------------------------------

const EVENTS = [
  { event: 'AT_created', time: 1767141000, comment: 'Used grant_type mytoken', ip: '192.0.2.10', user_agent: 'mytoken client 0.7.1', mom_id: 'm1' },
  { event: 'created', time: 1767139200, ip: '192.0.2.10', mom_id: 'm1' },
];
const HISTORY_TABLE =
  '┌────────────┬─────────────────────────┬─────────────────────┬────────────┬──────────────────────┐\n' +
  '│   EVENT    │         COMMENT         │        TIME         │     IP     │      USER AGENT      │\n' +
  '├────────────┼─────────────────────────┼─────────────────────┼────────────┼──────────────────────┤\n' +
  '│ AT_created │ Used grant_type mytoken │ 2025-12-31 00:30:00 │ 192.0.2.10 │ mytoken client 0.7.1 │\n' +
  '│ created    │                         │ 2025-12-31 00:00:00 │ 192.0.2.10 │                      │\n' +
  '└────────────┴─────────────────────────┴─────────────────────┴────────────┴──────────────────────┘\n';

describe('info history', () => {
  it('17.7/90 sends {"action":"event_history","mytoken":MT}; an empty (or null) event list prints nothing, exit 0', async () => {
    for (const events of [[], null]) {
      stub.on('POST', TOKENINFO, { status: 200, body: { events } });
      const r = await cli(['info', 'history', '--MT', MT]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '', JSON.stringify(events));
      assert.equal(r.stderr, '');
      assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'event_history', mytoken: MT });
    }
  });

  it('17.7/91 prints the box-drawn table EVENT|COMMENT|TIME|IP|USER AGENT in server order, local times (TZ=UTC)', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: { events: EVENTS } });
    const r = await cli(['info', 'history', '--MT', MT], { env: UTC });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, HISTORY_TABLE);
  });

  it('17.7/91 rotation: a token_update is written to --MT-file F (first line), stdout is only the table', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('POST', TOKENINFO, { status: 200, body: { events: EVENTS, token_update: { mytoken: NEW, mytoken_type: 'token' } } });
    const t = withTokenFile(`${OLD}\n`);
    const r = await cli(['info', 'history', '--MT-file', t.file], { home: t.home, env: UTC });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, HISTORY_TABLE);
    assert.ok(!r.stderr.includes(NEW), 'the new mytoken leaked to stderr');
    assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'event_history', mytoken: OLD });
    assertRotatedTo(t, NEW);
  });

  it('17.7/91 rotation with --MT: the new mytoken is shown on stderr with a warning, never on stdout', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('POST', TOKENINFO, { status: 200, body: { events: EVENTS, token_update: { mytoken: NEW } } });
    const r = await cli(['info', 'history', '--MT', OLD], { env: UTC });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, HISTORY_TABLE);
    assert.ok(r.stderr.includes(NEW), `the new mytoken is not on stderr:\n${r.stderr}`);
  });

  it('17.7/90 403 insufficient_capabilities: exit 3 naming tokeninfo:history, the token file unchanged', async () => {
    stub.on('POST', TOKENINFO, INSUFFICIENT);
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['info', 'history', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /tokeninfo:history/);
    assertUntouched(t);
  });

  it('17.7/90 a 502 with an HTML body: exit 4, nothing on stdout', async () => {
    stub.on('POST', TOKENINFO, { status: 502, body: '<html><body>Bad Gateway</body></html>' });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['info', 'history', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 4, /502/);
    assertUntouched(t);
  });
});

// ---- info subtokens ----------------------------------------------------------------------------

describe('info subtokens', () => {
  it('6.4 sends {"action":"subtokens","mytoken":MT} and prints the typed B.7 tree (order, unknown keys dropped, <>& escaped)', async () => {
    stub.on('POST', TOKENINFO, {
      status: 200,
      body: {
        mytokens: {
          children: [{ token: { created: 1767141000, mom_id: 'c1', ip: '192.0.2.11', extra: true } }],
          token: {
            ip: '192.0.2.10',
            name: 'a<b>&c',
            mom_id: 'root',
            created: 1767139200,
            expires_at: 4102444800,
            tags: [{ color: '#3357ff', tag: 'CI' }],
            foo: 'bar',
          },
          extra: 1,
        },
      },
    });
    const expected = [
      '{',
      '  "token": {',
      '    "mom_id": "root",',
      '    "name": "a\\u003cb\\u003e\\u0026c",',
      '    "created": 1767139200,',
      '    "expires_at": 4102444800,',
      '    "tags": [',
      '      {',
      '        "tag": "CI",',
      '        "color": "#3357ff",',
      '        "include_children": false',
      '      }',
      '    ],',
      '    "ip": "192.0.2.10"',
      '  },',
      '  "children": [',
      '    {',
      '      "token": {',
      '        "mom_id": "c1",',
      '        "created": 1767141000,',
      '        "ip": "192.0.2.11"',
      '      }',
      '    }',
      '  ]',
      '}',
      '',
    ].join('\n');
    for (const cmd of ['subtokens', 'tree', 'token-tree']) {
      const r = await cli(['info', cmd, '--MT', MT]);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(r.stderr, '', cmd);
      assert.equal(r.stdout, expected, cmd);
      assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'subtokens', mytoken: MT });
    }
  });
});

// ---- info list-mytokens / MT list-mytokens -----------------------------------------------------

const FOREST = {
  mytokens: [
    {
      token: {
        mom_id: 'm1',
        name: 'job',
        created: 1767139200,
        expires_at: 4102444800,
        tags: [{ tag: 'CI', color: '#3357ff', include_children: false }],
        ip: '192.0.2.10',
      },
      children: [{ token: { mom_id: 'm2', name: '', created: 1767141000, ip: '192.0.2.11' } }],
    },
    { token: { mom_id: 'm3', name: 'old', created: 1700000000, expires_at: 1700003600, ip: '192.0.2.12' } },
  ],
};
const LIST_HEADERS = ['NAME', 'CREATED', 'EXPIRES', 'TAGS', 'IP'];
const LIST_ROWS = [
  ['job', '2025-12-31 00:00:00', '2100-01-01 00:00:00', 'CI', '192.0.2.10'],
  ['└─ unnamed token', '2025-12-31 00:30:00', 'does not expire', '', '192.0.2.11'],
  ['old', '2023-11-14 22:13:20', '2023-11-14 23:13:20', '', '192.0.2.12'],
];
const MOM_IDS = ['m1', 'm2', 'm3'];

describe('info list-mytokens and MT list-mytokens', () => {
  it('17.7/92+93 the table: NAME first; depth-first rows, "└─ unnamed token", "does not expire", no escape sequences', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: FOREST });
    const r = await cli(['info', 'list-mytokens', '--MT', MT], { env: UTC });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, boxTable(LIST_HEADERS, LIST_ROWS));
    assert.ok(!r.stdout.includes('\x1b'), 'escape sequences without a terminal');
    assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'list_mytokens', mytoken: MT });
  });

  it('17.7/92 --include-mom-id adds a first column "MOM - ID"', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: FOREST });
    const r = await cli(['info', 'list', '--MT', MT, '--include-mom-id'], { env: UTC });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, boxTable(['MOM - ID', ...LIST_HEADERS], LIST_ROWS.map((row, i) => [MOM_IDS[i]!, ...row])));
    assert.match(r.stdout.split('\n')[1]!, /^│ +MOM - ID +│ +NAME +│/);
  });

  it('17.7/94 MT list-mytokens (and MT list) sends {"action":"list_mytokens","mytoken":MT} and prints the same table', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: FOREST });
    for (const cmd of ['list-mytokens', 'list']) {
      const r = await cli(['MT', cmd, '--MT', MT], { env: UTC });
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(r.stderr, '', cmd);
      assert.equal(r.stdout, boxTable(LIST_HEADERS, LIST_ROWS), cmd);
      assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'list_mytokens', mytoken: MT });
    }
  });

  it('6.5 an empty list prints nothing, exit 0', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: { mytokens: [] } });
    const r = await cli(['info', 'list-mytokens', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
  });

  it('6.5 403 insufficient_capabilities: exit 3 naming manage_mytokens:list, the token file unchanged', async () => {
    stub.on('POST', TOKENINFO, INSUFFICIENT);
    for (const args of [
      ['info', 'list-mytokens'],
      ['MT', 'list-mytokens'],
    ]) {
      const t = withTokenFile(`${MT}\n`);
      const r = await cli([...args, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 3, /manage_mytokens:list/, args.join(' '));
      assertUntouched(t);
    }
  });
});

// ---- info notifications ------------------------------------------------------------------------

const NOTIFICATIONS = [
  {
    notification_id: 1,
    notification_type: 'mail',
    management_code: 'M1code',
    user_wide: false,
    notification_classes: ['AT_creations', 'expiration'],
    subscribed_tokens: ['a', 'b'],
    tags: [{ tag: 'CI', color: '#3357ff' }],
  },
  { notification_id: 2, notification_type: 'mail', management_code: 'M2code', user_wide: true, notification_classes: ['security'] },
];
const NOTIFICATION_TABLE = boxTable(
  ['TYPE', 'MANAGEMENT CODE', 'CLASSES', 'USER WIDE', 'TAGS', 'SUBSCRIBED TOKENS'],
  [
    ['mail', 'M1code', 'AT_creations, expiration', 'false', 'CI', '2'],
    ['mail', 'M2code', 'security', 'true', '', 'all'],
  ],
);
const calendars = (base: string) => [
  {
    id: 'C1',
    ics_path: `${base}/calendars/C1`,
    description: 'work',
    tags: [
      { tag: 'CI', color: '3357ff' },
      { tag: 'ops', color: '#ff0000' },
    ],
    subscribed_tokens: ['a'],
  },
  { id: 'C2', ics_path: `${base}/calendars/C2`, tags: [] },
];
const calendarTable = (base: string) =>
  boxTable(
    ['ID', 'DESCRIPTION', 'TAGS', 'ICS PATH', 'SUBSCRIBED TOKENS'],
    [
      ['C1', 'work', 'CI, ops', `${base}/calendars/C1`, '1'],
      ['C2', '', '', `${base}/calendars/C2`, '0'],
    ],
  );

describe('info notifications', () => {
  it('17.7/95 an empty answer prints exactly "No notifications or calendars found."; --mom-id this adds "mom_ids":["this"]', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: {} });
    const r = await cli(['info', 'notifications', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'No notifications or calendars found.\n');
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'notifications', mytoken: MT });

    const m = await cli(['info', 'notifications', '--MT', MT, '--mom-id', 'this']);
    assert.equal(m.status, 0, m.stderr);
    assert.equal(m.stdout, 'No notifications or calendars found.\n');
    assertOneRequest(m.got, 'POST', TOKENINFO, { action: 'notifications', mytoken: MT, mom_ids: ['this'] });
  });

  it('6.6 notifications and calendars: "Notifications:" table, empty line, "Calendars:" table, empty line', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: { notifications: NOTIFICATIONS, calendars: calendars(stub.url) } });
    const r = await cli(['info', 'notifications', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `Notifications:\n${NOTIFICATION_TABLE}\nCalendars:\n${calendarTable(stub.url)}\n`);
  });

  it('6.6 only calendars: no "Notifications:" section', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: { calendars: calendars(stub.url) } });
    const r = await cli(['info', 'notifications', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `Calendars:\n${calendarTable(stub.url)}\n`);
  });

  it('6.6 two --mom-id values and a mom_id_mapping answer: "Token <id>:" blocks in server order', async () => {
    stub.on('POST', TOKENINFO, {
      status: 200,
      body: { mom_id_mapping: { zeta: { notifications: NOTIFICATIONS }, alpha: {} } },
    });
    const r = await cli(['info', 'notifications', '--MT', MT, '--mom-id', 'zeta', '--mom-id', 'alpha']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', TOKENINFO, { action: 'notifications', mytoken: MT, mom_ids: ['zeta', 'alpha'] });
    const first = `Token zeta:\nNotifications:\n${NOTIFICATION_TABLE}`;
    assert.ok(r.stdout.startsWith(first), `unexpected start:\n${r.stdout}`);
    const rest = r.stdout.slice(first.length);
    // the blocks are separated by (at least) one empty line; the exact count is not fixed
    assert.match(rest, /^\n+Token alpha:\nNo notifications or calendars found\.\n$/);
  });

  it('6.6 rotation: info notifications writes a token_update back to --MT-file', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('POST', TOKENINFO, { status: 200, body: { token_update: { mytoken: NEW } } });
    const t = withTokenFile(`${OLD}\n`);
    const r = await cli(['info', 'notifications', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'No notifications or calendars found.\n');
    assertRotatedTo(t, NEW);
  });
});

// ---- revoke ------------------------------------------------------------------------------------

describe('revoke', () => {
  it('17.7/96 revoke sends {"token":MT} and prints "Token revoked"', async () => {
    stub.on('POST', REVOKE, { status: 204 });
    const r = await cli(['revoke', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Token revoked\n');
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', REVOKE, { token: MT });
  });

  it('17.7/97 -r --mom-id X sends {"token":MT,"mom_id":"X","recursive":true}; MOM_ID=X does the same', async () => {
    stub.on('POST', REVOKE, { status: 204 });
    const r = await cli(['revoke', '--MT', MT, '-r', '--mom-id', 'X']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Token revoked\n');
    assertOneRequest(r.got, 'POST', REVOKE, { token: MT, mom_id: 'X', recursive: true });

    const e = await cli(['revoke', '--MT', MT, '--recursive'], { env: { MOM_ID: 'X' } });
    assert.equal(e.status, 0, e.stderr);
    assert.equal(e.stdout, 'Token revoked\n');
    assertOneRequest(e.got, 'POST', REVOKE, { token: MT, mom_id: 'X', recursive: true });
  });

  it('6.7 revoke --MT-file F: F is left byte-identical', async () => {
    stub.on('POST', REVOKE, { status: 204 });
    const t = withTokenFile(`${MT}\nsecond line\n`);
    const r = await cli(['revoke', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Token revoked\n');
    assertOneRequest(r.got, 'POST', REVOKE, { token: MT });
    assertUntouched(t);
  });

  it('6.7 a 403 invalid_grant answer: exit 3 with the server description, the token file unchanged', async () => {
    stub.on('POST', REVOKE, {
      status: 403,
      body: { error: 'invalid_grant', error_description: 'The provided token cannot revoke this token' },
    });
    const t = withTokenFile(`${MT}\n`);
    const r = await cli(['revoke', '--MT-file', t.file, '--mom-id', 'other'], { home: t.home });
    assertFailed(r, 3, /The provided token cannot revoke this token/);
    assert.ok(!r.stdout.includes('Token revoked'));
    assertUntouched(t);
  });
});

// ---- MT tags add|remove ------------------------------------------------------------------------

describe('MT tags', () => {
  it('17.7/99 MT tags add x sends POST <mytoken_endpoint>/tags {"tag":"x","mytoken":MT,"include_children":false}', async () => {
    stub.on('POST', MYTAGS, { status: 204 });
    const r = await cli(['MT', 'tags', 'add', 'x', '--MT', MT]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Tag 'x' added successfully\n");
    assert.equal(r.stderr, '');
    assertOneRequest(r.got, 'POST', MYTAGS, { tag: 'x', mytoken: MT, include_children: false });
  });

  it('17.7/99 MT tags rm x uses DELETE and prints "Tag \'x\' removed successfully"', async () => {
    stub.on('DELETE', MYTAGS, { status: 204 });
    for (const cmd of ['rm', 'remove', 'delete']) {
      const r = await cli(['MT', 'tags', cmd, 'x', '--MT', MT]);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(r.stdout, "Tag 'x' removed successfully\n", cmd);
      assertOneRequest(r.got, 'DELETE', MYTAGS, { tag: 'x', mytoken: MT, include_children: false });
    }
  });

  it('6.8 --mom-id m --include-children adds "mom_id" and include_children true', async () => {
    stub.on('POST', MYTAGS, { status: 200, body: {} });
    const r = await cli(['MT', 'tags', 'add', 'team a', '--MT', MT, '--mom-id', 'm', '--include-children']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Tag 'team a' added successfully\n");
    assertOneRequest(r.got, 'POST', MYTAGS, { tag: 'team a', mytoken: MT, mom_id: 'm', include_children: true });
  });

  it('17.7/100 MT tags add without a tag: exit 2 mentioning the tag, nothing sent, token file unchanged', async () => {
    const t = withTokenFile(`${MT}\n`);
    for (const cmd of ['add', 'remove']) {
      const r = await cli(['MT', 'tags', cmd, '--MT-file', t.file], { home: t.home });
      assertFailed(r, 2, /tag/i, cmd);
      assert.equal(r.got.filter((q) => q.path === MYTAGS).length, 0, `${cmd} sent a request`);
      assertUntouched(t);
    }
  });

  it('6.8 rotation: MT tags add writes a token_update back to --MT-file', async () => {
    const OLD = rotatingMytoken(stub.url, 1);
    const NEW = rotatingMytoken(stub.url, 2);
    stub.on('POST', MYTAGS, { status: 200, body: { token_update: { mytoken: NEW } } });
    const t = withTokenFile(`${OLD}\n`);
    const r = await cli(['MT', 'tags', 'add', 'x', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "Tag 'x' added successfully\n");
    assertOneRequest(r.got, 'POST', MYTAGS, { tag: 'x', mytoken: OLD, include_children: false });
    assertRotatedTo(t, NEW);
  });
});
