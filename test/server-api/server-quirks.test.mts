// Local mytoken server: the [quirk]s of spec server-api.md that a client must live with are on by
// default (rule 2 of "How this project uses this document"), the [0.10] quirk a client cannot
// live with sits behind the `strictParity` switch (both settings tested), and what it answers
// where issue 12 (items 11-15) asked; also `npm run server` with fixed ports and without a rebuild.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, bearer, http, nowSeconds } from '../server/testing.mjs';
import { ROOT } from '../e2e/helpers.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

const NOTIFICATIONS = '/api/v0/notifications';
const CALENDARS = '/api/v0/notifications/calendars';
const GRANTS = '/api/v0/settings/grants';
const inOneHour = () => [{ exp: nowSeconds() + 3600 }];

const icsInvite = (token: string, extra: Record<string, unknown> = {}) =>
  c.post(NOTIFICATIONS, { mytoken: token, notification_type: 'ics_invite', comment: 'renew', ...extra });

// ---------------------------------------------------------------------------------------------
// 4.9, 4.10: mom_id is required even for the presenting token

test('12.12 ics_invite without mom_id (absent or empty) is about "another token with an empty id": 403, nothing mailed; with its own mom_id: 204', async () => {
  const user = 'q-ics';
  const t = await server.mint({ capabilities: ['AT', 'tokeninfo'], restrictions: inOneHour() }, { user });
  const mails = () => server.outbox().filter((m) => m.kind === 'ics_invite' && m.to === `${user}@example.test`).length;
  // without manage_mytokens:notify the capability check for "another token" fails first
  assertError(await icsInvite(t.mytoken), 403, 'insufficient_capabilities');
  assertError(await icsInvite(t.mytoken, { mom_id: '' }), 403, 'insufficient_capabilities');
  // with it, the same-user check of the empty id fails
  const manager = await server.mint({ capabilities: ['tokeninfo', 'manage_mytokens:notify'], restrictions: inOneHour() }, { user });
  assertError(await icsInvite(manager.mytoken), 403, 'invalid_grant');
  assert.equal(mails(), 0, 'no invitation was mailed');
  // the token's own mom_id: one-shot, 204 without a body, one mail
  const r = await icsInvite(t.mytoken, { mom_id: t.mom_id });
  assert.equal(r.status, 204, r.text);
  assert.equal(r.text, '');
  assert.equal(mails(), 1);
  // nothing is stored: no notification appears in the list
  assert.equal(assertOk(await c.get(NOTIFICATIONS, bearer(manager.mytoken))).notifications, null);
});

test('12.12 calendar subscription (POST calendars/{id}) without mom_id: 403; the own mom_id needs no capability; unsubscribing keeps "empty = this token"', async () => {
  const user = 'q-cal';
  const owner = await server.mint({ capabilities: ['tokeninfo', 'manage_mytokens'], restrictions: inOneHour() }, { user });
  const cal = assertOk(await c.post(CALENDARS, { description: 'q', tags: null }, bearer(owner.mytoken)), 201);
  const bare = await server.mint({ capabilities: ['AT'], restrictions: inOneHour() }, { user });
  const path = `${CALENDARS}/${cal.id}`;
  assertError(await c.post(path, { mom_id: '', comment: '' }, bearer(bare.mytoken)), 403, 'insufficient_capabilities');
  assertError(await c.post(path, { comment: '' }, bearer(bare.mytoken)), 403, 'insufficient_capabilities');
  assertError(await c.post(path, { mom_id: '', comment: '' }, bearer(owner.mytoken)), 403, 'invalid_grant');
  assert.equal(assertOk(await c.get(CALENDARS, bearer(owner.mytoken))).calendars[0].subscribed_tokens, undefined, 'nothing subscribed');
  assert.equal((await c.post(path, { mom_id: bare.mom_id, comment: 'self' }, bearer(bare.mytoken))).status, 204);
  assert.deepEqual(assertOk(await c.get(CALENDARS, bearer(owner.mytoken))).calendars[0].subscribed_tokens, [bare.mom_id]);
  // not a marked quirk: DELETE with an empty mom_id takes out the presenting token
  assert.equal((await c.send('DELETE', path, { mom_id: '', comment: '' }, bearer(bare.mytoken))).status, 204);
  assert.equal(assertOk(await c.get(CALENDARS, bearer(owner.mytoken))).calendars[0].subscribed_tokens, undefined);
});

