// e2e: general command line, help, HTTP conventions, server initialisation and the config file
// (spec cli.md 17.1 and 17.2, with the project's exit statuses and messages).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run, writeConfig } from './helpers.mjs';
import {
  CONFIG_PATH,
  freshHome,
  listDir,
  postBodies,
  removeHomes,
  since,
  startStubServer,
  type StubServer,
  homeWithConfig,
} from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const ACCESS = '/api/v0/token/access';
const VERSION_LINE = 'mytoken version 0.7.1\n';
/** an opaque (non-JWT) mytoken the real server does not know */
const FAKE = 'fake-mytoken-that-the-server-does-not-know-0123456789';

let S: LocalServer;
let stub: StubServer;
let token: string;

before(async () => {
  S = await startLocalServer({ interval: 1, discoveryMaxAge: 300 });
  stub = await startStubServer();
  token = (await S.mint({ capabilities: ['AT', 'tokeninfo', 'create_mytoken'] })).mytoken as string;
});

after(async () => {
  removeHomes();
  await stub?.close();
  await S?.close();
});

/** A fresh HOME whose config points at `instance` (default: the local server). */
const homeFor = (instance: string = S.url): string => homeWithConfig(instance);

/** A token file with the (real) mytoken, alone in its folder under `home`. */
function tokenFile(home: string): { dir: string; file: string; content: string } {
  const dir = join(home, 'tokens');
  mkdirSync(dir);
  const file = join(dir, 'mt');
  const content = `${token}\n`;
  writeFileSync(file, content);
  return { dir, file, content };
}

/** Nothing was lost or written: the token file is unchanged and alone in its folder. */
function assertUntouched(t: { dir: string; file: string; content: string }): void {
  assert.equal(readFileSync(t.file, 'utf8'), t.content, 'the token file changed');
  assert.deepEqual(listDir(t.dir), ['mt'], 'stray files next to the token file');
}

/** The mytoken server's requests made while `fn` runs. */
async function requestsDuring<T>(fn: () => Promise<T>, server: { requests: unknown[] } = S): Promise<{ result: T; count: number }> {
  const n = server.requests.length;
  const result = await fn();
  return { result, count: server.requests.length - n };
}

// ---- 17.1 General CLI ----------------------------------------------------------------------

test('17.1/1 --version and -v print exactly the version line and make no request', async () => {
  for (const flag of ['--version', '-v']) {
    const { result: r, count } = await requestsDuring(() => run([flag], { home: homeFor() }));
    assert.equal(r.stdout, VERSION_LINE, flag);
    assert.equal(r.stderr, '', flag);
    assert.equal(r.status, 0, flag);
    assert.equal(count, 0, `${flag} made a request`);
  }
});

test('17.1/2 AT -v is a usage error (exit 2, unknown option, nothing on stdout)', async () => {
  const r = await run(['AT', '-v'], { home: homeFor() });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown option '-v'/);
  assert.equal(r.stdout, '');
});

test('17.1/3 mytoken without arguments prints the root help on stdout (README, no upstream contacts)', async () => {
  const { result: r, count } = await requestsDuring(() => run([], { home: homeFor() }));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /README/);
  assert.doesNotMatch(r.stdout, /kit\.edu/);
  assert.doesNotMatch(r.stdout, /CONTACT/);
  assert.equal(count, 0);
});

test('17.1/4 the root help lists AT before MT before help', async () => {
  const r = await run([], { home: homeFor() });
  assert.equal(r.status, 0);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => /^\s+AT\|at\b/.test(l));
  const mt = lines.findIndex((l) => /^\s+MT\|mt\b/.test(l));
  const help = lines.findIndex((l) => /^\s+help\|h\b/.test(l));
  assert.ok(at >= 0, `no AT|at line in:\n${r.stdout}`);
  assert.ok(mt >= 0, `no MT|mt line in:\n${r.stdout}`);
  assert.ok(help >= 0, `no help|h line in:\n${r.stdout}`);
  assert.ok(at < mt && mt < help, `order AT ${at}, MT ${mt}, help ${help}`);
});

