// e2e: the token file under attack and under kill -9 (issue 11, items 1, 2, 6, 7, 8, 10): the
// lock cannot be held twice, a killed run's new version is adopted, links lead to the real file,
// WLCG discovery uses only the user's own files, and what is read or answered has limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { asOtherUser, finished, run, spawnCli } from './helpers.mjs';
import { assertFailed, homeWithConfig, jwtPayload, listDir, removeHomes, startStubServer, type StubServer, tokenFileFor, assertUntouched } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;
let S: LocalServer;
let stub: StubServer;
const shared: string[] = [];

before(async () => {
  [S, stub] = await Promise.all([startLocalServer({ interval: 1 }), startStubServer()]);
});
after(async () => {
  removeHomes();
  for (const d of shared) rmSync(d, { recursive: true, force: true });
  await Promise.all([S?.close(), stub?.close()]);
});

/** A rotating mytoken that revokes its whole family when an old version is presented again. */
async function autoRevoking(): Promise<string> {
  return (await S.mint({ capabilities: ['AT', 'tokeninfo'], rotation: { on_AT: true, auto_revoke: true } })).mytoken as string;
}

/** An AT request made behind the client's back: the server rotates, the client never hears of it. */
async function rotateBehindTheBack(token: string): Promise<string> {
  const res = await fetch(`${S.url}/api/v0/token/access`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'mytoken', mytoken: token }),
  });
  const json = (await res.json()) as { token_update?: { mytoken?: string } };
  assert.equal(res.status, 200);
  return json.token_update!.mytoken!;
}

/** A folder anyone may write to, sticky like /tmp. */
function sharedFolder(): string {
  const d = mkdtempSync(join(tmpdir(), 'mytoken-shared-'));
  chmodSync(d, 0o1777);
  shared.push(d);
  return d;
}

function tokenFile(token: string) {
  const home = homeWithConfig(S.url);
  const dir = join(home, 'tokens');
  execFileSync('mkdir', ['-p', dir]);
  const file = join(dir, 'mt');
  writeFileSync(file, token, { mode: 0o600 });
  return { home, dir, file };
}

const fingerprint = (t: string) => createHash('sha256').update(t).digest('hex').slice(0, 32);

/** A process that is alive until killed, for lock holders. */
function sleeper() {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  return child;
}

// ---- 1. the lock -------------------------------------------------------------------------------

test('11.1 a lock holder killed with -9 while four runs wait: each run uses its own version, the family lives', async () => {
  const t = tokenFile(await autoRevoking());
  const holder = sleeper();
  writeFileSync(join(t.dir, '.mt.lock'), `${holder.pid}\n`);
  const n = S.requests.length;
  const runs = [0, 1, 2, 3].map(() => finished(spawnCli(['AT', '--MT-file', t.file], { home: t.home }), 60_000));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(S.requests.length, n, 'a run went past a live lock');
  holder.kill('SIGKILL');
  const results = await Promise.all(runs);
  for (const r of results) assert.equal(r.status, 0, r.stderr);
  const sent = S.requests.slice(n).filter((q) => q.path.endsWith('/token/access')).map((q) => JSON.parse(q.body).mytoken as string);
  assert.equal(sent.length, 4);
  assert.equal(new Set(sent).size, 4, 'one version was sent twice');
  const last = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(last.status, 0, `the family was lost: ${last.stderr}`);
  assert.deepEqual(listDir(t.dir), ['mt']);
});

test('11.1 a lock naming a live process that started after the lock was written (pid reuse) is broken at once', async () => {
  const t = tokenFile(await autoRevoking());
  const other = sleeper();
  try {
    const lock = join(t.dir, '.mt.lock');
    writeFileSync(lock, `${other.pid}\n`);
    const hourAgo = Date.now() / 1000 - 3600;
    utimesSync(lock, hourAgo, hourAgo);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(other.exitCode, null, 'the unrelated process was touched');
    // the same with the start time this client records: a wrong one means another process
    writeFileSync(lock, `${other.pid} 1 ${hostname()}\n`);
    const r2 = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 20_000 });
    assert.equal(r2.status, 0, r2.stderr);
    assert.deepEqual(listDir(t.dir), ['mt']);
  } finally {
    other.kill('SIGKILL');
  }
});