test('12.14 deleting a calendar that does not exist answers 204 (server-api 4.10 [0.10]: also for unknown names)', async () => {
  const t = await server.mint({ capabilities: ['manage_mytokens'] }, { user: 'q-caldel' });
  const r = await c.send('DELETE', `${CALENDARS}/doesnotexist`, undefined, bearer(t.mytoken));
  assert.equal(r.status, 204, r.text);
});

// ---------------------------------------------------------------------------------------------
// 3.6: an unknown response_type is no error

test('12.12 an unknown response_type ("weird") yields a JWT with mytoken_type token, not 400 (server-api 3.6, 1.2, 9.3/39)', async () => {
  const t = await server.mint({ response_type: 'weird', capabilities: ['AT', 'create_mytoken'] }, { user: 'q-rt' });
  assert.equal(t.mytoken_type, 'token');
  assert.equal(String(t.mytoken).split('.').length, 3);
  const sub = assertOk(await c.sub(t.mytoken, { capabilities: ['AT'], response_type: 'weird' }));
  assert.equal(sub.mytoken_type, 'token');
  // a member of the wrong JSON type is still a decoding error
  assertError(await c.sub(t.mytoken, { response_type: 42 }), 400, 'invalid_request');
});

// ---------------------------------------------------------------------------------------------
// 1.7: replies without payload are not empty

test('12.12 enabling a grant answers 201 with the text "Created" (text/plain), as server 0.10 does (server-api 1.7)', async () => {
  const t = await server.mint({ capabilities: ['settings:grants'] }, { user: 'q-created' });
  const r = await c.post(GRANTS, { grant_type: 'ssh', mytoken: t.mytoken });
  assert.equal(r.status, 201);
  assert.equal(r.text, 'Created');
  assert.match(String(r.headers.get('content-type')), /^text\/plain; charset=utf-8$/);
  // disabling: 204 without a body
  const d = await c.send('DELETE', GRANTS, { grant_type: 'ssh', mytoken: t.mytoken });
  assert.equal(d.status, 204);
  assert.equal(d.text, '');
});

// ---------------------------------------------------------------------------------------------
// 4.9: POST /{code}/token reads no header

test('12.12 attaching a token to a notification with neither mom_id nor mytoken in the body fails with 500 (the header is not read, server-api 4.9)', async () => {
  const t = await server.mint({ capabilities: ['tokeninfo', 'manage_mytokens'] }, { user: 'q-attach' });
  const code = assertOk(
    await c.post(NOTIFICATIONS, { mytoken: t.mytoken, notification_type: 'mail', notification_classes: ['AT_creations'], user_wide: false }),
    201,
  ).management_code;
  const other = await server.mint({ capabilities: ['AT'] }, { user: 'q-attach' });
  assertError(await c.post(`${NOTIFICATIONS}/${code}/token`, { include_children: false }, bearer(other.mytoken)), 500, 'internal_server_error');
  assert.deepEqual(assertOk(await c.get(`${NOTIFICATIONS}/${code}`)).subscribed_tokens, [t.mom_id], 'nothing attached');
  // the token in the body works
  assert.equal((await c.post(`${NOTIFICATIONS}/${code}/token`, { mytoken: other.mytoken, include_children: false })).status, 204);
  assert.deepEqual(assertOk(await c.get(`${NOTIFICATIONS}/${code}`)).subscribed_tokens, [t.mom_id, other.mom_id]);
});