test('17.1/5 mytoken nosuchcommand is a usage error (exit 2, Q1 fixed)', async () => {
  const { result: r, count } = await requestsDuring(() => run(['nosuchcommand'], { home: homeFor() }));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown command 'nosuchcommand'/);
  assert.equal(count, 0);
});

test('17.1/7 mytoken help nosuch is an error (exit 2)', async () => {
  const r = await run(['help', 'nosuch'], { home: homeFor() });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /nosuch/);
});

test('17.1/6 mytoken settings nosuch is an error naming the command (exit 2, not upstream\'s 3)', async () => {
  const r = await run(['settings', 'nosuch'], { home: freshHome() });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^mytoken: unknown command 'settings nosuch'/);
});

test('17.1/11 revoke --recursive=maybe is a usage error naming the flag and the value (exit 2), no request', async () => {
  const from = stub.requests.length;
  const r = await run(['revoke', '--MT', FAKE, '--url', stub.url, '--recursive=maybe'], { home: freshHome() });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /"maybe".*--recursive/);
  assert.deepEqual(since(stub.requests, from), []);
});

test('17.1/12 MT --usages-at abc is a usage error naming the value (exit 2)', async () => {
  const r = await run(['MT', '--MT', FAKE, '--url', stub.url, '--usages-at', 'abc'], { home: freshHome() });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /abc/);
});

test('17.1/16 mytoken list prints the help of list, naming providers and its alias issuers (exit 0)', async () => {
  const r = await run(['list'], { home: freshHome() });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /providers\|issuers/);
  assert.equal(r.stderr, '');
});

test('17.1/8 AT --help, AT -h, help AT, h AT and AT help print AT help, exit 0, no request', async () => {
  for (const args of [['AT', '--help'], ['AT', '-h'], ['help', 'AT'], ['h', 'AT'], ['AT', 'help']]) {
    const home = homeFor();
    // with a usable mytoken: if help did not stop the command, a request would reach the server
    const full = args[0] === 'AT' ? [...args, '--MT', token] : args;
    const { result: r, count } = await requestsDuring(() => run(full, { home }));
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /--MT-file/, args.join(' '));
    assert.equal(count, 0, `${args.join(' ')} sent a request`);
  }
});

test('2.6 mytoken -h AT prints the help of AT (exit 0)', async () => {
  const r = await run(['-h', 'AT'], { home: freshHome() });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: mytoken AT/);
});

test('17.1/9 AT --bogus is a usage error naming the option (exit 2)', async () => {
  const r = await run(['AT', '--bogus'], { home: homeFor() });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown option '--bogus'/);
  assert.equal(r.stdout, '');
});

test('17.1/10 AT --MT x --out without a value is a usage error naming --out (exit 2)', async () => {
  const { result: r, count } = await requestsDuring(() => run(['AT', '--MT', FAKE, '--out'], { home: homeFor() }));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--out/);
  assert.equal(r.stdout, '');
  assert.equal(count, 0);

  const home = homeFor();
  const t = tokenFile(home);
  const { result: r2, count: c2 } = await requestsDuring(() => run(['AT', '--MT-file', t.file, '--out'], { home }));
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /--out/);
  assert.equal(c2, 0);
  assertUntouched(t);
});

test('17.1/13 single-dash long flags: AT -MT <token> works like --MT', async () => {
  const n = S.requests.length;
  const r = await run(['AT', '-MT', token], { home: homeFor() });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\S+\n$/);
  const bodies = postBodies(since(S.requests, n), ACCESS);
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]!.mytoken, token);
});

