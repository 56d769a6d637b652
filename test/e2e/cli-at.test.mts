// e2e: mytoken AT (spec cli.md 17.4 statements 42-47), server errors and bad input (17.2
// statements 19-21), and requests through an HTTP proxy on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import { startProxy } from './proxy.mjs';
import {
  CONFIG_PATH,
  type StubServer,
  closedPortUrl,
  jwtPayload,
  listDir,
  postBodies,
  since,
  startSilentServer,
  startStubServer,
  removeHomes,
  homeWithConfig,
} from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const ACCESS = '/api/v0/token/access';
const FAKE = 'fake-mytoken-that-the-server-does-not-know-0123456789';

let S: LocalServer;
let stub: StubServer;
let token: string;

before(async () => {
  S = await startLocalServer({ interval: 1 });
  stub = await startStubServer();
  token = (await S.mint({ capabilities: ['AT', 'tokeninfo'] })).mytoken as string;
});

after(async () => {
  removeHomes();
  await stub?.close();
  await S?.close();
});

const homeFor = (instance: string = S.url): string => homeWithConfig(instance);

/** A HOME and, in its own folder, a token file with `content`. */
function withTokenFile(content: string, instance?: string) {
  const home = homeFor(instance);
  const dir = join(home, 'tokens');
  mkdirSync(dir);
  const file = join(dir, 'mt');
  writeFileSync(file, content);
  return { home, dir, file, content };
}

/** Nothing was lost or written: the token file is unchanged and alone in its folder. */
function assertUntouched(t: { dir: string; file: string; content: string }, extra: string[] = []) {
  assert.equal(readFileSync(t.file, 'utf8'), t.content, 'the token file changed');
  assert.deepEqual(listDir(t.dir), ['mt', ...extra].sort(), 'stray files next to the token file');
}

async function runAt(args: string[], opts: Parameters<typeof run>[1]) {
  const n = S.requests.length;
  const r = await run(args, opts);
  const got = since(S.requests, n);
  return { r, got, bodies: postBodies(got, ACCESS) };
}

// ---- 17.4 AT ----------------------------------------------------------------------------------

test('17.4/42 AT prints only the access token and a newline (a JWT from the OP)', async () => {
  const r = await run(['AT', '--MT', token], { home: homeFor() });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^[^\s]+\n$/);
  const at = r.stdout.slice(0, -1);
  assert.equal(at.split('.').length, 3, `not a JWT: ${at}`);
  assert.equal(jwtPayload(at)?.iss, S.issuer);
});

test('17.4/43 the request body is exactly grant_type and mytoken, without Authorization header', async () => {
  const { r, got, bodies } = await runAt(['AT', '--MT', token], { home: homeFor() });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(bodies.length, 1);
  assert.deepEqual(bodies[0], { grant_type: 'mytoken', mytoken: token });
  assert.deepEqual(Object.keys(bodies[0]!), ['grant_type', 'mytoken']);
  const post = got.find((q) => q.method === 'POST' && q.path === ACCESS)!;
  assert.equal(post.headers.authorization, undefined);
});

test('17.4/44 -s openid -s profile --aud a --audience b "my comment" sends scope, audience and comment', async () => {
  const { bodies } = await runAt(['AT', '--MT', token, '-s', 'openid', '-s', 'profile', '--aud', 'a', '--audience', 'b', 'my comment'], {
    home: homeFor(),
  });
  assert.equal(bodies.length, 1);
  const b = bodies[0]!;
  assert.equal(b.scope, 'openid profile');
  assert.equal(b.audience, 'a b');
  assert.equal(b.comment, 'my comment');
  assert.equal(b.mytoken, token);
  assert.equal(b.oidc_issuer, undefined);
});

test('17.4/45 -s a,b sends scope "a b"', async () => {
  const { bodies } = await runAt(['AT', '--MT', token, '-s', 'a,b'], { home: homeFor() });
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]!.scope, 'a b');
});

test('17.4/46 -o F writes the access token and a newline to F (mode 0600), nothing on stdout', async () => {
  const home = homeFor();
  const dir = join(home, 'out');
  mkdirSync(dir);
  const f = join(dir, 'at');
  const r = await run(['AT', '--MT', token, '-o', f], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, '');
  const text = readFileSync(f, 'utf8');
  assert.match(text, /^[^\s]+\n$/);
  assert.equal(jwtPayload(text.trim())?.iss, S.issuer);
  assert.equal(statSync(f).mode & 0o777, 0o600);
  assert.deepEqual(listDir(dir), ['at']);
});

test('17.4/46 -o into a missing folder: exit 2, other files untouched', async () => {
  const t = withTokenFile(`${token}\n`);
  const target = join(t.dir, 'no-such-folder', 'at');
  const r = await run(['AT', '--MT-file', t.file, '-o', target], { home: t.home });
  assert.equal(r.status, 2, r.stderr);
  assert.ok(r.stderr.includes(target), r.stderr);
  assert.equal(r.stdout, '');
  assertUntouched(t);
});

