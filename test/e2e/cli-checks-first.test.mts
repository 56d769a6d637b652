// e2e: issue 12 (items 1, 2, 3, 4, 6, 7): everything the client can check is checked before
// anything is sent, and a bad input is refused with a clear message (status 2) instead of being
// ignored: the -o target, extra arguments, unknown subcommands, token types and capabilities,
// restrictions that ended in the past, and token values that are not (just) a mytoken.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import {
  assertFailed,
  assertUntouched,
  bodyOf,
  homeWithConfig,
  listDir,
  OPAQUE_MT,
  postBodies,
  removeHomes,
  runAgainst,
  startStubServer,
  type StubServer,
  tokenFileFor,
  unsignedJwt,
} from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const ACCESS = '/api/v0/token/access';
const MY = '/api/v0/token/my';
const GRANTS = '/api/v0/settings/grants';
const BLOB = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]).toString('base64');
const KEY = `ssh-ed25519 ${BLOB} me@laptop`;
/** the seed page's own restriction example (spec seeds: "Using command line options") */
const SEED_EXAMPLE = [
  '--nbf=1598918400',
  '--exp=1599004800',
  '-s',
  'compute',
  '-s',
  'storage-read',
  '--aud=https://hpc.example.com',
  '--host=144.115.171.109',
  '--usages-at=1',
];

let S: LocalServer;
let stub: StubServer;

before(async () => {
  [S, stub] = await Promise.all([startLocalServer({ interval: 1 }), startStubServer()]);
});
after(async () => {
  removeHomes();
  await Promise.all([S?.close(), stub?.close()]);
});

/** The stub answers AT and MT requests with a token. */
function answerTokens(): void {
  stub.on('POST', ACCESS, { status: 200, body: { access_token: 'stub-access-token' } });
  stub.on('POST', MY, { status: 200, body: { mytoken: 'stub-new-mytoken', mytoken_type: 'token' } });
}

/** Nothing at all reached the stub: no configuration document, no token request, no login. */
function assertNothingSent(r: { got: unknown[] }, label = ''): void {
  assert.deepEqual(r.got, [], `${label}: requests were sent`);
}