// ---------------------------------------------------------------------------------------------
// 4.6: introspection reports the counters the server keeps, 0 included

test('12.13 introspection sends usages_AT_done and usages_other_done, also when 0, once the clause was used; an unused clause has none', async () => {
  const t = await server.mint({ capabilities: ['AT', 'tokeninfo'], restrictions: [{ usages_AT: 5, usages_other: 5 }] }, { user: 'q-intro' });
  let [clause] = assertOk(await c.tokeninfo(t.mytoken, 'introspect')).token.restrictions;
  assert.deepEqual(clause, { usages_AT: 5, usages_other: 5 });
  assertOk(await c.at(t.mytoken));
  [clause] = assertOk(await c.tokeninfo(t.mytoken, 'introspect')).token.restrictions;
  assert.deepEqual(clause, { usages_AT: 5, usages_other: 5, usages_AT_done: 1, usages_other_done: 0 });
});

// ---------------------------------------------------------------------------------------------
// 1.6: the lost token_update, only with strictParity

test('12.12 [0.10] lost token_update (server-api 1.6, 9.6/73): off by default; with strictParity GET notifications, POST mail notification and GET calendars rotate without token_update', async () => {
  const request = { capabilities: ['tokeninfo', 'manage_mytokens', 'settings'], restrictions: [{ usages_other: 20 }], rotation: { on_other: true } };
  const calls = (cl: ReturnType<typeof api>, token: string) => [
    () => cl.get(NOTIFICATIONS, bearer(token)),
    () => cl.post(NOTIFICATIONS, { mytoken: token, notification_type: 'mail', notification_classes: ['AT_creations'], user_wide: true }),
    () => cl.get(CALENDARS, bearer(token)),
  ];
  // default: every reply carries token_update
  let token = (await server.mint(request, { user: 'q-lost' })).mytoken as string;
  for (const i of [0, 1, 2]) {
    const r = await calls(c, token)[i]!();
    assert.ok(r.status === 200 || r.status === 201, r.text);
    assert.equal(typeof r.json.token_update?.mytoken, 'string', `call ${i}: token_update expected`);
    token = r.json.token_update.mytoken;
  }
  assertOk(await c.tokeninfo(token, 'introspect'));

  const strict = await startLocalServer({ strictParity: true });
  try {
    const s = api(strict);
    for (const i of [0, 1, 2]) {
      const t = (await strict.mint(request, { user: `q-lost-${i}` })).mytoken as string;
      const r = await calls(s, t)[i]!();
      assert.ok(r.status === 200 || r.status === 201, r.text);
      assert.equal(r.json.token_update, undefined, `call ${i}: the token_update is lost`);
      assert.match(String(r.headers.get('set-cookie')), /^mytoken=/, `call ${i}: only the cookie has the new version`);
      assertError(await s.tokeninfo(t, 'introspect'), 401, 'invalid_token');
    }
    // the other replies keep theirs
    const t = (await strict.mint(request, { user: 'q-lost-x' })).mytoken as string;
    const r = await s.get('/api/v0/settings/grants', bearer(t));
    assert.equal(typeof assertOk(r).token_update?.mytoken, 'string');
  } finally {
    await strict.close();
  }
});

// ---------------------------------------------------------------------------------------------
// 15: npm run server with fixed ports, and no rebuild when the build is current

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const buildOutputs = ['build/test/server/main.mjs', 'build/src/main.js', 'dist/mytoken.cjs'].map((f) => join(ROOT, f));
const mtimes = () => buildOutputs.map((f) => statSync(f).mtimeMs);

