// Local mytoken server, spec server-api.md 9.10/97-107: user grant types (4.7.1) and the ssh keys
// of the ssh grant (4.7.2, 5.8, 6.1, 6.6), with the startLocalServer options `ssh` and `sshPort`
// and the LocalServer members an ssh server uses (sshKeys, sshLookup, sshGrantEnabled).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { parseSshPublicKey } from '../server/ssh-keys.mjs';
import { api, assertError, assertOk, bearer, nowSeconds, sleep } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;

before(async () => {
  server = await startLocalServer({ interval: 1 });
  c = api(server);
});
after(() => server.close());

const GRANTS = '/api/v0/settings/grants';
const SSH = '/api/v0/settings/grants/ssh';

// ---------------------------------------------------------------------------------------------
// OpenSSH public keys made with node:crypto

const sshString = (b: Buffer | string) => {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};
/** An unsigned big-endian integer as SSH mpint (a leading zero byte when the high bit is set). */
const mpint = (b: Buffer) => sshString(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const fromB64url = (s: string) => Buffer.from(s, 'base64url');

function ed25519Key(comment = 'me@laptop'): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(fromB64url(jwk.x!))]);
  return `ssh-ed25519 ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

function rsaKey(): string {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString('ssh-rsa'), mpint(fromB64url(jwk.e!)), mpint(fromB64url(jwk.n!))]);
  return `ssh-rsa ${blob.toString('base64')} rsa@host`;
}

function ecdsaKey(bits: 256 | 384 | 521): string {
  const curve = `nistp${bits}`;
  const jwk = generateKeyPairSync('ec', { namedCurve: `P-${bits}` }).publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), fromB64url(jwk.x!), fromB64url(jwk.y!)]);
  const blob = Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]);
  return `ecdsa-sha2-${curve} ${blob.toString('base64')}`;
}

/** The fingerprint the system's ssh-keygen computes, or undefined without ssh-keygen. */
function keygenFingerprint(key: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'mt-sshkey-'));
  try {
    writeFileSync(join(dir, 'k.pub'), `${key}\n`);
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
    return out.split(' ')[1];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

const SETTINGS_CAPS = ['settings', 'tokeninfo', 'manage_mytokens'];

const listGrants = (token: string) => c.get(GRANTS, bearer(token));
const enable = (token: string, grant: unknown = 'ssh') => c.send('POST', GRANTS, { grant_type: grant, mytoken: token });
const disable = (token: string, grant: unknown = 'ssh') => c.send('DELETE', GRANTS, { grant_type: grant, mytoken: token });
const listKeys = (token: string) => c.get(SSH, bearer(token));
/** The request the CLI sends (§ settings grants ssh add): every member present. */
const addKey = (token: string, key: string, extra: Record<string, unknown> = {}) =>
  c.post(SSH, { mytoken: token, ssh_key: key, name: '', restrictions: null, capabilities: null, grant_type: 'mytoken', ...extra });
const pollKey = (code: string) => c.post(SSH, { grant_type: 'polling_code', polling_code: code });
const deleteKey = (body: Record<string, unknown>) => c.send('DELETE', SSH, body);
const events = async (token: string) => assertOk(await c.tokeninfo(token, 'event_history')).events.map((e: any) => [e.event, e.comment]);

/** A user with a settings token and the ssh grant enabled. */
async function sshUser(user: string, caps = SETTINGS_CAPS): Promise<string> {
  const t = await server.mint({ capabilities: caps }, { user });
  assert.equal((await enable(t.mytoken)).status, 201);
  return t.mytoken;
}

/** Add + approve + poll: the final reply of a successful key registration. */
async function registerKey(token: string, key: string, user: string, extra: Record<string, unknown> = {}): Promise<any> {
  const start = assertOk(await addKey(token, key, extra));
  await server.approve(start.consent_uri, { user });
  for (let i = 0; i < 100; i++) {
    const r = await pollKey(start.polling_code);
    if (r.status !== 428) return assertOk(r);
    await sleep(20);
  }
  throw new Error('key flow did not complete');
}

/** Every token entry (flattened) of the user's `list_mytokens` tree. */
async function allTokens(admin: string): Promise<any[]> {
  const out: any[] = [];
  const walk = (nodes: any[]) => nodes.forEach((n) => (out.push(n.token), walk(n.children ?? [])));
  walk(assertOk(await c.tokeninfo(admin, 'list_mytokens')).mytokens);
  return out;
}

// ---------------------------------------------------------------------------------------------
// grants (4.7.1)

test('9.10/97 GET grants with only read@settings:grants gives 200; grant_types is null for a new user', async () => {
  const t = await server.mint({ capabilities: ['read@settings:grants'] }, { user: 'gr-97' });
  assert.deepEqual(assertOk(await listGrants(t.mytoken)), { grant_types: null });
  assertError(await enable(t.mytoken), 403, 'insufficient_capabilities');
  const at = await server.mint({ capabilities: ['AT'] }, { user: 'gr-97' });
  assertError(await listGrants(at.mytoken), 403, 'insufficient_capabilities');
  assertError(await c.get(GRANTS), 401, 'invalid_token', 'no mytoken found in request');
});

test('9.10/98 POST grants ssh gives 201 without JSON payload (the text Created, [0.10] 1.7); GET then lists ssh as enabled', async () => {
  const t = await server.mint({ capabilities: ['settings:grants', 'tokeninfo'] }, { user: 'gr-98' });
  const r = await enable(t.mytoken);
  assert.equal(r.status, 201);
  assert.equal(r.text, 'Created');
  assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.deepEqual(assertOk(await listGrants(t.mytoken)).grant_types, [{ grant_type: 'ssh', enabled: true }]);
  assert.equal(server.sshGrantEnabled('gr-98'), true);
  assert.equal(server.sshGrantEnabled('nobody'), false);
  // form encoding works as well, and enabling twice is fine
  const form = await c.send('POST', GRANTS, `grant_type=ssh&mytoken=${t.mytoken}`, { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 201);
  assert.deepEqual((await events(t.mytoken)).slice(0, 3), [
    ['settings_grant_enabled', 'ssh'],
    ['settings_grants_listed', undefined],
    ['settings_grant_enabled', 'ssh'],
  ]);
});

test('9.10/99 DELETE grants ssh gives 204 and the listing shows enabled: false', async () => {
  const t = await server.mint({ capabilities: ['settings:grants', 'tokeninfo'] }, { user: 'gr-99' });
  assert.equal((await enable(t.mytoken)).status, 201);
  const r = await disable(t.mytoken);
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.deepEqual(assertOk(await listGrants(t.mytoken)).grant_types, [{ grant_type: 'ssh', enabled: false }]);
  assert.equal(server.sshGrantEnabled('gr-99'), false);
  assert.deepEqual((await events(t.mytoken))[1], ['settings_grant_disabled', 'ssh']);
  // another known grant type is listed after ssh, in the order of the first change
  assert.equal((await disable(t.mytoken, 'transfer_code')).status, 204);
  assert.deepEqual(assertOk(await listGrants(t.mytoken)).grant_types, [
    { grant_type: 'ssh', enabled: false },
    { grant_type: 'transfer_code', enabled: false },
  ]);
});

test('9.10/100 POST grants without grant_type gives 400 no valid grant_type found; unknown values are named', async () => {
  const t = await server.mint({ capabilities: ['settings:grants'] }, { user: 'gr-100' });
  assertError(await c.send('POST', GRANTS, { mytoken: t.mytoken }), 400, 'invalid_request', "no valid 'grant_type' found");
  assertError(await c.send('DELETE', GRANTS, { mytoken: t.mytoken }), 400, 'invalid_request', "no valid 'grant_type' found");
  assertError(await c.send('POST', GRANTS, undefined, bearer(t.mytoken)), 400, 'invalid_request', "no valid 'grant_type' found");
  assertError(await enable(t.mytoken, 'foo'), 400, 'invalid_request', "value 'foo' not valid for GrantType");
  assertError(await disable(t.mytoken, 'foo'), 400, 'invalid_request', "value 'foo' not valid for GrantType");
  assertError(await c.send('POST', GRANTS, 'grant_type=ssh', { 'content-type': 'text/plain' }), 400, 'invalid_request', 'Unprocessable Entity');
  // the grant type is decoded before the token is looked at
  assertError(await c.send('POST', GRANTS, { grant_type: 'foo' }), 400, 'invalid_request', "value 'foo' not valid for GrantType");
  assertError(await c.send('POST', GRANTS, { grant_type: 'ssh' }), 401, 'invalid_token', 'no mytoken found in request');
});

test('4.7.1 grants count the usage and rotate on_other tokens: 201/200 {token_update}', async () => {
  const t = await server.mint(
    { capabilities: ['settings:grants', 'tokeninfo'], rotation: { on_other: true }, restrictions: [{ usages_other: 3 }] },
    { user: 'gr-rot' },
  );
  const r1 = await enable(t.mytoken);
  assert.equal(r1.status, 201);
  assert.deepEqual(Object.keys(r1.json), ['token_update']);
  const t2 = r1.json.token_update.mytoken;
  assertError(await listGrants(t.mytoken), 401, 'invalid_token');
  const r2 = assertOk(await listGrants(t2));
  assert.deepEqual(r2.grant_types, [{ grant_type: 'ssh', enabled: true }]);
  const t3 = r2.token_update.mytoken;
  const r3 = assertOk(await disable(t3));
  assert.deepEqual(Object.keys(r3), ['token_update']);
  const t4 = r3.token_update.mytoken;
  assertError(await listGrants(t4), 403, 'usage_restricted');
});

// ---------------------------------------------------------------------------------------------
// ssh keys (4.7.2)

test('ssh keys: authorized_keys lines of every accepted type, with options and comments; OpenSSH fingerprints', () => {
  const keys = [ed25519Key(), ed25519Key(''), rsaKey(), ecdsaKey(256), ecdsaKey(384), ecdsaKey(521)];
  for (const k of keys) {
    const p = parseSshPublicKey(k);
    assert.ok(p, k);
    assert.equal(p.type, k.split(' ')[0]);
    assert.match(p.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    const expected = keygenFingerprint(k);
    if (expected) assert.equal(p.fingerprint, expected, k);
    // options before the type (quoted spaces included), a trailing newline, comment lines
    assert.equal(parseSshPublicKey(`command="echo a b",no-pty ${k}\n`)?.fingerprint, p.fingerprint);
    assert.equal(parseSshPublicKey(`# my key\n\n${k}\n`)?.fingerprint, p.fingerprint);
  }
  assert.equal(parseSshPublicKey(ed25519Key('me@host with spaces'))?.comment, 'me@host with spaces');
  const good = ed25519Key();
  const [type, b64] = good.split(' ') as [string, string];
  for (const bad of [
    '',
    'not a key',
    `ssh-dss ${b64}`,
    `ssh-rsa ${b64}`, // blob of another type
    `${type} ${b64.slice(0, -4)}`, // truncated
    `${type} ${b64}AAAA`, // trailing data
    `${type} %%%%`,
    `${type}`,
    `command="unterminated ${good}`,
  ]) {
    assert.equal(parseSshPublicKey(bad), undefined, bad);
  }
});