test('11.1 an empty lock left long ago and a garbage lock cost no wait', async () => {
  const t = tokenFile(await autoRevoking());
  const lock = join(t.dir, '.mt.lock');
  writeFileSync(lock, '');
  utimesSync(lock, 1_000_000, 1_000_000);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 4_000 });
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(lock, 'not a lock at all');
  const r2 = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 4_000 });
  assert.equal(r2.status, 0, r2.stderr);
});

// ---- 2. a run killed before the new version reached the file ------------------------------------

test('11.2 a new version left in the journal by a killed run is adopted, not replaced by the old one', async () => {
  const old = await autoRevoking();
  const t = tokenFile(old);
  const next = await rotateBehindTheBack(old);
  // what a run killed between receiving the reply and rewriting the file leaves behind
  writeFileSync(join(t.dir, '.mt.rotation'), `${JSON.stringify({ v: 1, pid: 999_999, at: new Date().toISOString(), using: fingerprint(next), replaces: fingerprint(old), new: next })}\n`, { mode: 0o600 });
  writeFileSync(join(t.dir, '.mt.999999.0badf00d.tmp'), next, { mode: 0o600 });
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /earlier run received but did not store/);
  const now = readFileSync(t.file, 'utf8');
  assert.equal(jwtPayload(now)!.seq_no, (jwtPayload(next)!.seq_no as number) + 1, 'the adopted version was used and rotated');
  assert.deepEqual(listDir(t.dir), ['mt'], 'the journal and the orphaned temp file are gone');
  assert.equal((await run(['AT', '--MT-file', t.file], { home: t.home })).status, 0, 'the family lives');
});

test('11.2 a journal another user planted is not adopted', async () => {
  const old = await autoRevoking();
  const t = tokenFile(old);
  chmodSync(t.dir, 0o1777);
  asOtherUser(`printf '%s\\n' '${JSON.stringify({ v: 1, pid: 999_999, at: 'x', using: 'x', replaces: fingerprint(old), new: 'attacker-token' })}' > .mt.rotation`, t.dir);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(jwtPayload(readFileSync(t.file, 'utf8'))!.jti, jwtPayload(old)!.jti);
});

test('11.2 a version sent by a run that never got the answer: the refusal says so and what to do', async () => {
  const old = await autoRevoking();
  const t = tokenFile(old);
  await rotateBehindTheBack(old); // the answer that never arrived
  writeFileSync(join(t.dir, '.mt.rotation'), `${JSON.stringify({ v: 1, pid: 999_999, at: '2026-12-06T03:00:00.000Z', using: fingerprint(old) })}\n`, { mode: 0o600 });
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assertFailed(r, 3, /earlier run \(process 999999.*ended before it got the answer/);
  assert.match(r.stderr, /log in again/);
  assert.doesNotMatch(r.stderr, /try again later/);
  assert.equal(readFileSync(t.file, 'utf8'), old, 'the token file is left as it was');
});

// ---- 6. links ------------------------------------------------------------------------------------

test('11.6 a symlinked token file: the real file is rewritten and locked, the link stays a link', async () => {
  const t = tokenFile(await autoRevoking());
  const link = join(t.home, 'link-to-mt');
  symlinkSync(t.file, link);
  const r = await run(['AT', '--MT-file', link], { home: t.home });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link became a plain file');
  const r2 = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r2.status, 0, `the real file kept an old version: ${r2.stderr}`);
  assert.deepEqual(listDir(t.dir), ['mt']);
});

test('11.6 a rotating token file with two names (hard link) is refused before anything is sent (status 2)', async () => {
  const t = tokenFile(await autoRevoking());
  const content = readFileSync(t.file, 'utf8');
  linkSync(t.file, join(t.dir, 'second-name'));
  const n = S.requests.length;
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assertFailed(r, 2, /has 2 names \(hard links\)/);
  assert.equal(S.requests.length, n, 'a request was sent');
  assert.equal(readFileSync(t.file, 'utf8'), content);
});

test('11.6 -o through a symlinked folder to the token file itself is refused; the mytoken survives', async () => {
  const t = tokenFile(await autoRevoking());
  symlinkSync('.', join(t.dir, 'here'));
  const content = readFileSync(t.file, 'utf8');
  const r = await run(['AT', '--MT-file', 'mt', '-o', 'here/mt'], { home: t.home, cwd: t.dir });
  assertFailed(r, 2, /is the file the mytoken comes from/);
  assert.equal(readFileSync(t.file, 'utf8'), content);
});

// ---- 7. WLCG discovery ------------------------------------------------------------------------------

