// e2e: mytoken MT by logging in (authorization-code flow with polling): spec cli.md 17.5
// statements 65-71, and Ctrl-C while polling. The configs here switch WLCG discovery off so that a
// token file another test file puts in /tmp cannot turn a login into a sub-token request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { type RunResult, run, startLogin } from './helpers.mjs';
import { listDir, type RecordedRequest, removeHomes, since, sleep, homeWithConfig } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const MY = '/api/v0/token/my';

let S: LocalServer;
/** logins there expire after 2 s */
let SX: LocalServer;

before(async () => {
  [S, SX] = await Promise.all([startLocalServer({ interval: 1 }), startLocalServer({ interval: 1, expiresIn: 2 })]);
});

after(async () => {
  removeHomes();
  await Promise.all([S?.close(), SX?.close()]);
});

const homeFor = (extraConfig = '', instance: string = S.url): string =>
  homeWithConfig(instance, `use_wlcg_token_discovery: false\n${extraConfig}`);

const myPosts = (reqs: RecordedRequest[]) => reqs.filter((q) => q.method === 'POST' && q.path === MY);
const bodyOf = (q: RecordedRequest) => JSON.parse(q.body) as Record<string, unknown>;


/** Starts the login, checks its first request with `check`, then presses Ctrl-C. */
async function firstRequestThenInterrupt(args: string[], home: string, check: (body: Record<string, unknown>) => void): Promise<void> {
  const n = S.requests.length;
  const { child, done } = await startLogin(args, { home });
  const first = myPosts(since(S.requests, n))[0];
  child.kill('SIGINT');
  const r = await done;
  assert.ok(first, 'no request to the mytoken endpoint');
  check(bodyOf(first));
  assert.equal(r.status, 130, r.stderr);
}

// ---- the full login, checked by 65-68 --------------------------------------------------------

interface Flow {
  home: string;
  url: string;
  r: RunResult;
  reqs: RecordedRequest[];
  stdoutAtUrl: string;
}

let flow: Promise<Flow> | undefined;

/** MT -i <issuer>: the user approves after about 2.2 s, so that the client polls a few times. */
function fullLogin(): Promise<Flow> {
  flow ??= (async () => {
    const home = homeFor();
    const n = S.requests.length;
    const { done, url, stdoutAtUrl } = await startLogin(['MT', '-i', S.issuer], { home });
    await sleep(2200);
    await S.approve(url);
    const r = await done;
    return { home, url, r, reqs: since(S.requests, n), stdoutAtUrl };
  })();
  return flow;
}

test('17.5/65 MT -i <issuer> starts the authorization-code flow with the default capabilities', async () => {
  const { reqs, r } = await fullLogin();
  assert.equal(r.status, 0, r.stderr);
  const first = myPosts(reqs)[0];
  assert.ok(first, 'no request to the mytoken endpoint');
  const b = bodyOf(first);
  assert.equal(b.oidc_issuer, S.issuer);
  assert.equal(b.grant_type, 'oidc_flow');
  assert.equal(b.oidc_flow, 'authorization_code');
  assert.equal(b.client_type, 'native');
  assert.equal(b.redirect_uri, '');
  assert.deepEqual(b.capabilities, ['AT', 'tokeninfo']);
  assert.equal(b.mytoken, undefined);
  assert.match(String(first.headers['content-type']), /^application\/json\b/);
});

test('17.5/65 -i <short name from providers:> and default_provider resolve to the issuer', async () => {
  const cfg = `providers:\n  local: "${S.issuer}"\n`;
  await firstRequestThenInterrupt(['MT', '-i', 'local'], homeFor(cfg), (b) => {
    assert.equal(b.oidc_issuer, S.issuer);
    assert.equal(b.grant_type, 'oidc_flow');
  });
  await firstRequestThenInterrupt(['MT'], homeFor(`${cfg}default_provider: local\n`), (b) => {
    assert.equal(b.oidc_issuer, S.issuer);
    assert.equal(b.grant_type, 'oidc_flow');
    assert.deepEqual(b.capabilities, ['AT', 'tokeninfo']);
  });
});

test('17.5/66 the login URL and a QR code go to stderr, nothing to stdout before the token', async () => {
  const { url, r, stdoutAtUrl } = await fullLogin();
  assert.equal(r.status, 0, r.stderr);
  assert.ok(url.startsWith(`${S.url}/c/`), url);
  assert.ok(r.stderr.includes(url));
  const qrLines = r.stderr.split('\n').filter((l) => l.length > 0 && /^[▄▀█ ]+$/.test(l) && /[▄▀█]/.test(l));
  assert.ok(qrLines.length >= 10, `only ${qrLines.length} QR lines in:\n${r.stderr}`);
  assert.equal(stdoutAtUrl, '');
  assert.match(r.stdout, /^[^\s]+\n$/);
});