/** A fake `ssh` first in PATH that leaves a mark when it runs: `ran()` says whether it did. */
function fakeSsh(home: string): { env: Record<string, string>; ran: () => boolean } {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const mark = join(home, 'ssh-ran');
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh\ntouch '${mark}'\necho fake-token\n`);
  chmodSync(join(bin, 'ssh'), 0o755);
  return { env: { PATH: `${bin}:${process.env.PATH}` }, ran: () => existsSync(mark) };
}

// ---- 12.1 the -o target -------------------------------------------------------------------

test('12.1 checked before anything is sent: MT login with -o into a folder that does not exist is 2 with mkdir -p, and no login starts', async () => {
  answerTokens();
  const home = homeWithConfig(stub.url);
  const out = join(home, '.mytoken', 'laptop');
  const r = await runAgainst(stub, ['MT', '-i', 'https://idp.example', '--name', 'laptop', '-o', out], { home });
  assertFailed(r, 2, /folder .*\.mytoken does not exist/);
  assert.match(r.stderr, new RegExp(`mkdir -p ${join(home, '.mytoken').replaceAll('/', '\\/')}`));
  assert.doesNotMatch(r.stderr, /log in|https?:\/\/\S+\/c\//i, 'a login was started');
  assertNothingSent(r);
  assert.equal(existsSync(join(home, '.mytoken')), false);
});

test('12.1 checked before anything is sent: sub-token, AT, transfer code and AT --ssh with -o into a missing folder: 2, nothing sent, token file untouched', async () => {
  answerTokens();
  const t = tokenFileFor(stub.url, `${OPAQUE_MT}\n`);
  const out = join(t.home, 'nodir', 'x');
  for (const args of [
    ['MT', '--MT-file', t.file, '-o', out],
    ['AT', '--MT-file', t.file, '-o', out],
    ['MT', '--TC', 'KqPmtRbN', '-o', out],
  ]) {
    const r = await runAgainst(stub, args, { home: t.home });
    assertFailed(r, 2, /nodir does not exist/, args.join(' '));
    assert.match(r.stderr, /mkdir -p /, args.join(' '));
    assertNothingSent(r, args.join(' '));
    assertUntouched(t);
    assert.equal(existsSync(join(t.home, 'nodir')), false);
  }
  const ssh = fakeSsh(t.home);
  for (const args of [
    ['AT', '--ssh', 'mytoken-host', '-o', out],
    ['MT', '--ssh', 'mytoken-host', '-o', out],
  ]) {
    const r = await runAgainst(stub, args, { home: t.home, env: ssh.env });
    assertFailed(r, 2, /nodir does not exist/, args.join(' '));
    assert.equal(ssh.ran(), false, `${args.join(' ')}: ssh ran (a usage was spent)`);
    assertNothingSent(r, args.join(' '));
  }
});

test('12.1 checked before anything is sent: -o a folder, -o through a file (ENOTDIR), -o a device, -o the token file: 2, nothing sent', async () => {
  answerTokens();
  const t = tokenFileFor(stub.url, `${OPAQUE_MT}\n`);
  const cases: [string, RegExp][] = [
    [t.dir, /is a folder/],
    [join(t.file, 'x'), /mt is a file, not a folder/],
    ['/dev/null', /not a regular file/],
    [t.file, /is the file the mytoken comes from/],
  ];
  for (const [out, message] of cases) {
    for (const cmd of ['AT', 'MT']) {
      const r = await runAgainst(stub, [cmd, '--MT-file', t.file, '-o', out], { home: t.home });
      assertFailed(r, 2, message, `${cmd} -o ${out}`);
      assertNothingSent(r, `${cmd} -o ${out}`);
      assertUntouched(t);
    }
  }
});

test('12.1 checked before anything is sent: -o into a folder that cannot be written (immutable) is 2, nothing sent', async (c) => {
  answerTokens();
  const t = tokenFileFor(stub.url, `${OPAQUE_MT}\n`);
  const locked = join(t.home, 'locked');
  mkdirSync(locked);
  try {
    execFileSync('chattr', ['+i', locked], { stdio: 'ignore' }); // even root cannot create a file in it now
  } catch {
    return c.skip('chattr +i does not work on this file system (tests run as root, so only an immutable folder refuses a file)');
  }
  try {
    for (const args of [
      ['MT', '--MT-file', t.file, '-o', join(locked, 'x')],
      ['AT', '--MT-file', t.file, '-o', join(locked, 'x')],
      ['MT', '-i', 'https://idp.example', '-o', join(locked, 'x')],
    ]) {
      const r = await runAgainst(stub, args, { home: t.home });
      assertFailed(r, 2, /cannot write .*locked.*operation not permitted|cannot write .*locked.*permission denied/, args.join(' '));
      assertNothingSent(r, args.join(' '));
      assertUntouched(t);
    }
  } finally {
    execFileSync('chattr', ['-i', locked]);
  }
  assert.deepEqual(listDir(locked), []);
  // an existing target that cannot be replaced
  const target = join(t.home, 'old-token');
  writeFileSync(target, 'old\n');
  execFileSync('chattr', ['+i', target]);
  try {
    const r = await runAgainst(stub, ['MT', '--MT-file', t.file, '-o', target], { home: t.home });
    assertFailed(r, 2, /old-token cannot be replaced/);
    assertNothingSent(r);
  } finally {
    execFileSync('chattr', ['-i', target]);
  }
  assert.equal(readFileSync(target, 'utf8'), 'old\n');
});

test('12.1 checked before anything is sent: a rotating mytoken in a file that cannot be rewritten is 2, nothing sent (its new version would have nowhere to go)', async (c) => {
  const mt = (await S.mint({ capabilities: ['AT'], rotation: { on_AT: true } })).mytoken as string;
  const t = tokenFileFor(S.url, `${mt}\n`);
  try {
    execFileSync('chattr', ['+i', t.dir], { stdio: 'ignore' });
  } catch {
    return c.skip('chattr +i does not work on this file system');
  }
  const n = S.requests.length;
  let r;
  try {
    r = await run(['AT', '--MT-file', t.file], { home: t.home });
  } finally {
    execFileSync('chattr', ['-i', t.dir]);
  }
  assertFailed(r, 2, /cannot write files in the folder .*tokens \(operation not permitted\)/);
  assert.match(r.stderr, /rotates/);
  assert.equal(S.requests.length, n, 'requests were sent');
  assertUntouched(t);
  // the same token works where it can be rewritten
  const ok = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(ok.status, 0, ok.stderr);
});

test('12.1 a good -o still works: the token is written there (0600) and nothing is printed', async () => {
  answerTokens();
  const t = tokenFileFor(stub.url, `${OPAQUE_MT}\n`);
  const out = join(t.home, 'new-mt');
  const r = await runAgainst(stub, ['MT', '--MT-file', t.file, '-o', out], { home: t.home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(readFileSync(out, 'utf8'), 'stub-new-mytoken\n');
});

test('12.1 checked before anything is sent: ssh add when ~/.ssh/config cannot be written is 2 before the login, nothing sent', async () => {
  const home = homeWithConfig(stub.url);
  writeFileSync(join(home, '.ssh'), 'a file where the folder should be\n');
  stub.on('GET', '/api/v0/settings', { status: 200, body: { grant_type_endpoint: `${stub.url}${GRANTS}` } });
  const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--MT', OPAQUE_MT], { home });
  assertFailed(r, 2, /\.ssh is a file, not a folder/);
  assert.match(r.stderr, /--no-write-host-entry/);
  assertNothingSent(r);
  // with --no-write-host-entry the file is not needed: the request goes out
  stub.on('POST', `${GRANTS}/ssh`, { status: 400, body: { error: 'invalid_request', error_description: 'stop here' } });
  const ok = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--no-write-host-entry', '--MT', OPAQUE_MT], { home });
  assert.match(ok.stderr, /stop here/);
  assert.ok(ok.got.length > 0);
});

// ---- 12.2 extra positional arguments ------------------------------------------------------

test('12.2 revoke refuses a positional argument (2) with how to name the token; the token is not revoked and not shown', async () => {
  answerTokens();
  stub.on('POST', '/api/v0/token/revoke', { status: 200, body: {} });
  const home = homeWithConfig(stub.url);
  const a = join(home, 'A.txt');
  writeFileSync(a, 'token-A-in-the-file-0123456789\n');
  const b = 'token-B-the-leaked-one-0123456789';
  const r = await runAgainst(stub, ['revoke', b], { home, env: { BEARER_TOKEN_FILE: a } });
  assertFailed(r, 2, /revoke takes no arguments/);
  assert.match(r.stderr, /--MT-file/);
  assert.match(r.stderr, /--mom-id/);
  assert.ok(!r.stderr.includes(b), 'the token appears in the message');
  assertNothingSent(r);
});

test('12.2 an unexpected positional argument is status 2 for every command, nothing sent', async () => {
  answerTokens();
  const X = 'surplus';
  const M = ['--MT', OPAQUE_MT];
  const cases: string[][] = [
    ['config', X],
    ['capabilities', X],
    ['list', 'providers', X],
    ['info', 'history', X, ...M],
    ['info', 'introspect', X, ...M],
    ['info', 'subtokens', X, ...M],
    ['info', 'list-mytokens', X, ...M],
    ['info', 'notifications', X, ...M],
    ['MT', 'list-mytokens', X, ...M],
    ['MT', X, ...M],
    ['MT', 'tags', 'add', 'tag', X, ...M],
    ['AT', 'a comment', X, ...M],
    ['profiles', 'groups', X],
    ['profiles', 'list', X],
    ['settings', 'email', 'get', X, ...M],
    ['settings', 'tags', 'list', X, ...M],
    ['settings', 'tags', 'create', 'name', X, ...M],
    ['settings', 'grants', 'list', X, ...M],
    ['settings', 'grants', 'enable', 'ssh', X, ...M],
    ['settings', 'grants', 'ssh', 'list', X, ...M],
    ['calendars', 'list', X, ...M],
    ['calendars', 'update', 'C', '--description', 'd', X, ...M],
    ['notifications', 'list', X, ...M],
    ['notifications', 'delete', 'C', '-f', X, ...M],
    ['help', 'AT', X],
    ['AT', 'help', X],
  ];
  for (const args of cases) {
    const r = await runAgainst(stub, args);
    assertFailed(r, 2, /unexpected argument|takes no arguments|unknown command|no subcommand/, args.join(' '));
    assert.doesNotMatch(r.stderr, /unknown option/, args.join(' '));
    assertNothingSent(r, args.join(' '));
  }
});

test('12.2 what a command does take still works: AT [comment], AT help, help MT tags, MT tags help add', async () => {
  answerTokens();
  const at = await runAgainst(stub, ['AT', 'a comment', '--MT', OPAQUE_MT]);
  assert.equal(at.status, 0, at.stderr);
  assert.equal(postBodies(at.got, ACCESS)[0]!.comment, 'a comment');
  for (const [args, usage] of [
    [['AT', 'help'], /^Usage: mytoken AT/],
    [['help', 'MT', 'tags'], /^Usage: mytoken MT tags/],
    [['MT', 'tags', 'help', 'add'], /^Usage: mytoken MT tags add/],
    [['help', 'settings', 'grants', 'ssh'], /^Usage: mytoken settings grants ssh/],
  ] as [string[], RegExp][]) {
    const r = await runAgainst(stub, args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, usage, args.join(' '));
    assertNothingSent(r, args.join(' '));
  }
});

// ---- 12.3 unknown subcommands of info (and MT) --------------------------------------------

test('12.3 info with a mistyped subcommand is 2 with "did you mean", decodes nothing, sends nothing', async () => {
  const jwt = unsignedJwt({ ver: '0.7', token_type: 'mytoken', iss: stub.url, seq_no: 1, capabilities: ['AT'] });
  for (const [typo, meant] of [
    ['introspec', 'introspect'],
    ['histroy', 'history'],
    ['list-mytoken', 'list-mytokens'],
    ['subtoken', 'subtokens'],
  ]) {
    const r = await runAgainst(stub, ['info', typo, '--MT', jwt]);
    assertFailed(r, 2, new RegExp(`unknown command 'info ${typo}'`), typo);
    assert.match(r.stderr, new RegExp(`did you mean ${meant}\\?`), typo);
    assertNothingSent(r, typo);
  }
  const mt = await runAgainst(stub, ['MT', 'lsit', '--MT', OPAQUE_MT]);
  assertFailed(mt, 2, /did you mean list\?/);
  assertNothingSent(mt);
  const settings = await runAgainst(stub, ['settings', 'grant', 'list', '--MT', OPAQUE_MT]);
  assertFailed(settings, 2, /did you mean grants\?/);
  // info alone still decodes locally
  const ok = await runAgainst(stub, ['info', '--MT', jwt]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /"token_type": "mytoken"/);
});

// ---- 12.4 token types and capabilities ----------------------------------------------------

test('12.4 --token-type that is not token, short or transfer is 2 naming the three, nothing sent', async () => {
  answerTokens();
  for (const bad of ['transfr', 'jwt', 'foo', '']) {
    const r = await runAgainst(stub, ['MT', `--token-type=${bad}`, '--MT', OPAQUE_MT]);
    assertFailed(r, 2, /--token-type/, bad);
    assert.match(r.stderr, /token, short or transfer/, bad);
    assertNothingSent(r, bad);
  }
});

test('12.4 an unknown capability name is 2 naming it and pointing to mytoken capabilities (space list, JSON, profile, ssh add), nothing sent', async () => {
  answerTokens();
  const cases: [string[], RegExp][] = [
    [['MT', '--capability', 'AT foo'], /unknown capability 'foo'/],
    [['MT', '--capabilities', '["AT","tokeninfo:introspec"]'], /unknown capability 'tokeninfo:introspec'.*did you mean tokeninfo:introspect\?/s],
    [['MT', '--capability', 'at'], /unknown capability 'at'.*did you mean AT\?/s],
    [['MT', '--capability', 'AT:foo'], /unknown capability 'AT:foo'/],
    [['MT', '--capability', 'read@tokeninfo:introspec'], /unknown capability 'read@tokeninfo:introspec'/],
    [['MT', '--profile', '{"capabilities":["AT","foo"]}'], /unknown capability 'foo'/],
    [['settings', 'grants', 'ssh', 'add', KEY, '--no-write-host-entry', '--capability', 'AT foo'], /unknown capability 'foo'/],
  ];
  for (const [args, message] of cases) {
    const r = await runAgainst(stub, [...args, '--MT', OPAQUE_MT]);
    assertFailed(r, 2, message, args.join(' '));
    assert.match(r.stderr, /mytoken capabilities/, args.join(' '));
    assertNothingSent(r, args.join(' '));
  }
});

test('12.4 known capabilities, read@ variants, sub-capabilities and @templates pass unchanged; --force lets an unknown name through', async () => {
  answerTokens();
  const caps = 'AT @my-template read@settings tokeninfo:introspect read@manage_mytokens:notify settings:grants:ssh create_mytoken';
  const r = await runAgainst(stub, ['MT', '--capability', caps, '--MT', OPAQUE_MT]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(postBodies(r.got, MY)[0]!.capabilities, caps.split(' '));
  const forced = await runAgainst(stub, ['MT', '--capability', 'AT brand-new-capability', '--force', '--MT', OPAQUE_MT]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(postBodies(forced.got, MY)[0]!.capabilities, ['AT', 'brand-new-capability']);
});

// ---- 12.6 restrictions that ended in the past ---------------------------------------------

test('12.6 the seed page\'s restriction example (exp in 2020) is 2 naming --exp and --force, nothing sent; with --force it is sent', async () => {
  answerTokens();
  const r = await runAgainst(stub, ['MT', ...SEED_EXAMPLE, '--MT', OPAQUE_MT]);
  assertFailed(r, 2, /--exp: 2020-09-0\d \d\d:\d\d \(1599004800\) is in the past/);
  assert.match(r.stderr, /--force/);
  assertNothingSent(r);
  const forced = await runAgainst(stub, ['MT', ...SEED_EXAMPLE, '--force', '--MT', OPAQUE_MT]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual((postBodies(forced.got, MY)[0]!.restrictions as Record<string, unknown>[])[0]!.exp, 1599004800);
});

test('12.6 on the real server the seed example is refused before anything is sent, for a sub-token and for a login', async () => {
  const parent = (await S.mint({ capabilities: ['AT', 'create_mytoken'] })).mytoken as string;
  const home = homeWithConfig(S.url);
  const n = S.requests.length;
  const r = await run(['MT', '--MT', parent, ...SEED_EXAMPLE], { home });
  assertFailed(r, 2, /is in the past/);
  assert.equal(S.requests.length, n, 'requests were sent');
  const login = await run(['MT', '-i', S.issuer, ...SEED_EXAMPLE], { home });
  assertFailed(login, 2, /is in the past/);
  assert.equal(S.requests.length, n, 'a login was started');
});

test('12.6 JSON clauses, files and profiles that ended in the past are 2 naming the clause; only nbf in the past is fine', async () => {
  answerTokens();
  const home = homeWithConfig(stub.url);
  writeFileSync(join(home, 'r.json'), '[{"exp":"+1d"},{"exp":"2020-09-02 00:00"}]');
  const cases: [string[], RegExp][] = [
    [['--restrictions', '[{"exp":"+1d"},{"exp":1599004800}]'], /--restrictions, clause 2: exp .*\(1599004800\) is in the past/],
    [['--restrictions', './r.json'], /--restrictions file \.\/r\.json, clause 2: exp .* is in the past/],
    [['--profile', '{"restrictions":[{"exp":1}]}'], /--profile, restriction 1: exp .*\(1\) is in the past/],
    [['--exp', '2020-09-02 00:00'], /--exp: .* is in the past/],
  ];
  for (const [args, message] of cases) {
    const r = await runAgainst(stub, ['MT', ...args, '--MT', OPAQUE_MT], { home });
    assertFailed(r, 2, message, args.join(' '));
    assert.match(r.stderr, /--force/, args.join(' '));
    assertNothingSent(r, args.join(' '));
  }
  const ok = await runAgainst(stub, ['MT', '--nbf', '1599004800', '--exp', '+1d', '--MT', OPAQUE_MT], { home });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal((postBodies(ok.got, MY)[0]!.restrictions as Record<string, unknown>[])[0]!.nbf, 1599004800);
});

test('12.6 settings grants ssh add with a restriction that ended is 2 before anything is sent; --force sends it', async () => {
  stub.on('GET', '/api/v0/settings', { status: 200, body: { grant_type_endpoint: `${stub.url}${GRANTS}` } });
  stub.on('POST', `${GRANTS}/ssh`, { status: 400, body: { error: 'invalid_request', error_description: 'stop here' } });
  const args = ['settings', 'grants', 'ssh', 'add', KEY, '--no-write-host-entry', '--exp', '1599004800', '--MT', OPAQUE_MT];
  const r = await runAgainst(stub, args);
  assertFailed(r, 2, /--exp: .*\(1599004800\) is in the past/);
  assert.match(r.stderr, /--force/);
  assertNothingSent(r);
  const forced = await runAgainst(stub, [...args, '--force']);
  assert.match(forced.stderr, /stop here/);
  const sent = forced.got.filter((q) => q.path === `${GRANTS}/ssh`);
  assert.deepEqual((bodyOf(sent[0]!).restrictions as Record<string, unknown>[])[0], { exp: 1599004800 });
});

// ---- 12.7 token values that are not (just) a mytoken --------------------------------------

test('12.7 a token file whose first line ends with a space or tab is 2 saying so and how to fix it; CRLF is fine', async () => {
  answerTokens();
  for (const [content, message] of [
    [`${OPAQUE_MT} \n`, /first line ends with a space/],
    [`${OPAQUE_MT}\t\r\n`, /first line ends with a tab/],
    [` ${OPAQUE_MT}\n`, /first line starts with a space/],
    [`${OPAQUE_MT.slice(0, 10)} ${OPAQUE_MT.slice(10)}\n`, /first line has a space at character 11/],
  ] as [string, RegExp][]) {
    const t = tokenFileFor(stub.url, content);
    const r = await runAgainst(stub, ['AT', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 2, message, JSON.stringify(content));
    assert.match(r.stderr, /one word/, JSON.stringify(content));
    assert.ok(!r.stderr.includes(OPAQUE_MT.slice(10)), 'the token appears in the message');
    assertNothingSent(r, JSON.stringify(content));
    assertUntouched(t);
  }
  const crlf = tokenFileFor(stub.url, `${OPAQUE_MT}\r\nsecond line\r\n`);
  const r = await runAgainst(stub, ['AT', '--MT-file', crlf.file], { home: crlf.home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(postBodies(r.got, ACCESS)[0]!.mytoken, OPAQUE_MT);
});

test('12.7 --MT-env and --MT: a trailing line break is dropped (as $(cat f) does); a space is 2 saying where, without the token', async () => {
  answerTokens();
  for (const [value, env] of [
    [`${OPAQUE_MT}\n`, true],
    [`${OPAQUE_MT}\r\n`, true],
    [`${OPAQUE_MT}\n`, false],
  ] as [string, boolean][]) {
    const args = env ? ['AT', '--MT-env', 'MYTOKEN_VALUE'] : ['AT', '--MT', value];
    const r = await runAgainst(stub, args, { env: { MYTOKEN_VALUE: value } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(postBodies(r.got, ACCESS)[0]!.mytoken, OPAQUE_MT);
  }
  for (const [value, message] of [
    [`${OPAQUE_MT} `, /value of MYTOKEN_VALUE \(--MT-env\) ends with a space/],
    [`${OPAQUE_MT}\n\nmore`, /MYTOKEN_VALUE \(--MT-env\) has a line break at character 57/],
    [`${OPAQUE_MT}\x1b`, /MYTOKEN_VALUE \(--MT-env\) ends with a control character/],
  ] as [string, RegExp][]) {
    const r = await runAgainst(stub, ['AT', '--MT-env', 'MYTOKEN_VALUE'], { env: { MYTOKEN_VALUE: value } });
    assertFailed(r, 2, message, JSON.stringify(value));
    assert.ok(!r.stderr.includes(OPAQUE_MT), 'the token appears in the message');
    assertNothingSent(r, JSON.stringify(value));
  }
  const flag = await runAgainst(stub, ['AT', '--MT', `${OPAQUE_MT.slice(0, 10)} x`]);
  assertFailed(flag, 2, /--MT has a space at character 11/);
  assertNothingSent(flag);
});

/** An access token of the local server's OpenID provider (a JWT), got with a mytoken. */
async function accessToken(): Promise<string> {
  const mt = (await S.mint({ capabilities: ['AT'] })).mytoken as string;
  const res = await fetch(`${S.url}${ACCESS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'mytoken', mytoken: mt }) });
  const json = (await res.json()) as { access_token: string };
  assert.equal(json.access_token.split('.').length, 3, 'the OP gave no JWT access token');
  return json.access_token;
}

