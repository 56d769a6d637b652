// Local mytoken server, spec server-api.md 9.12/119-126: the SSH server of the ssh grant (6.2-6.5)
// and some newer actions (6.7, cli.md 11.2), driven by the system OpenSSH client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { HELP_TEXT, decodeBase64Std, splitCommand } from '../server/ssh-server.mjs';
import { api, assertOk, bearer, sleep } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;
let dir: string;

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const GRANTS = '/api/v0/settings/grants';
const SSH = '/api/v0/settings/grants/ssh';
let n = 0;

/** A new key pair made by ssh-keygen: the private key's path and the public key line. */
function newKey(): { file: string; pub: string } {
  const file = join(dir, `key${++n}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', file]);
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** A per-test ssh config file with host `mt` (user name and key as given); returns its path. */
function sshConfig(user: string, keyFile: string): string {
  const file = join(dir, `config${++n}`);
  writeFileSync(
    file,
    [
      'Host mt',
      '\tHostName 127.0.0.1',
      `\tPort ${server.sshPort}`,
      `\tUser ${user}`,
      `\tIdentityFile ${keyFile}`,
      '\tIdentitiesOnly yes',
      '\tStrictHostKeyChecking no',
      '\tUserKnownHostsFile /dev/null',
      '\tBatchMode yes',
      '\tLogLevel ERROR',
      '',
    ].join('\n'),
  );
  return file;
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `ssh -F config [-v] mt args...` (a leading `-v` is an option for ssh) */
function ssh(config: string, ...args: string[]): Promise<Run> {
  const opts = args[0] === '-v' ? [args.shift()!] : [];
  return new Promise((resolve) => {
    execFile('ssh', ['-F', config, ...opts, 'mt', ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as any).code === 'number' ? (err as any).code : 255) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** One line on stdout, exit status 0, nothing on stderr: the line without `\n`. */
function line(r: Run): string {
  assert.equal(r.status, 0, `ssh exit ${r.status}: ${r.stderr}`);
  assert.equal(r.stderr, '');
  assert.ok(r.stdout.endsWith('\n'), JSON.stringify(r.stdout));
  return r.stdout.slice(0, -1);
}

interface Registered {
  /** a settings token of the user */
  admin: string;
  sshUser: string;
  key: { file: string; pub: string };
  config: string;
}

/** A user with the ssh grant enabled and one key registered (6.1) for `capabilities`. */
async function register(user: string, capabilities: string[] | null = null, restrictions: unknown = null): Promise<Registered> {
  const admin = (await server.mint({ capabilities: ['settings', 'tokeninfo', 'manage_mytokens', 'AT', 'create_mytoken'] }, { user })).mytoken;
  assert.equal((await c.post(GRANTS, { grant_type: 'ssh', mytoken: admin })).status, 201);
  const key = newKey();
  const start = assertOk(await c.post(SSH, { grant_type: 'mytoken', mytoken: admin, ssh_key: key.pub, name: 'k', capabilities, restrictions }));
  await server.approve(start.consent_uri, { user });
  for (let i = 0; i < 100; i++) {
    const r = await c.post(SSH, { grant_type: 'polling_code', polling_code: start.polling_code });
    if (r.status !== 428) {
      const done = assertOk(r);
      return { admin, sshUser: done.ssh_user, key, config: sshConfig(done.ssh_user, key.file) };
    }
    await sleep(20);
  }
  throw new Error('key flow did not complete');
}

let plain: Registered; // capabilities ["AT"] (the default), scopes restricted
let rich: Registered;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
  dir = mkdtempSync(join(tmpdir(), 'mt-ssh-'));
  [plain, rich] = await Promise.all([
    register('ssh-plain', null, [{ scope: 'openid profile email' }]),
    register('ssh-rich', ['AT', 'tokeninfo', 'create_mytoken', 'settings', 'manage_mytokens', 'revoke_any_token']),
  ]);
});

const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

test('9.12/119 ssh <host> AT prints exactly one line with an access token, exit 0; events record IP and ssh version', async () => {
  const at = line(await ssh(plain.config, 'AT'));
  assert.ok(at.length > 10 && !/\s/.test(at), at);
  const key = server.sshKeys().find((k) => k.user === 'ssh-plain')!;
  const view = server.sshLookup(plain.sshUser, key.fingerprint)!;
  const ev = view.record!.events.at(-1)!;
  assert.equal(ev.event, 'AT_created');
  assert.equal(ev.ip, '127.0.0.1');
  assert.match(ev.user_agent, /^SSH-2\.0-OpenSSH/);
});

test('9.12/120 AT with application/json;base64 (any case) and with application/json returns a token for that scope', async () => {
  const b64 = Buffer.from('{"scope":"openid"}').toString('base64');
  const a = line(await ssh(plain.config, 'AT', "'application/JSON;base64'", b64));
  assert.match(a, /^\S+$/);
  // the CLI's form: the JSON in single quotes as one argument
  const b = line(await ssh(plain.config, 'AT', 'application/json', `'{"grant_type":"mytoken","mytoken":"","scope":"openid"}'`));
  assert.match(b, /^\S+$/);
  const scopes = server.sshLookup(plain.sshUser, server.sshKeys().find((k) => k.user === 'ssh-plain')!.fingerprint)!.record!.accessTokens.slice(-2);
  assert.deepEqual(scopes.map((t) => t.scope!.split(' ').filter((s) => s !== 'offline_access')), [['openid'], ['openid']]);
  // empty data: no request object
  assert.match(line(await ssh(plain.config, 'AT', 'application/json', "''")), /^\S+$/);
});

test('9.12/121 MT without create_mytoken: insufficient_capabilities, exit 0; with it: a sub-token', async () => {
  assert.equal(
    line(await ssh(plain.config, 'MT')),
    'insufficient_capabilities: The provided token does not have the required capability for this operation',
  );
  const mt = line(await ssh(rich.config, 'MT', 'application/json', `'{"grant_type":"ssh","capabilities":["AT"],"name":"via ssh"}'`));
  assert.match(mt, JWT_RE);
});

test('9.12/122 unknown action and wrong number of words give the message and the help text', async () => {
  assert.equal(line(await ssh(plain.config, 'foo')), `Unknown request\n${HELP_TEXT}`);
  assert.equal(line(await ssh(plain.config, 'AT', 'x')), `Invalid Request\n${HELP_TEXT}`);
  assert.equal(line(await ssh(plain.config, 'AT', 'a', 'b', 'c')), `Invalid Request\n${HELP_TEXT}`);
});

test('9.12/123 unknown mime type; decoder messages for bad base64 and bad JSON', async () => {
  assert.equal(
    line(await ssh(plain.config, 'AT', 'text/plain', '{}')),
    'unknown mimetype; supported mimetypes are: ["application/json" "application/json;base64"]',
  );
  assert.equal(line(await ssh(plain.config, 'AT', "'application/json;base64'", 'ab!d')), 'illegal base64 data at input byte 2');
  assert.match(line(await ssh(plain.config, 'AT', 'application/json', `'{"scope":'`)), /JSON/);
});

test('9.12/124 introspect prints one line of JSON with token_type token', async () => {
  const out = line(await ssh(rich.config, 'introspect'));
  assert.ok(!out.includes('\n'));
  const j = JSON.parse(out);
  assert.equal(j.token_type, 'token');
  assert.equal(j.valid, true);
  assert.deepEqual(j.token.capabilities.slice(0, 2), ['AT', 'tokeninfo']);
  assert.ok(Array.isArray(JSON.parse(line(await ssh(rich.config, 'history'))).events));
  assert.ok(Array.isArray(JSON.parse(line(await ssh(rich.config, 'list-all-mytokens'))).mytokens));
  assert.ok('mytokens' in JSON.parse(line(await ssh(rich.config, 'list-subtokens'))));
});

test('9.12/125 authentication fails for a wrong user name, an unregistered key, and after the grant was disabled', async () => {
  const u = await register('ssh-125');
  assert.match(line(await ssh(u.config, 'AT')), /^\S+$/);
  const wrongUser = await ssh(sshConfig('AAAAAAAAAAAAAAAA', u.key.file), 'AT');
  const otherUser = await ssh(sshConfig(plain.sshUser, u.key.file), 'AT'); // a real user name, not this key's
  const stranger = await ssh(sshConfig(u.sshUser, newKey().file), 'AT');
  for (const r of [wrongUser, otherUser, stranger]) {
    assert.equal(r.status, 255);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Permission denied \(publickey\)/);
  }
  assert.equal((await c.send('DELETE', GRANTS, { grant_type: 'ssh', mytoken: u.admin })).status, 204);
  const disabled = await ssh(u.config, 'AT');
  assert.equal(disabled.status, 255);
  assert.match(disabled.stderr, /Permission denied \(publickey\)/);
});

test('9.12/126 after the key token was revoked by mom_id, AT prints invalid_token', async () => {
  const u = await register('ssh-126');
  const key = server.sshKeys().find((k) => k.user === 'ssh-126')!;
  assert.equal((await c.revoke({ token: u.admin, mom_id: key.momId })).status, 204);
  assert.equal(line(await ssh(u.config, 'AT')), 'invalid_token');
  assert.equal(line(await ssh(u.config, 'introspect')), 'invalid_token');
});

test('6.7 newer actions: tags-list, tag-create, email-get, revoke of a sub-token by mom_id', async () => {
  assert.ok('tags' in JSON.parse(line(await ssh(rich.config, 'tags-list'))));
  assert.equal(line(await ssh(rich.config, 'tag-create', 'application/json', `'{"tag":"batch","color":"#00ff00"}'`)), 'OK');
  const tags = JSON.parse(line(await ssh(rich.config, 'tags-list'))).tags;
  assert.ok(tags.some((t: any) => t.tag === 'batch' || t.name === 'batch'), JSON.stringify(tags));
  const email = JSON.parse(line(await ssh(rich.config, 'email-get')));
  assert.deepEqual(email, assertOk(await c.get('/api/v0/settings/email', bearer(rich.admin))));
  // revoke another token of the user by mom_id
  const child = assertOk(await c.sub(rich.admin, { capabilities: ['AT'] }));
  const payload = Buffer.from(JSON.stringify({ token: '', mom_id: child.mom_id })).toString('base64');
  assert.equal(line(await ssh(rich.config, 'revoke', "'application/json;base64'", payload)), 'OK');
  assert.equal((await c.tokeninfo(child.mytoken, 'introspect')).status, 401); // revoked
  // the key's own token still works and did not rotate
  assert.match(line(await ssh(rich.config, 'AT')), /^\S+$/);
  assert.equal(line(await ssh(rich.config, 'tag-delete', 'application/json', "'{}'")), "invalid_request: required parameter 'tag' is missing");
});

test('2.1 the configuration document names the host key ssh sees, and the ssh grant type', async () => {
  const doc = assertOk(await c.get('/.well-known/mytoken-configuration'));
  assert.equal(doc.ssh_keys.length, 1);
  assert.equal(doc.ssh_keys[0].type, 'ssh-ed25519');
  assert.deepEqual(doc.mytoken_endpoint_grant_types_supported, ['oidc_flow', 'mytoken', 'transfer_code', 'polling_code', 'ssh']);
  const r = await ssh(plain.config, '-v', 'AT'); // -v: ssh names the server's host key on stderr
  const seen = /Server host key: (\S+) (SHA256:\S+)/.exec(r.stderr);
  assert.ok(seen, r.stderr);
  assert.deepEqual(doc.ssh_keys[0], { type: seen[1], fingerprint: seen[2] });
  assert.notEqual(server.sshPort, 2222);
});

test('6.3 shell-like splitting and strict base64', () => {
  assert.deepEqual(splitCommand(`AT application/json '{"a": "b c"}'`), ['AT', 'application/json', '{"a": "b c"}']);
  assert.deepEqual(splitCommand(`a "x \\"y\\" $z" b\\ c ''`), ['a', 'x "y" $z', 'b c', '']);
  assert.equal(splitCommand(`a 'b`), undefined);
  assert.deepEqual(decodeBase64Std('eyJhIjoxfQ==\n').toString(), '{"a":1}');
  assert.throws(() => decodeBase64Std('eyJhIjoxfQ'), /illegal base64 data at input byte 8/);
});

