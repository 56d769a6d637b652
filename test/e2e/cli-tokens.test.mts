// e2e: where the mytoken comes from, rotation write-back and server switching by `iss`
// (spec cli.md 17.3 statements 28-33 and 36-41), plus two processes sharing one rotating token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import {
  CONFIG_PATH,
  jwtPayload,
  jwtsIn,
  listDir,
  postBodies,
  removeHomes,
  since,
  unsignedJwt,
  homeWithConfig,
} from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const ACCESS = '/api/v0/token/access';
const FAKE = 'fake-mytoken-that-the-server-does-not-know-0123456789';

let S: LocalServer;
let S2: LocalServer;
/** a plain (non-rotating) mytoken of S that may get access tokens */
let token: string;

before(async () => {
  [S, S2] = await Promise.all([startLocalServer({ interval: 1 }), startLocalServer({ interval: 1 })]);
  token = (await S.mint({ capabilities: ['AT', 'tokeninfo'] })).mytoken as string;
});

after(async () => {
  removeHomes();
  await Promise.all([S?.close(), S2?.close()]);
});

const homeFor = (instance: string = S.url): string => homeWithConfig(instance);

/** A fresh folder for token files (apart from HOME, so its listing is only the test's files). */
function tokenDir(home: string): string {
  const dir = join(home, 'tokens');
  mkdirSync(dir);
  return dir;
}

async function rotating(responseType?: string): Promise<string> {
  const req: Record<string, unknown> = { capabilities: ['AT', 'tokeninfo'], rotation: { on_AT: true } };
  if (responseType) req.response_type = responseType;
  const t = (await S.mint(req)).mytoken as string;
  assert.ok(t, 'mint gave no mytoken');
  return t;
}

/** Runs the CLI and returns the result and the access-token request bodies S got meanwhile. */
async function runAt(args: string[], opts: Parameters<typeof run>[1]) {
  const n = S.requests.length;
  const r = await run(args, opts);
  return { r, bodies: postBodies(since(S.requests, n), ACCESS) };
}

const oneLine = /^[^\s]+\n$/;
const mode = (f: string) => statSync(f).mode & 0o777;

// ---- token sources --------------------------------------------------------------------------

test('17.3/28 --MT-file sends the first line only; a CRLF file sends the token without \\r', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const f = join(dir, 'mt');
  const content = `${token}\nsecond\n`;
  writeFileSync(f, content);
  const { r, bodies } = await runAt(['AT', '--MT-file', f], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, oneLine);
  assert.deepEqual(bodies.map((b) => b.mytoken), [token]);
  assert.equal(readFileSync(f, 'utf8'), content, 'the token file changed');

  const crlf = join(dir, 'crlf');
  writeFileSync(crlf, `${token}\r\n`);
  const c = await runAt(['AT', '--MT-file', crlf], { home });
  assert.equal(c.r.status, 0, c.r.stderr);
  assert.deepEqual(c.bodies.map((b) => b.mytoken), [token]);
  assert.equal(readFileSync(crlf, 'utf8'), `${token}\r\n`);
  assert.deepEqual(listDir(dir), ['crlf', 'mt']);
});

test('17.3/29 --MT-file naming a missing file, an empty file or a folder: exit 2, nothing sent', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const missing = await runAt(['AT', '--MT-file', 'missing.txt'], { home, cwd: dir });
  assert.equal(missing.r.status, 2, missing.r.stderr);
  assert.match(missing.r.stderr, /missing\.txt/);
  assert.match(missing.r.stderr, /does not exist/);
  assert.equal(missing.r.stdout, '');
  assert.equal(missing.bodies.length, 0);
  assert.deepEqual(listDir(dir), [], 'something was created');

  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  const e = await runAt(['AT', '--MT-file', empty], { home });
  assert.equal(e.r.status, 2, e.r.stderr);
  assert.ok(e.r.stderr.includes(empty), e.r.stderr);
  assert.equal(e.bodies.length, 0);
  assert.equal(readFileSync(empty, 'utf8'), '');

  const folder = join(dir, 'folder');
  mkdirSync(folder);
  const d = await runAt(['AT', '--MT-file', folder], { home });
  assert.equal(d.r.status, 2, d.r.stderr);
  assert.equal(d.bodies.length, 0);
  assert.deepEqual(listDir(folder), []);
  assert.deepEqual(listDir(dir), ['empty', 'folder']);
});