test('17.1/14 global flags after the command name: AT --MT <tok> --url S2 goes to S2', async () => {
  stub.reset();
  stub.on('POST', ACCESS, { status: 200, body: { access_token: 'at-from-s2', token_type: 'Bearer' } });
  const nS = S.requests.length;
  const nStub = stub.requests.length;
  const r = await run(['AT', '--MT', FAKE, '--url', stub.url], { home: homeFor() });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'at-from-s2\n');
  const got = since(stub.requests, nStub);
  assert.deepEqual(got.map((q) => `${q.method} ${q.path}`), [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`]);
  assert.equal(S.requests.length, nS, 'the configured instance was contacted');
});

test('17.1/15 flags after positionals are parsed: AT note --MT <tok> sends comment note', async () => {
  const n = S.requests.length;
  const r = await run(['AT', 'note', '--MT', token], { home: homeFor() });
  assert.equal(r.status, 0, r.stderr);
  const bodies = postBodies(since(S.requests, n), ACCESS);
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]!.comment, 'note');
  assert.equal(bodies[0]!.mytoken, token);
});

// ---- 17.2 HTTP conventions and server initialisation ---------------------------------------

test('17.2/17 every request carries a User-Agent starting with "mytoken client 0.7.1"', async () => {
  const n = S.requests.length;
  const home = homeFor();
  const a = await run(['AT', '--MT', token], { home });
  assert.equal(a.status, 0, a.stderr);
  const m = await run(['MT', '--MT', token], { home: homeFor() });
  assert.equal(m.status, 0, m.stderr);
  const got = since(S.requests, n);
  assert.ok(got.length >= 3, `only ${got.length} requests`);
  for (const q of got) {
    assert.ok(String(q.headers['user-agent'] ?? '').startsWith('mytoken client 0.7.1'), `${q.method} ${q.path}: ${q.headers['user-agent']}`);
  }
});

test('17.2/18 the first request is GET the configuration; no usersettings request; a warm AT makes one request', async () => {
  const home = homeFor();
  const n = S.requests.length;
  const cold = await run(['AT', '--MT', token], { home });
  assert.equal(cold.status, 0, cold.stderr);
  const first = since(S.requests, n);
  assert.deepEqual(first.map((q) => `${q.method} ${q.path}`), [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`]);
  assert.ok(!first.some((q) => q.path.includes('/settings')), 'the usersettings endpoint was requested');

  const m = S.requests.length;
  const warm = await run(['AT', '--MT', token], { home });
  assert.equal(warm.status, 0, warm.stderr);
  assert.deepEqual(since(S.requests, m).map((q) => `${q.method} ${q.path}`), [`POST ${ACCESS}`]);

  // MT (sub-token) also goes without the usersettings request
  const k = S.requests.length;
  const mt = await run(['MT', '--MT', token], { home: homeFor() });
  assert.equal(mt.status, 0, mt.stderr);
  const mtReqs = since(S.requests, k);
  assert.equal(`${mtReqs[0]!.method} ${mtReqs[0]!.path}`, `GET ${CONFIG_PATH}`);
  assert.ok(!mtReqs.some((q) => q.path.includes('/settings')), 'the usersettings endpoint was requested by MT');
});

test('17.2/22 POST bodies are JSON with Content-Type application/json; GETs have no Content-Type and no body', async () => {
  const n = S.requests.length;
  const r = await run(['AT', '--MT', token, '-s', 'openid'], { home: homeFor() });
  assert.equal(r.status, 0, r.stderr);
  const got = since(S.requests, n);
  const gets = got.filter((q) => q.method === 'GET');
  const posts = got.filter((q) => q.method === 'POST');
  assert.ok(gets.length >= 1 && posts.length >= 1);
  for (const q of posts) {
    assert.match(String(q.headers['content-type']), /^application\/json\b/);
    assert.doesNotThrow(() => JSON.parse(q.body), `not JSON: ${q.body}`);
  }
  for (const q of gets) {
    assert.equal(q.headers['content-type'], undefined, `GET ${q.path} has a Content-Type`);
    assert.equal(q.body, '', `GET ${q.path} has a body`);
  }
});