test('17.4/46 -o F onto an existing F when the request fails: F keeps its content', async () => {
  const t = withTokenFile(`${FAKE}\n`);
  const out = join(t.dir, 'at');
  writeFileSync(out, 'previous access token\n');
  const r = await run(['AT', '--MT-file', t.file, '-o', out], { home: t.home });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /invalid_token/);
  assert.equal(readFileSync(out, 'utf8'), 'previous access token\n');
  assertUntouched(t, ['at']);
});

test('17.4/47 an answer with an empty or no access_token: exit 1, nothing printed or written', async () => {
  for (const body of [{ access_token: '', token_type: 'Bearer' }, { token_type: 'Bearer' }]) {
    stub.reset();
    stub.on('POST', ACCESS, { status: 200, body });
    const t = withTokenFile(`${FAKE}\n`, stub.url);
    const out = join(t.dir, 'at');
    const r = await run(['AT', '--MT-file', t.file, '-o', out], { home: t.home });
    assert.equal(r.status, 1, `${JSON.stringify(body)}: ${r.stderr}`);
    assert.match(r.stderr, /^mytoken: /);
    assert.equal(r.stdout, '');
    assertUntouched(t);
    const s = await run(['AT', '--MT', FAKE], { home: t.home });
    assert.equal(s.status, 1, s.stderr);
    assert.equal(s.stdout, '');
  }
});

// ---- server errors and bad input ----------------------------------------------------------------

test('17.2/19 an unreachable server (closed port): exit 4 "could not reach"', async () => {
  const url = await closedPortUrl();
  const t = withTokenFile(`${FAKE}\n`, url);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stderr, /could not reach/);
  assert.equal(r.stdout, '');
  assertUntouched(t);
});

test('17.2/19 a server that accepts connections but never answers: exit 4 after MYTOKEN_HTTP_TIMEOUT', async () => {
  const silent = await startSilentServer();
  try {
    const t = withTokenFile(`${FAKE}\n`, silent.url);
    const started = Date.now();
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { MYTOKEN_HTTP_TIMEOUT: '1' }, timeoutMs: 15_000 });
    const took = Date.now() - started;
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /time(d)?[ -]?out|within 1 ?s/i);
    assert.ok(took < 5_000, `took ${took} ms`);
    assert.ok(silent.connections >= 1);
    assert.equal(r.stdout, '');
    assertUntouched(t);
  } finally {
    await silent.close();
  }
});

test('17.2/20 an error answer {"error":"invalid_token","error_description":"bad"}: exit 3 "invalid_token: bad"', async () => {
  stub.reset();
  stub.on('POST', ACCESS, { status: 401, body: { error: 'invalid_token', error_description: 'bad' } });
  const t = withTokenFile(`${FAKE}\n`, stub.url);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /invalid_token: bad/);
  assert.equal(r.stdout, '');
  assertUntouched(t);

  stub.on('POST', ACCESS, { status: 401, body: { error: 'invalid_token' } });
  const r2 = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r2.status, 3, r2.stderr);
  assert.match(r2.stderr, /invalid_token/);
  assertUntouched(t);
});

test('17.2/21 a 502 answer with an HTML body: exit 4 mentioning 502', async () => {
  stub.reset();
  stub.on('POST', ACCESS, { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' });
  const t = withTokenFile(`${FAKE}\n`, stub.url);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stderr, /502/);
  assert.equal(r.stdout, '');
  assertUntouched(t);
});

test('17.2/20 a mytoken the real server rejects: exit 3 invalid_token', async () => {
  const t = withTokenFile(`${FAKE}\n`);
  const { r, bodies } = await runAt(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /invalid_token/);
  assert.equal(r.stdout, '');
  assert.equal(bodies.length, 1);
  assertUntouched(t);
});

test('17.2/20 a mytoken without the AT capability: exit 3 insufficient_capabilities', async () => {
  const noAt = (await S.mint({ capabilities: ['tokeninfo'] })).mytoken as string;
  const t = withTokenFile(`${noAt}\n`);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /insufficient_capabilities/);
  assert.equal(r.stdout, '');
  assertUntouched(t);
});

// ---- proxy ----------------------------------------------------------------------------------

test('proxy: with HTTP_PROXY the requests go through the proxy; NO_PROXY=127.0.0.1 bypasses it', async () => {
  const proxy = await startProxy();
  try {
    const t = withTokenFile(`${token}\n`);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTP_PROXY: proxy.url, NO_PROXY: undefined } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^[^\s]+\n$/);
    assert.ok(proxy.seen.includes(`GET ${S.url}${CONFIG_PATH}`), `proxy saw: ${proxy.seen.join(', ')}`);
    assert.ok(proxy.seen.includes(`POST ${S.url}${ACCESS}`), `proxy saw: ${proxy.seen.join(', ')}`);
    assertUntouched(t);

    const seen = proxy.seen.length;
    const tunnels = proxy.tunnels.length;
    const b = await run(['AT', '--MT-file', t.file], { home: homeFor(), env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /^[^\s]+\n$/);
    assert.equal(proxy.seen.length, seen, `proxy was used: ${proxy.seen.slice(seen).join(', ')}`);
    assert.equal(proxy.tunnels.length, tunnels, 'a tunnel was opened through the proxy');
  } finally {
    await proxy.close();
  }
});