test('17.5/67 polls are POSTs of {grant_type: polling_code, polling_code} about interval (1 s) apart', async () => {
  const { reqs, r } = await fullLogin();
  assert.equal(r.status, 0, r.stderr);
  const posts = myPosts(reqs);
  const start = posts[0]!;
  const polls = posts.slice(1);
  assert.ok(polls.length >= 2, `only ${polls.length} polls`);
  const code = bodyOf(polls[0]!).polling_code;
  assert.equal(typeof code, 'string');
  assert.ok((code as string).length > 0);
  for (const p of polls) {
    assert.deepEqual(bodyOf(p), { grant_type: 'polling_code', polling_code: code });
    assert.match(String(p.headers['content-type']), /^application\/json\b/);
  }
  const times = [start.time, ...polls.map((p) => p.time)];
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i]! - times[i - 1]! >= 800, `request ${i} came ${times[i]! - times[i - 1]!} ms after the previous one`);
  }
});

test('17.5/68 after pending polls and the approval, stdout is the new mytoken, which works', async () => {
  const { r, home } = await fullLogin();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[^\s]+\n$/);
  const at = await run(['AT', '--MT', r.stdout.trim()], { home });
  assert.equal(at.status, 0, at.stderr);
  assert.match(at.stdout, /^[^\s]+\n$/);
});

test('17.5/66 MT -i <issuer> -o F: the mytoken goes to F (mode 0600), nothing to stdout', async () => {
  const home = homeFor();
  const dir = join(home, 'out');
  mkdirSync(dir);
  const f = join(dir, 'mt');
  const { done, url, stdoutAtUrl } = await startLogin(['MT', '-i', S.issuer, '-o', f], { home });
  assert.equal(stdoutAtUrl, '');
  await S.approve(url);
  const r = await done;
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const text = readFileSync(f, 'utf8');
  assert.match(text, /^[^\s]+\n$/);
  assert.equal(statSync(f).mode & 0o777, 0o600);
  assert.deepEqual(listDir(dir), ['mt']);
  const at = await run(['AT', '--MT-file', f], { home });
  assert.equal(at.status, 0, at.stderr);
});

// ---- the login refused, expired, interrupted --------------------------------------------------

test('17.5/69 a declined login: exit 3 mentioning "declined", nothing written', async () => {
  const home = homeFor();
  const dir = join(home, 'out');
  mkdirSync(dir);
  const { done, url } = await startLogin(['MT', '-i', S.issuer, '-o', join(dir, 'mt')], { home });
  await S.decline(url);
  const r = await done;
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /declined/);
  assert.equal(r.stdout, '');
  assert.deepEqual(listDir(dir), []);
});

test('17.5/70 a login that is never completed expires: exit 3 within about 5 s', async () => {
  const home = homeFor('', SX.url);
  const dir = join(home, 'out');
  mkdirSync(dir);
  const started = Date.now();
  const { done } = await startLogin(['MT', '-i', SX.issuer, '-o', join(dir, 'mt')], { home }, 15_000);
  const r = await done;
  const took = Date.now() - started;
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(took < 6_000, `took ${took} ms`);
  assert.deepEqual(listDir(dir), []);
});

test('17.5/71 MT --MT <valid token> --oidc -i <issuer> logs in although a mytoken is given', async () => {
  const parent = (await S.mint({ capabilities: ['AT', 'tokeninfo', 'create_mytoken'] })).mytoken as string;
  await firstRequestThenInterrupt(['MT', '--MT', parent, '--oidc', '-i', S.issuer], homeFor(), (b) => {
    assert.equal(b.grant_type, 'oidc_flow');
    assert.equal(b.oidc_issuer, S.issuer);
    assert.equal(b.mytoken, undefined);
  });
});

test('Ctrl-C while polling: exit 130 and no output file', async () => {
  const home = homeFor();
  const dir = join(home, 'out');
  mkdirSync(dir);
  const f = join(dir, 'mt');
  const { child, done } = await startLogin(['MT', '-i', S.issuer, '-o', f], { home });
  await sleep(300);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.status, 130, `status ${r.status} signal ${r.signal}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(f), false);
  assert.deepEqual(listDir(dir), []);
});