test('17.2/23 --url S2 and MYTOKEN_URL=S2 make the client fetch S2\'s configuration', async () => {
  stub.reset();
  stub.on('POST', ACCESS, { status: 200, body: { access_token: 'at-s2' } });
  for (const how of ['flag', 'env'] as const) {
    const nS = S.requests.length;
    const nStub = stub.requests.length;
    const args = how === 'flag' ? ['--url', stub.url, 'AT', '--MT', FAKE] : ['AT', '--MT', FAKE];
    const r = await run(args, { home: homeFor(), env: how === 'env' ? { MYTOKEN_URL: stub.url } : {} });
    assert.equal(r.status, 0, `${how}: ${r.stderr}`);
    const got = since(stub.requests, nStub);
    assert.equal(`${got[0]?.method} ${got[0]?.path}`, `GET ${CONFIG_PATH}`, how);
    assert.equal(S.requests.length, nS, `${how}: the configured instance was contacted`);
  }
});

test('17.2/24 --config naming a missing file is an error naming the path (exit 2, Q39 fixed)', async () => {
  const home = homeFor();
  const missing = join(home, 'no-such-config.yaml');
  const t = tokenFile(home);
  const { result: r, count } = await requestsDuring(() => run(['--config', missing, 'AT', '--MT-file', t.file], { home }));
  assert.equal(r.status, 2, r.stderr);
  assert.ok(r.stderr.includes(missing), r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(count, 0);
  assertUntouched(t);
  // the same through MYTOKEN_CONFIG
  const { result: e } = await requestsDuring(() => run(['AT', '--MT-file', t.file], { home, env: { MYTOKEN_CONFIG: missing } }));
  assert.equal(e.status, 2, e.stderr);
  assert.ok(e.stderr.includes(missing), e.stderr);
  assertUntouched(t);
});

test('17.2/25 ~/.config/mytoken/config.yaml wins over ~/.mytoken/config.yaml; XDG_CONFIG_HOME wins over both', async () => {
  stub.reset();
  stub.on('POST', `/b${ACCESS}`, { status: 200, body: { access_token: 'at-b' } });
  stub.on('POST', `/c${ACCESS}`, { status: 200, body: { access_token: 'at-c' } });
  const home = freshHome();
  writeConfig(home, `instance: "${S.url}"\n`); // A
  mkdirSync(join(home, '.mytoken'));
  writeFileSync(join(home, '.mytoken', 'config.yaml'), `instance: "${stub.url}/b"\n`); // B

  let nStub = stub.requests.length;
  let n = S.requests.length;
  // an opaque token: a JWT would pick its server by iss, whatever the config says
  const a = await run(['AT', '--MT', FAKE], { home });
  assert.equal(a.status, 3, a.stderr);
  assert.deepEqual(since(S.requests, n).map((q) => `${q.method} ${q.path}`), [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`]);
  assert.equal(stub.requests.length, nStub, 'instance B was contacted');

  const xdg = join(home, 'xdg');
  mkdirSync(join(xdg, 'mytoken'), { recursive: true });
  writeFileSync(join(xdg, 'mytoken', 'config.yaml'), `instance: "${stub.url}/c"\n`); // C
  nStub = stub.requests.length;
  n = S.requests.length;
  const c = await run(['AT', '--MT', FAKE], { home, env: { XDG_CONFIG_HOME: xdg } });
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stdout, 'at-c\n');
  assert.deepEqual(since(stub.requests, nStub).map((q) => `${q.method} ${q.path}`), [`GET /c${CONFIG_PATH}`, `POST /c${ACCESS}`]);
  assert.equal(S.requests.length, n, 'instance A was contacted although XDG_CONFIG_HOME has a config');
});

test('17.2/26 a config file with "instance: [" is a usage error naming the file and the line (exit 2)', async () => {
  const home = freshHome();
  const file = writeConfig(home, 'instance: [\n');
  const t = tokenFile(home);
  for (const args of [['AT', '--MT-file', t.file], ['MT', '--MT-file', t.file]]) {
    const { result: r, count } = await requestsDuring(() => run(args, { home }));
    assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /line/);
    assert.equal(r.stdout, '');
    assert.equal(count, 0);
    assertUntouched(t);
  }
});