test('12.7 an OpenID Connect access token passed as the mytoken is 2 "not a mytoken" before anything is sent', async () => {
  const at = await accessToken();
  const home = homeWithConfig(S.url);
  for (const args of [['AT', '--MT', at], ['MT', '--MT', at], ['revoke', '--MT', at], ['info', '--MT', at], ['info', 'introspect', '--MT', at]]) {
    const n = S.requests.length;
    const r = await run(args, { home });
    assertFailed(r, 2, /is not a mytoken: it looks like an OpenID Connect access token/, args[0]);
    assert.match(r.stderr, new RegExp(S.issuer.replaceAll('/', '\\/')), args[0]);
    assert.ok(!r.stderr.includes(at), 'the token appears in the message');
    assert.equal(S.requests.length, n, `${args.join(' ')}: requests were sent`);
  }
});

test('12.7 WLCG discovery passes over an access token (saying so) and uses the mytoken found after it', async () => {
  const at = await accessToken();
  const mt = (await S.mint({ capabilities: ['AT'] })).mytoken as string;
  const home = homeWithConfig(S.url);
  writeFileSync(join(home, 'bt'), `${at}\n`, { mode: 0o600 });
  writeFileSync(join(home, 'run', `mt_u${process.geteuid!()}`), `${mt}\n`, { mode: 0o600 });
  const n = S.requests.length;
  const r = await run(['AT'], { home, env: { BEARER_TOKEN_FILE: join(home, 'bt') } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /not using .*bt .*access token, not a mytoken/);
  assert.equal(postBodies(S.requests.slice(n), ACCESS)[0]!.mytoken, mt);
});

test('12.7 a JWT whose issuer is not a mytoken server: 2, naming its iss and saying it is not a mytoken server', async () => {
  // no claim says what it is: the client asks its iss (the OpenID provider) for a mytoken configuration
  const jwt = unsignedJwt({ iss: S.issuer, sub: 'someone', exp: 4_000_000_000 });
  const home = homeWithConfig(S.url);
  const r = await run(['AT', '--MT', jwt], { home });
  assertFailed(r, 2, /mytoken's issuer \(iss\) .* is not a mytoken server/);
  assert.match(r.stderr, /HTTP 404/);
  assert.match(r.stderr, /not a mytoken/);
  assert.doesNotMatch(r.stderr, /check the server URL/);
});