test('6.2 a shell request gets Invalid Request and exit status 1', async () => {
  const r = await new Promise<Run>((resolve) => {
    const child = execFile('ssh', ['-F', plain.config, '-T', 'mt'], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as any).code) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, `Invalid Request\n${HELP_TEXT}\n`);
});

test('6.7 newer actions: calendars and notifications print JSON, updates print OK', async () => {
  const j = (s: string) => `'${s}'`;
  const cal = JSON.parse(line(await ssh(rich.config, 'calendar-create', 'application/json', j('{"description":"jobs","tags":[]}'))));
  assert.match(cal.id, /^[A-Za-z0-9]{32}$/);
  const update = `{"calendar_id":"${cal.id}","description":"all jobs","tags":[]}`;
  assert.equal(line(await ssh(rich.config, 'calendar-update', 'application/json', j(update))), 'OK');
  assert.equal(JSON.parse(line(await ssh(rich.config, 'calendars'))).calendars[0].description, 'all jobs');
  const create = '{"notification_type":"mail","notification_classes":["AT_creations"],"include_children":false,"user_wide":true}';
  const made = JSON.parse(line(await ssh(rich.config, 'notification-create', 'application/json', j(create))));
  assert.match(made.management_code, /^[A-Za-z0-9]{64}$/);
  assert.equal(JSON.parse(line(await ssh(rich.config, 'notifications'))).notifications.length, 1);
  assert.equal(line(await ssh(rich.config, 'notification-delete', 'application/json', j(`{"management_code":"${made.management_code}"}`))), 'OK');
  assert.equal(line(await ssh(rich.config, 'calendar-delete', 'application/json', j(`{"calendar_id":"${cal.id}"}`))), 'OK');
});