test('11.7 WLCG discovery: a token file another user planted is named on stderr and not used', async () => {
  const run_ = sharedFolder();
  asOtherUser(`printf 'attacker-mytoken-0123456789' > mt_u0; ln -s /dev/zero bt_u0`, run_);
  const home = homeWithConfig(stub.url);
  const n = stub.requests.length;
  const r = await run(['AT'], { home, env: { XDG_RUNTIME_DIR: run_ }, timeoutMs: 10_000 });
  assert.match(r.stderr, new RegExp(`not using ${run_}/mt_u0 .*belongs to another user`));
  assert.match(r.stderr, new RegExp(`not using ${run_}/bt_u0 .*symbolic link made by another user`));
  assert.ok(!stub.requests.slice(n).some((q) => q.body.includes('attacker-mytoken')), 'the planted token was sent');
});

test('11.7 WLCG discovery: the user\'s own link to a device, and an own file others can write, are refused', async () => {
  const run_ = sharedFolder();
  symlinkSync('/dev/zero', join(run_, 'mt_u0'));
  writeFileSync(join(run_, 'bt_u0'), 'own-but-writable-0123456789');
  chmodSync(join(run_, 'bt_u0'), 0o666);
  const home = homeWithConfig(stub.url);
  const r = await run(['AT'], { home, env: { XDG_RUNTIME_DIR: run_ }, timeoutMs: 10_000 });
  assert.match(r.stderr, /mt_u0 .*is a device/);
  assert.match(r.stderr, /bt_u0 .*can be changed by other users/);
});

// ---- 8. limits ------------------------------------------------------------------------------------

test('11.8 --MT-file /dev/zero, a FIFO and a 10 MB file are refused (status 2) without hanging or sending', async () => {
  const home = homeWithConfig(stub.url);
  const fifo = join(home, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(home, 'big');
  writeFileSync(big, 'x'.repeat(10 * 1024 * 1024));
  const n = stub.requests.length;
  for (const [file, why] of [
    ['/dev/zero', /is a device/],
    [fifo, /named pipe/],
    [big, /larger than 64 KiB/],
  ] as const) {
    const r = await run(['AT', '--MT-file', file], { home, timeoutMs: 10_000 });
    assertFailed(r, 2, why, file);
  }
  assert.equal(stub.requests.length, n);
});

test('11.8 a first line longer than a mytoken can be is refused, not sent', async () => {
  const t = tokenFileFor(stub.url, `${'a'.repeat(20_000)}\n`);
  const n = stub.requests.length;
  assertFailed(await run(['AT', '--MT-file', t.file], { home: t.home }), 2, /longer than 16 KiB/);
  assert.equal(stub.requests.length, n);
});

// ---- 10. replies are checked before use ---------------------------------------------------------

const ACCESS = '/api/v0/token/access';
const STUB_ROTATING = 'stub-rotating-short-token-0123456789';

for (const [label, update] of [
  ['a newline', 'new-token\nsecond-line'],
  ['a number', 12345],
] as const) {
  test(`11.10 a token_update whose mytoken holds ${label} is refused (status 1); the file is untouched`, async () => {
    const t = tokenFileFor(stub.url, `${STUB_ROTATING}\n`);
    stub.on('POST', ACCESS, { status: 200, body: { access_token: 'at-0123', token_update: { mytoken: update } } });
    try {
      assertFailed(await run(['AT', '--MT-file', t.file], { home: t.home }), 1, /rotated mytoken that is not a token/);
      assertUntouched(t);
    } finally {
      stub.reset();
    }
  });
}

test('11.10 an access_token that is not a token ({}) is refused (status 1), nothing printed or written', async () => {
  const t = tokenFileFor(stub.url, `${STUB_ROTATING}\n`);
  const out = join(t.home, 'at.txt');
  stub.on('POST', ACCESS, { status: 200, body: { access_token: {} } });
  try {
    assertFailed(await run(['AT', '--MT-file', t.file], { home: t.home }), 1, /not an access token/);
    assertFailed(await run(['AT', '--MT-file', t.file, '-o', out], { home: t.home }), 1, /not an access token/);
    assert.ok(!existsSync(out));
    assertUntouched(t);
  } finally {
    stub.reset();
  }
});

test('11.10 a group-readable token file keeps its mode after rotation', async () => {
  const t = tokenFile(await autoRevoking());
  chmodSync(t.file, 0o640);
  assert.equal((await run(['AT', '--MT-file', t.file], { home: t.home })).status, 0);
  assert.equal(statSync(t.file).mode & 0o777, 0o640);
});

// ---- 3. a rotating request slower than the timeout -------------------------------------------------

test('11.3 a rotating request slower than MYTOKEN_HTTP_TIMEOUT: the client waits for the answer and keeps the family', async () => {
  const t = tokenFile(await autoRevoking());
  assert.equal((await run(['AT', '--MT-file', t.file], { home: t.home })).status, 0, 'warm-up (caches the configuration document)');
  const before = jwtPayload(readFileSync(t.file, 'utf8'))!.seq_no as number;
  S.setReplyDelay(2500);
  let r;
  try {
    r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
  } finally {
    S.setReplyDelay(0);
  }
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no answer from the server within 1 s; still waiting/);
  assert.equal(jwtPayload(readFileSync(t.file, 'utf8'))!.seq_no, before + 1);
  assert.equal((await run(['AT', '--MT-file', t.file], { home: t.home })).status, 0, 'the family lives');
});