test('9.10/101 adding an ssh key while the ssh grant is disabled gives 403 access_denied', async () => {
  const t = await server.mint({ capabilities: SETTINGS_CAPS }, { user: 'ssh-101' });
  assertError(await addKey(t.mytoken, ed25519Key()), 403, 'access_denied', "'ssh' grant type not enabled");
  assert.equal((await enable(t.mytoken)).status, 201);
  assert.equal((await disable(t.mytoken)).status, 204);
  assertError(await addKey(t.mytoken, ed25519Key()), 403, 'access_denied', "'ssh' grant type not enabled");
});

test('9.10/102 an unparsable ssh key gives 400 could not parse ssh public key; key checks come before the token', async () => {
  const t = await sshUser('ssh-102');
  assertError(await addKey(t, 'ssh-ed25519 AAAA'), 400, 'invalid_request', 'could not parse ssh public key');
  assertError(await addKey(t, ''), 400, 'invalid_request', "required parameter 'ssh_key' is missing");
  assertError(await c.post(SSH, { grant_type: 'mytoken', mytoken: t }), 400, 'invalid_request', "required parameter 'ssh_key' is missing");
  // without any token, and with a token that lacks the capability, the key is still checked first
  assertError(await c.post(SSH, { grant_type: 'mytoken', ssh_key: 'nope' }), 400, 'invalid_request', 'could not parse ssh public key');
  const at = await server.mint({ capabilities: ['AT'] }, { user: 'ssh-102' });
  assertError(await addKey(at.mytoken, 'nope'), 400, 'invalid_request', 'could not parse ssh public key');
  assertError(await addKey(at.mytoken, ed25519Key()), 403, 'insufficient_capabilities');
  assertError(await c.post(SSH, { grant_type: 'mytoken', ssh_key: ed25519Key() }), 401, 'invalid_token', 'no mytoken found in request');
});