test('17.3/30 --MT-env V sends $V; V unset is exit 2 naming V (no fall-through to --MT-file, Q50 fixed); V="" is exit 2', async () => {
  const home = homeFor();
  const ok = await runAt(['AT', '--MT-env', 'MY_MT'], { home, env: { MY_MT: token } });
  assert.equal(ok.r.status, 0, ok.r.stderr);
  assert.deepEqual(ok.bodies.map((b) => b.mytoken), [token]);

  const dir = tokenDir(home);
  const f = join(dir, 'mt');
  writeFileSync(f, `${token}\n`);
  const unset = await runAt(['AT', '--MT-env', 'MY_MT_UNSET', '--MT-file', f], { home });
  assert.equal(unset.r.status, 2, unset.r.stderr);
  assert.match(unset.r.stderr, /MY_MT_UNSET/);
  assert.equal(unset.r.stdout, '');
  assert.equal(unset.bodies.length, 0, 'the --MT-file token was sent');
  assert.equal(readFileSync(f, 'utf8'), `${token}\n`);

  const empty = await runAt(['AT', '--MT-env', 'MY_MT'], { home, env: { MY_MT: '' } });
  assert.equal(empty.r.status, 2, empty.r.stderr);
  assert.equal(empty.r.stdout, '');
  assert.equal(empty.bodies.length, 0);
  assert.deepEqual(listDir(dir), ['mt']);
});

test('17.3/31 --MT A --MT-file F sends A', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const f = join(dir, 'mt');
  writeFileSync(f, `${FAKE}\n`);
  const { r, bodies } = await runAt(['AT', '--MT', token, '--MT-file', f], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(bodies.map((b) => b.mytoken), [token]);
  assert.equal(readFileSync(f, 'utf8'), `${FAKE}\n`);
  assert.deepEqual(listDir(dir), ['mt']);
});