test('11.3 the connection drops after a rotating request was sent: no "try again later", and the next refusal says why', async () => {
  const http = await import('node:http');
  let mode: 'drop' | 'refuse' = 'drop';
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url?.endsWith('/.well-known/mytoken-configuration')) {
        const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: base, mytoken_endpoint: `${base}/my`, access_token_endpoint: `${base}/at` }));
      } else if (mode === 'drop') req.socket.destroy();
      else res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    const t = tokenFileFor(url, `${STUB_ROTATING}\n`);
    const first = await run(['AT', '--MT-file', t.file], { home: t.home });
    assertFailed(first, 4, /may have rotated it/);
    assert.doesNotMatch(first.stderr, /try again later/);
    assert.match(first.stderr, /log in again/);
    assert.equal(readFileSync(t.file, 'utf8'), `${STUB_ROTATING}\n`);
    mode = 'refuse';
    assertFailed(await run(['AT', '--MT-file', t.file], { home: t.home }), 3, /earlier run \(process \d+.*ended before it got the answer/);
  } finally {
    server.close();
  }
});

test('11.1 a lock file another user put beside a token file in a shared folder: refused at once, nothing sent, not read on', async () => {
  const old = await autoRevoking();
  const dir = sharedFolder();
  const file = join(dir, 'bt_u0');
  writeFileSync(file, old, { mode: 0o600 });
  const home = homeWithConfig(S.url);
  for (const plant of ['echo 999999 > .bt_u0.lock', 'ln -s /dev/zero .bt_u0.lock']) {
    asOtherUser(`rm -f .bt_u0.lock; ${plant}`, dir);
    const n = S.requests.length;
    const r = await run(['AT', '--MT-file', file], { home, timeoutMs: 10_000 });
    assertFailed(r, 1, /lock file .*\.bt_u0\.lock (belongs to another user|is not a file)/, plant);
    assert.match(r.stderr, /folder of your own/);
    assert.equal(S.requests.filter((q, i) => i >= n && q.path.endsWith('/token/access')).length, 0);
    assert.equal(readFileSync(file, 'utf8'), old);
  }
});

test('11.2 a token file that cannot be rewritten: the new version is kept beside it and taken by the next run', async (c) => {
  const old = await autoRevoking();
  const t = tokenFile(old);
  try {
    execFileSync('chattr', ['+i', t.file], { stdio: 'ignore' }); // even root cannot replace it now
    execFileSync('chattr', ['-i', t.file]);
  } catch {
    return c.skip('chattr +i does not work on this file system (tests run as root, so only an immutable file refuses a write)');
  }
  // a file that cannot be rewritten is refused before anything is sent (issue 12.1): it becomes
  // immutable while the request is on its way
  let r;
  const n = S.requests.length;
  S.setReplyDelay(1000);
  try {
    const child = spawnCli(['AT', '--MT-file', t.file], { home: t.home });
    const done = finished(child);
    while (!S.requests.slice(n).some((q) => q.path.endsWith('/token/access'))) await new Promise((ok) => setTimeout(ok, 10));
    execFileSync('chattr', ['+i', t.file]);
    r = await done;
  } finally {
    S.setReplyDelay(0);
    execFileSync('chattr', ['-i', t.file]);
  }
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /could not be rewritten/);
  assert.equal(readFileSync(t.file, 'utf8'), old, 'the immutable file changed');
  // the user fixed the file but did not move the copy over it: the next run still uses the new version
  const next = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stderr, /earlier run received but did not store/);
  assert.equal(jwtPayload(readFileSync(t.file, 'utf8'))!.seq_no, 3);
});