test('12.15 `npm run server -- --port P --op-port Q --ssh-port R` answers on those ports, and with a current build it does not rebuild', async (t) => {
  const check = spawnSync(process.execPath, [join(ROOT, 'scripts/build-if-stale.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  if (check.status !== 0) {
    // a source changed after the build: running the script would rebuild under the running tests
    t.skip(`the build is not current (${check.stderr.trim()}); run npm run build first`);
    return;
  }
  const before = mtimes();
  const [port, opPort, sshPort] = await freePorts(3);
  const child = spawn('npm', ['run', '--silent', 'server', '--', '--port', String(port), '--op-port', String(opPort), '--ssh-port', String(sshPort)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm, sh and node are stopped together
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line from npm run server within 60 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 60_000);
      const poll = setInterval(() => {
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(stdout.split('\n')[0]!);
        }
      }, 50);
      void exited.then((code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`npm run server exited (${code}) before printing its line\nstdout: ${stdout}\nstderr: ${stderr}`));
      });
    });
    const info = JSON.parse(line) as { url: string; issuer: string; ssh_port: number };
    assert.equal(info.url, `http://127.0.0.1:${port}`);
    assert.equal(info.issuer, `http://127.0.0.1:${opPort}`);
    assert.equal(info.ssh_port, sshPort);
    const doc = await http(`${info.url}/.well-known/mytoken-configuration`);
    assert.equal(doc.status, 200);
    assert.equal(doc.json.issuer, info.url);
    const op = await http(`${info.issuer}/.well-known/openid-configuration`);
    assert.equal(op.status, 200);
    assert.deepEqual(mtimes(), before, 'the build outputs were rewritten: npm run server rebuilt a current build');
    assert.doesNotMatch(stderr, /tsc|bundle|build/i, 'no build ran');
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  }
});

test('12.15 `npm run server -- --help` documents the port options and their variables; a bad port is status 2', () => {
  const help = spawnSync(process.execPath, [join(ROOT, 'build/test/server/main.mjs'), '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(help.status, 0, help.stderr);
  for (const s of ['--port', '--op-port', '--ssh-port', '--strict-parity', 'MYTOKEN_SERVER_PORT', 'MYTOKEN_SERVER_OP_PORT', 'MYTOKEN_SERVER_SSH_PORT']) {
    assert.ok(help.stdout.includes(s), `--help does not mention ${s}:\n${help.stdout}`);
  }
  for (const args of [['--port', 'x'], ['--port', '70000'], ['--op-port'], ['--nonsense']]) {
    const r = spawnSync(process.execPath, [join(ROOT, 'build/test/server/main.mjs'), ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^mytoken test server: /);
  }
});

test('12.15 the build check: current when every output is newer than every input, stale when a source is newer or an output is missing', () => {
  const root = mkdtempSync(join(tmpdir(), 'mytoken-stale-'));
  try {
    const write = (f: string, age: number) => {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), '');
      const t = Date.now() / 1000 - age;
      utimesSync(join(root, f), t, t);
    };
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts/bundle.mjs', 'src/a.ts', 'src/cli/b.ts', 'test/server/c.mts']) write(f, 100);
    for (const f of ['build/src/a.js', 'build/src/cli/b.js', 'build/test/server/c.mjs', 'dist/mytoken.cjs', 'dist/vendor/undici.cjs', 'dist/vendor/yaml.cjs', 'dist/vendor/uqr.cjs']) {
      write(f, 50);
    }
    const check = () => spawnSync(process.execPath, [join(ROOT, 'scripts/build-if-stale.mjs'), '--check', '--root', root], { encoding: 'utf8' });
    let r = check();
    assert.equal(r.status, 0, r.stderr);
    write('src/cli/b.ts', 10);
    r = check();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /src\/cli\/b\.ts/);
    write('src/cli/b.ts', 100);
    rmSync(join(root, 'build/test/server/c.mjs'));
    r = check();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /build\/test\/server\/c\.mjs/);
    write('build/test/server/c.mjs', 50);
    write('tsconfig.json', 10);
    assert.equal(check().status, 1, 'tsconfig.json is an input');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