test('9.10/103 adding an already registered key gives 409 ssh key already added', async () => {
  const user = 'ssh-103';
  const t = await sshUser(user);
  const key = ed25519Key();
  await registerKey(t, key, user);
  assertError(await addKey(t, key), 409, 'invalid_request', 'ssh key already added');
  // same key with another comment or with options: same fingerprint
  assertError(await addKey(t, `no-pty ${key.split(' ').slice(0, 2).join(' ')} other`), 409, 'invalid_request', 'ssh key already added');
  // another user may register the same key
  const other = await sshUser('ssh-103b');
  assert.match((await registerKey(other, key, 'ssh-103b')).ssh_user, /^[A-Za-z0-9]{16}$/);
});

test('9.10/104 adding a key starts a flow (200 consent_uri, polling_code); that code is refused at the mytoken endpoint', async () => {
  const user = 'ssh-104';
  const t = await sshUser(user);
  const r = assertOk(await addKey(t, ed25519Key()));
  assert.deepEqual(Object.keys(r).sort(), ['consent_uri', 'expires_in', 'interval', 'polling_code']);
  assert.match(r.consent_uri, new RegExp(`^${server.url}/c/[A-Za-z]{8}$`));
  assert.match(r.polling_code, /^[A-Za-z0-9_-]{8}$/);
  assert.equal(r.expires_in, 300);
  assert.equal(r.interval, 1);
  assertError(await c.poll(r.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  assertError(await c.exchange(r.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  assertError(await pollKey(r.polling_code), 428, 'authorization_pending');
  await server.approve(r.consent_uri, { user });
  // still refused there once ready, and still redeemable here
  assertError(await c.poll(r.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  assertError(await c.exchange(r.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  assert.equal((await pollKey(r.polling_code)).status, 200);
  // and vice versa: the code of an ordinary flow is refused at the ssh endpoint
  const flow = assertOk(await c.startFlow());
  assertError(await pollKey(flow.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  await server.approve(flow.consent_uri);
  assertError(await pollKey(flow.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  assert.equal((await c.poll(flow.polling_code)).status, 200);
});

test('9.10/105 completing the key flow gives a 16-character ssh_user and the host config entry', async () => {
  const user = 'ssh-105';
  const t = await sshUser(user);
  const named = await registerKey(t, ed25519Key(), user, { name: 'laptop' });
  assert.deepEqual(Object.keys(named), ['ssh_user', 'ssh_host_config']);
  assert.match(named.ssh_user, /^[A-Za-z0-9]{16}$/);
  assert.equal(
    named.ssh_host_config,
    `# Host entry for mytoken\nHost mytoken-laptop\n\tHostName 127.0.0.1\n\tPort ${server.sshPort}\n\tUser ${named.ssh_user}\n` +
      '\t# If you use a non-default ssh key for this entry, update the following line\n\t# IdentityFile ~/.ssh/your.key\n',
  );
  assert.ok(server.sshPort > 0, 'the SSH server listens on a real port');
  const unnamed = await registerKey(t, rsaKey(), user);
  assert.notEqual(unnamed.ssh_user, named.ssh_user);
  assert.match(unnamed.ssh_host_config, new RegExp(`^# Host entry for mytoken\\nHost mytoken\\n\\tHostName 127\\.0\\.0\\.1\\n\\tPort ${server.sshPort}\\n\\tUser ${unnamed.ssh_user}\\n`));
});

test('9.10/106 GET ssh afterwards shows grant_enabled and the key fingerprint with its created time', async () => {
  const user = 'ssh-106';
  const t = await sshUser(user);
  assert.deepEqual(assertOk(await listKeys(t)), { grant_enabled: true, ssh_keys: null });
  const k1 = ed25519Key();
  const k2 = ecdsaKey(256);
  const before = nowSeconds();
  await registerKey(t, k1, user, { name: 'laptop' });
  await registerKey(t, k2, user);
  const r = assertOk(await listKeys(t));
  assert.equal(r.grant_enabled, true);
  assert.deepEqual(
    r.ssh_keys.map((k: any) => Object.keys(k)),
    [['name', 'ssh_key_fp', 'created'], ['ssh_key_fp', 'created']],
  );
  assert.deepEqual(r.ssh_keys.map((k: any) => k.ssh_key_fp), [parseSshPublicKey(k1)!.fingerprint, parseSshPublicKey(k2)!.fingerprint]);
  assert.equal(r.ssh_keys[0].name, 'laptop');
  const listed = nowSeconds();
  for (const k of r.ssh_keys) assert.ok(k.created >= before && k.created <= listed, `created ${k.created} not in [${before}, ${listed}]`);
  // a disabled grant keeps the keys; a token of another user sees none
  assert.equal((await disable(t)).status, 204);
  const off = assertOk(await listKeys(t));
  assert.equal(off.grant_enabled, false);
  assert.equal(off.ssh_keys.length, 2);
  const stranger = await server.mint({ capabilities: ['read@settings:grants:ssh'] }, { user: 'ssh-106b' });
  assert.deepEqual(assertOk(await listKeys(stranger.mytoken)), { grant_enabled: false, ssh_keys: null });
  // read@settings:grants covers the ssh listing (capability tree), read@settings:email does not
  const grantsReader = await server.mint({ capabilities: ['read@settings:grants'] }, { user });
  assert.equal(assertOk(await listKeys(grantsReader.mytoken)).ssh_keys.length, 2);
  const mailReader = await server.mint({ capabilities: ['read@settings:email'] }, { user });
  assertError(await listKeys(mailReader.mytoken), 403, 'insufficient_capabilities');
});

test('9.10/107 deleting a key gives 204; it leaves the listing and its mytoken leaves list_mytokens', async () => {
  const user = 'ssh-107';
  const t = await sshUser(user);
  const key = ed25519Key();
  await registerKey(t, key, user, { name: 'box' });
  const fp = parseSshPublicKey(key)!.fingerprint;
  const view = server.sshKeys().find((k) => k.user === user)!;
  assert.ok((await allTokens(t)).some((e) => e.mom_id === view.momId));
  // the CLI sends both members, one of them empty
  const r = await deleteKey({ mytoken: t, ssh_key: '', ssh_key_fp: fp });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.deepEqual(assertOk(await listKeys(t)).ssh_keys, null);
  assert.ok(!(await allTokens(t)).some((e) => e.mom_id === view.momId));
  assert.equal(server.sshKeys().filter((k) => k.user === user).length, 0);
  // unknown keys: 204 as well; by key text with an empty fingerprint
  assert.equal((await deleteKey({ mytoken: t, ssh_key_fp: fp })).status, 204);
  const k2 = rsaKey();
  await registerKey(t, k2, user);
  assert.equal((await deleteKey({ mytoken: t, ssh_key: `${k2}\n`, ssh_key_fp: '' })).status, 204);
  assert.deepEqual(assertOk(await listKeys(t)).ssh_keys, null);
});

test('4.7.2 DELETE ssh: parameter and key checks before the token; capability; no count, no event', async () => {
  const user = 'ssh-del';
  const t = await sshUser(user);
  const msg = "One of the required parameters 'ssh_key' or 'ssh_key_hash' must be given";
  assertError(await deleteKey({ mytoken: t }), 400, 'invalid_request', msg);
  assertError(await deleteKey({ mytoken: t, ssh_key: '', ssh_key_fp: '' }), 400, 'invalid_request', msg);
  assertError(await deleteKey({ ssh_key: 'garbage' }), 400, 'invalid_request', 'could not parse ssh public key');
  assertError(await deleteKey({ ssh_key_fp: 'SHA256:x' }), 401, 'invalid_token', 'no mytoken found in request');
  const reader = await server.mint({ capabilities: ['read@settings:grants:ssh'] }, { user });
  assertError(await deleteKey({ mytoken: reader.mytoken, ssh_key_fp: 'SHA256:x' }), 403, 'insufficient_capabilities');
  // a key of another user is not touched
  const key = ed25519Key();
  await registerKey(t, key, user);
  const other = await sshUser('ssh-del-b');
  assert.equal((await deleteKey({ mytoken: other, ssh_key: key })).status, 204);
  assert.equal(assertOk(await listKeys(t)).ssh_keys.length, 1);
  // a rotating, usage-limited token: no token_update, nothing counted, no event
  const rot = await server.mint(
    { capabilities: ['settings:grants:ssh', 'tokeninfo'], rotation: { on_other: true }, restrictions: [{ usages_other: 1 }] },
    { user },
  );
  const r = await deleteKey({ mytoken: rot.mytoken, ssh_key: key });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.equal(assertOk(await listKeys(t)).ssh_keys, null);
  const intro = assertOk(await c.tokeninfo(rot.mytoken, 'introspect'));
  assert.equal(intro.token.restrictions[0].usages_other_done ?? 0, 0);
});

test('4.7.2 the key token: a new mytoken named after the key, default capabilities AT, the requested restrictions', async () => {
  const user = 'ssh-tok';
  const t = await sshUser(user);
  const exp = nowSeconds() + 3600;
  const k1 = ed25519Key();
  const k2 = ecdsaKey(384);
  const fp1 = parseSshPublicKey(k1)!.fingerprint;
  const fp2 = parseSshPublicKey(k2)!.fingerprint;
  const u1 = (await registerKey(t, k1, user, { name: 'ci' })).ssh_user;
  const u2 = (
    await registerKey(t, k2, user, {
      capabilities: ['AT', 'tokeninfo'],
      restrictions: [{ exp, scope: 'openid', hosts: ['this'] }],
    })
  ).ssh_user;
  const a = server.sshLookup(u1, fp1)!;
  const b = server.sshLookup(u2, fp2)!;
  assert.equal(a.record!.name, 'mytoken for ssh-grant: ci');
  assert.deepEqual(a.record!.capabilities, ['AT']);
  assert.deepEqual(a.record!.restrictions, []);
  assert.equal(b.record!.name, 'mytoken for ssh-grant');
  assert.deepEqual(b.record!.capabilities, ['AT', 'tokeninfo']);
  assert.deepEqual(b.record!.restrictions, [{ exp, scope: 'openid', hosts: ['127.0.0.1'] }]);
  // brand-new tokens (no parent) of the user, listed as roots of the user's token forest
  assert.equal(a.record!.parent, undefined);
  assert.equal(a.record!.oidcSub, user);
  const roots = assertOk(await c.tokeninfo(t, 'list_mytokens')).mytokens.map((n: any) => n.token.mom_id);
  assert.ok(roots.includes(a.momId) && roots.includes(b.momId));
  // what an ssh server sees
  const { record: _ra, ...viewA } = a;
  const { record: _rb, ...viewB } = b;
  assert.deepEqual(viewA, { user, fingerprint: fp1, sshUserHash: a.sshUserHash, momId: a.record!.momId, name: 'ci', grantEnabled: true });
  assert.deepEqual(server.sshKeys().filter((k) => k.user === user), [viewA, viewB]);
  assert.notEqual(a.sshUserHash, u1);
  assert.equal(server.sshLookup(u2, fp1), undefined);
  assert.equal(server.sshLookup('AAAAAAAAAAAAAAAA', fp1), undefined);
  // revoking the key's token keeps the key (the ssh actions then answer invalid_token)
  assert.equal((await c.revoke({ token: t, mom_id: a.momId })).status, 204);
  assert.equal(server.sshLookup(u1, fp1)!.record, undefined);
  // disabling the grant shows in the view
  assert.equal((await disable(t)).status, 204);
  assert.equal(server.sshLookup(u1, fp1)!.grantEnabled, false);
});

test('4.7.2 the key flow: decline, the consent page, single use, login as another user; the event and the counted usage', async () => {
  const user = 'ssh-flow';
  const t = await server.mint(
    { capabilities: [...SETTINGS_CAPS], restrictions: [{ usages_other: 20 }] },
    { user },
  );
  assert.equal((await enable(t.mytoken)).status, 201);
  // decline
  const d = assertOk(await addKey(t.mytoken, ed25519Key()));
  await server.decline(d.consent_uri);
  assertError(await pollKey(d.polling_code), 401, 'access_denied', 'user declined consent');
  // the consent page names the key when consent is given by hand
  const manual = await startLocalServer({ autoApprove: false });
  try {
    const m = api(manual);
    const mt = await manual.mint({ capabilities: ['settings'] });
    assert.equal((await m.send('POST', GRANTS, { grant_type: 'ssh', mytoken: mt.mytoken })).status, 201);
    const key = ed25519Key();
    const start = assertOk(await m.post(SSH, { grant_type: 'mytoken', mytoken: mt.mytoken, ssh_key: key, name: 'pc' }));
    const page = await m.get(new URL(start.consent_uri).pathname, { accept: 'text/html' });
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(parseSshPublicKey(key)!.fingerprint));
    assert.ok(page.text.includes('mytoken for ssh-grant: pc'));
    await manual.approve(start.consent_uri);
    const done = assertOk(await m.post(SSH, { grant_type: 'polling_code', polling_code: start.polling_code }));
    assert.match(done.ssh_host_config, /\nHost mytoken-pc\n/);
  } finally {
    await manual.close();
  }
  // the usage is counted and the event logged when the flow starts
  const log = await events(t.mytoken);
  assert.deepEqual(log[0], ['ssh_key_added', undefined]);
  const intro = assertOk(await c.tokeninfo(t.mytoken, 'introspect'));
  assert.equal(intro.token.restrictions[0].usages_other_done, 3); // enable, add, event_history
  // a redeemed code is gone
  const once = assertOk(await addKey(t.mytoken, ed25519Key()));
  await server.approve(once.consent_uri, { user });
  assert.equal((await pollKey(once.polling_code)).status, 200);
  assertError(await pollKey(once.polling_code), 401, 'invalid_token', 'Bad polling or transfer code');
  assertError(await pollKey('unknown!'), 401, 'invalid_token', 'Bad polling or transfer code');
  // the key belongs to whoever logged in at the OP, with that user's new token
  const key = ed25519Key();
  const fp = parseSshPublicKey(key)!.fingerprint;
  const other = assertOk(await addKey(t.mytoken, key));
  await server.approve(other.consent_uri, { user: 'ssh-flow-b' });
  const done = assertOk(await pollKey(other.polling_code));
  const entry = server.sshLookup(done.ssh_user, fp)!;
  assert.equal(entry.user, 'ssh-flow-b');
  assert.equal(entry.record!.oidcSub, 'ssh-flow-b');
  assert.equal(assertOk(await listKeys(t.mytoken)).ssh_keys.filter((k: any) => k.ssh_key_fp === fp).length, 0);
});

test('4.7.2 POST ssh: grant types, query parameter, encodings, rotation', async () => {
  const user = 'ssh-post';
  const t = await sshUser(user);
  assertError(await c.post(SSH, { grant_type: 'ssh', mytoken: t }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.post(SSH, { mytoken: t, ssh_key: ed25519Key() }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertError(await c.post(SSH, { grant_type: 'oidc_flow' }), 400, 'invalid_grant', 'Unsupported grant_type');
  // the query wins over the body
  assertError(await c.post(`${SSH}?grant_type=foo`, { grant_type: 'mytoken', mytoken: t, ssh_key: ed25519Key() }), 400, 'invalid_grant', 'Unsupported grant_type');
  assertOk(await c.post(`${SSH}?grant_type=mytoken`, { grant_type: 'polling_code', mytoken: t, ssh_key: ed25519Key() }));
  // adding a key also works form-encoded; polling needs JSON
  const form = new URLSearchParams({ grant_type: 'mytoken', mytoken: t, ssh_key: ed25519Key(), name: 'f', capabilities: 'AT tokeninfo' });
  const f = assertOk(await c.send('POST', SSH, form.toString(), { 'content-type': 'application/x-www-form-urlencoded' }));
  assertError(
    await c.send('POST', SSH, `grant_type=polling_code&polling_code=${f.polling_code}`, { 'content-type': 'application/x-www-form-urlencoded' }),
    400,
    'invalid_request',
    /JSON/,
  );
  assertError(
    await c.send('POST', `${SSH}?grant_type=polling_code`, `polling_code=${f.polling_code}`, { 'content-type': 'application/x-www-form-urlencoded' }),
    400,
    'invalid_request',
  );
  // numbers only in restrictions
  assertError(await addKey(t, ed25519Key(), { restrictions: [{ exp: '+1h' }] }), 400, 'invalid_request');
  // a single clause object and [null] are accepted
  assertOk(await addKey(t, ed25519Key(), { restrictions: { usages_AT: 5 } }));
  assertOk(await addKey(t, ed25519Key(), { restrictions: [null] }));
  // on_other rotation of the presenting token
  const rot = await server.mint({ capabilities: ['settings:grants:ssh'], rotation: { on_other: true } }, { user });
  const r = assertOk(await addKey(rot.mytoken, ed25519Key()));
  assert.equal(r.token_update.mytoken_type, 'token');
  assertError(await listKeys(rot.mytoken), 401, 'invalid_token');
  assert.equal(assertOk(await listKeys(r.token_update.mytoken)).grant_enabled, true);
});

test('options: ssh false removes the ssh routes (404), sshPort goes into the host config', async () => {
  const off = await startLocalServer({ ssh: false, sshPort: 2022 });
  let on: LocalServer | undefined;
  try {
    // a fixed port may be taken by another test's ephemeral socket: try fresh ones
    let port = 0;
    for (let attempt = 0; !on; attempt++) {
      port = await unusedPort();
      try {
        on = await startLocalServer({ sshPort: port });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 4) throw e;
      }
    }
    const o = api(off);
    const t = await off.mint({ capabilities: ['settings'] });
    assertError(await o.get(SSH, bearer(t.mytoken)), 404, 'not_found', SSH);
    for (const method of ['POST', 'DELETE']) {
      assertError(await o.send(method, SSH, { mytoken: t.mytoken }), 404, 'not_found', SSH);
    }
    // the grants routes stay, and the document advertises no ssh server in either case
    assert.equal((await o.send('POST', GRANTS, { grant_type: 'ssh', mytoken: t.mytoken })).status, 201);
    assert.equal(off.sshPort, 2022);
    const doc = assertOk(await o.get('/.well-known/mytoken-configuration'));
    assert.ok(!('ssh_keys' in doc));
    assert.ok(!doc.mytoken_endpoint_grant_types_supported.includes('ssh'));
    const n = api(on);
    const t2 = await on.mint({ capabilities: ['settings'] });
    assert.equal((await n.send('POST', GRANTS, { grant_type: 'ssh', mytoken: t2.mytoken })).status, 201);
    const start = assertOk(await n.post(SSH, { grant_type: 'mytoken', mytoken: t2.mytoken, ssh_key: ed25519Key() }));
    await on.approve(start.consent_uri);
    const done = assertOk(await n.post(SSH, { grant_type: 'polling_code', polling_code: start.polling_code }));
    assert.match(done.ssh_host_config, new RegExp(`\\n\\tPort ${port}\\n`));
    assert.equal(on.sshPort, port);
  } finally {
    await Promise.all([off.close(), on?.close()]);
  }
});

/** A port that nothing listens on at the moment (the kernel's pick, released at once). */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