test('17.3/32 BEARER_TOKEN is sent when no flag is given', async () => {
  const { r, bodies } = await runAt(['AT'], { home: homeFor(), env: { BEARER_TOKEN: token } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(bodies.map((b) => b.mytoken), [token]);
});

test('17.3/33 BEARER_TOKEN_FILE with "  tok \\n" sends the trimmed token', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const f = join(dir, 'bt');
  writeFileSync(f, `  ${token} \n`);
  const { r, bodies } = await runAt(['AT'], { home, env: { BEARER_TOKEN_FILE: f } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(bodies.map((b) => b.mytoken), [token]);
  assert.equal(readFileSync(f, 'utf8'), `  ${token} \n`);
  assert.deepEqual(listDir(dir), ['bt']);
});

// ---- rotation write-back ----------------------------------------------------------------------

test('17.3/36 rotation with --MT-file: the file holds exactly the new token and keeps its mode (7.4), stdout only the access token', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const f = join(dir, 'mt');
  const old = await rotating();
  writeFileSync(f, old);
  chmodSync(f, 0o640);
  const r = await run(['AT', '--MT-file', f], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, oneLine);
  const now = readFileSync(f, 'utf8');
  assert.notEqual(now, old, 'the file was not rewritten');
  const p0 = jwtPayload(old)!;
  const p1 = jwtPayload(now);
  assert.ok(p1, `the file does not hold a JWT: ${JSON.stringify(now)}`);
  assert.equal(p1.jti, p0.jti, 'not a new version of the same mytoken');
  assert.equal(p1.seq_no, (p0.seq_no as number) + 1);
  assert.equal(mode(f), 0o640, 'the group bits the user gave the file are kept');
  assert.deepEqual(listDir(dir), ['mt'], 'stray temp or lock files');

  // the old version is refused now, the new one works (and rotates again)
  const stale = await run(['AT', '--MT', old], { home });
  assert.equal(stale.status, 3, stale.stderr);
  assert.match(stale.stderr, /invalid_token/);
  assert.equal(stale.stdout, '');
  assert.equal(readFileSync(f, 'utf8'), now);
  const again = await run(['AT', '--MT-file', f], { home });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, oneLine);
  assert.notEqual(readFileSync(f, 'utf8'), now);
  assert.deepEqual(listDir(dir), ['mt']);

  // a file ending in a newline: its first line becomes the new token
  const g = join(dir, 'nl');
  const old2 = await rotating();
  writeFileSync(g, `${old2}\n`);
  const r2 = await run(['AT', '--MT-file', g], { home });
  assert.equal(r2.status, 0, r2.stderr);
  const first = readFileSync(g, 'utf8').split('\n')[0]!;
  assert.notEqual(first, old2);
  assert.equal(jwtPayload(first)?.jti, jwtPayload(old2)!.jti);
  assert.equal((await run(['AT', '--MT', first], { home })).status, 0);
  assert.deepEqual(listDir(dir), ['mt', 'nl']);
});

test('17.3/37 rotation with --MT: the new token is on stderr and works, stdout only the access token, exit 0', async () => {
  const home = homeFor();
  const old = await rotating();
  const r = await run(['AT', '--MT', old], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, oneLine);
  const found = jwtsIn(r.stderr).filter((t) => t !== old);
  assert.equal(found.length, 1, `no new mytoken on stderr:\n${r.stderr}`);
  const fresh = found[0]!;
  assert.equal(jwtPayload(fresh)?.jti, jwtPayload(old)!.jti);
  assert.ok(!r.stdout.includes(fresh), 'the new mytoken is on stdout');
  const use = await run(['AT', '--MT', fresh], { home });
  assert.equal(use.status, 0, use.stderr);
  assert.match(use.stdout, oneLine);
});

test('17.3/38 rotation of a token discovered in BEARER_TOKEN_FILE rewrites that file', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const f = join(dir, 'bt');
  const old = await rotating();
  writeFileSync(f, `${old}\n`, { mode: 0o600 });
  const r = await run(['AT'], { home, env: { BEARER_TOKEN_FILE: f } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, oneLine);
  const now = readFileSync(f, 'utf8').trim();
  assert.notEqual(now, old);
  assert.equal(jwtPayload(now)?.jti, jwtPayload(old)!.jti);
  assert.equal(mode(f), 0o600);
  assert.deepEqual(listDir(dir), ['bt']);
  const use = await run(['AT', '--MT', now], { home });
  assert.equal(use.status, 0, use.stderr);
});

test('17.3/36 rotation of a short token with --MT-file: the file holds the new short token', async () => {
  const home = homeFor();
  const dir = tokenDir(home);
  const f = join(dir, 'short');
  const old = await rotating('short_token');
  assert.match(old, /^[A-Za-z]{64}$/, `not a short token: ${old}`);
  writeFileSync(f, old);
  const r = await run(['AT', '--MT-file', f], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, oneLine);
  const now = readFileSync(f, 'utf8').trim();
  assert.match(now, /^[A-Za-z]{64}$/);
  assert.notEqual(now, old);
  assert.deepEqual(listDir(dir), ['short']);
  const stale = await run(['AT', '--MT', old], { home });
  assert.equal(stale.status, 3, stale.stderr);
  assert.equal(readFileSync(f, 'utf8').trim(), now);
  const again = await run(['AT', '--MT-file', f], { home });
  assert.equal(again.status, 0, again.stderr);
  assert.notEqual(readFileSync(f, 'utf8').trim(), now);
});

test('17.3/36 two processes sharing one rotating token file, 20 times: both succeed and the file keeps a working token', async () => {
  const home = homeFor();
  for (let i = 0; i < 20; i++) {
    const dir = mkdtempSync(join(home, `race-${i}-`));
    const f = join(dir, 'mt');
    const old = await rotating();
    writeFileSync(f, old);
    const [a, b] = await Promise.all([run(['AT', '--MT-file', f], { home }), run(['AT', '--MT-file', f], { home })]);
    assert.equal(a.status, 0, `iteration ${i}, first: ${a.stderr}`);
    assert.equal(b.status, 0, `iteration ${i}, second: ${b.stderr}`);
    assert.match(a.stdout, oneLine);
    assert.match(b.stdout, oneLine);
    const p = jwtPayload(readFileSync(f, 'utf8'));
    assert.equal(p?.seq_no, (jwtPayload(old)!.seq_no as number) + 2, `iteration ${i}: the file does not hold the newest version`);
    const c = await run(['AT', '--MT-file', f], { home });
    assert.equal(c.status, 0, `iteration ${i}, third: ${c.stderr}`);
    assert.deepEqual(listDir(dir), ['mt'], `iteration ${i}: stray files`);
  }
});

// ---- server from the token's iss ---------------------------------------------------------------

test('17.3/39 a mytoken issued by S2 goes to S2 although config instance / --url name S1', async () => {
  const tokS2 = (await S2.mint({ capabilities: ['AT', 'tokeninfo'] })).mytoken as string;
  assert.equal(jwtPayload(tokS2)?.iss, S2.url);
  for (const args of [['AT', '--MT', tokS2], ['AT', '--MT', tokS2, '--url', S.url]]) {
    const n1 = S.requests.length;
    const n2 = S2.requests.length;
    const r = await run(args, { home: homeFor() });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, oneLine);
    assert.deepEqual(since(S2.requests, n2).map((q) => `${q.method} ${q.path}`), [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`]);
    assert.equal(S.requests.length, n1, 'S1 was contacted');
  }
});

test('17.3/40 a JWT whose iss is the configured instance plus "/" does not switch servers', async () => {
  const jwt = unsignedJwt({ iss: `${S.url}/` });
  const n1 = S.requests.length;
  const n2 = S2.requests.length;
  const r = await run(['AT', '--MT', jwt], { home: homeFor() });
  assert.notEqual(r.status, 0);
  const got = since(S.requests, n1);
  assert.deepEqual(got.map((q) => `${q.method} ${q.path}`), [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`]);
  assert.equal(postBodies(got, ACCESS)[0]!.mytoken, jwt);
  assert.equal(S2.requests.length, n2);
});

test('17.3/41 --MT-prompt without a terminal: exit 2 mentioning the terminal, nothing on stdout', async () => {
  const { r, bodies } = await runAt(['AT', '--MT-prompt'], { home: homeFor(), input: `${token}\n` });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /terminal/);
  assert.equal(r.stdout, '');
  assert.equal(bodies.length, 0);
});
