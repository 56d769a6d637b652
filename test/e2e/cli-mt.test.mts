// e2e: mytoken MT from a mytoken, token types, transfer codes and capabilities (spec cli.md 17.5
// statements 50-55 and 64).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import { listDir, postBodies, removeHomes, since, startStubServer, type StubServer, homeWithConfig } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const MY = '/api/v0/token/my';
const FAKE = 'fake-mytoken-that-the-server-does-not-know-0123456789';
const HOST = hostname();

let S: LocalServer;
let stub: StubServer;
/** may create sub-tokens and get access tokens */
let parent: string;

before(async () => {
  S = await startLocalServer({ interval: 1 });
  stub = await startStubServer();
  parent = (await S.mint({ capabilities: ['AT', 'tokeninfo', 'create_mytoken'] })).mytoken as string;
});

after(async () => {
  removeHomes();
  await stub?.close();
  await S?.close();
});

const homeFor = (extraConfig = '', instance: string = S.url): string => homeWithConfig(instance, extraConfig);

async function runMt(args: string[], opts: Parameters<typeof run>[1]) {
  const n = S.requests.length;
  const r = await run(args, opts);
  return { r, bodies: postBodies(since(S.requests, n), MY) };
}

/** The new mytoken works: an AT with it succeeds. */
async function assertWorks(tok: string, home: string) {
  const r = await run(['AT', '--MT', tok], { home });
  assert.equal(r.status, 0, `the new mytoken does not work: ${r.stderr}`);
  assert.match(r.stdout, /^[^\s]+\n$/);
}

test('17.5/50 MT --MT sends the sub-token request without capabilities and prints a working mytoken', async () => {
  const home = homeFor();
  const { r, bodies } = await runMt(['MT', '--MT', parent], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(bodies.length, 1);
  const expected = {
    grant_type: 'mytoken',
    response_type: 'token',
    application_name: `mytoken client on ${HOST}`,
    mytoken: parent,
    error_on_restrictions: true,
  };
  assert.deepEqual(bodies[0], expected);
  assert.deepEqual(Object.keys(bodies[0]!), Object.keys(expected));
  assert.match(r.stdout, /^[^\s]+\n$/);
  const sub = r.stdout.trim();
  assert.notEqual(sub, parent);
  await assertWorks(sub, home);
});

test('17.5/51 --name job adds the host-name prefix; token_name_prefix "" and "x-<hostname>" change it', async () => {
  const cases: [string, string][] = [
    ['', `${HOST}:job`],
    ['token_name_prefix: ""\n', 'job'],
    ['token_name_prefix: "x-<hostname>"\n', `x-${HOST}:job`],
  ];
  for (const [cfg, name] of cases) {
    const { r, bodies } = await runMt(['MT', '--MT', parent, '--name', 'job'], { home: homeFor(cfg) });
    assert.equal(r.status, 0, `${cfg}: ${r.stderr}`);
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0]!.name, name, cfg);
  }
});

test('17.5/52 --token-type short sends short_token and prints a 64-character short token that works', async () => {
  const home = homeFor();
  const { r, bodies } = await runMt(['MT', '--MT', parent, '--token-type', 'short'], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(bodies[0]!.response_type, 'short_token');
  assert.match(r.stdout, /^[A-Za-z]{64}\n$/);
  await assertWorks(r.stdout.trim(), home);
});

test('17.5/52+54 --token-type transfer prints the transfer code; MT --TC CODE and MYTOKEN_TC=CODE exchange it', async () => {
  const home = homeFor();
  const { r, bodies } = await runMt(['MT', '--MT', parent, '--token-type', 'transfer'], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(bodies[0]!.response_type, 'transfer_code');
  assert.match(r.stdout, /^[A-Za-z]{8}\n$/, `not a transfer code: ${JSON.stringify(r.stdout)}`);
  const code = r.stdout.trim();

  // --TC reads no mytoken, even when one is discoverable
  const x = await runMt(['MT', '--TC', code], { home, env: { BEARER_TOKEN: FAKE } });
  assert.equal(x.r.status, 0, x.r.stderr);
  assert.deepEqual(x.bodies, [{ grant_type: 'transfer_code', transfer_code: code }]);
  assert.deepEqual(Object.keys(x.bodies[0]!), ['grant_type', 'transfer_code']);
  assert.match(x.r.stdout, /^[^\s]+\n$/);
  await assertWorks(x.r.stdout.trim(), home);

  // MYTOKEN_TC does the same
  const r2 = await run(['MT', '--MT', parent, '--token-type', 'transfer'], { home });
  assert.equal(r2.status, 0, r2.stderr);
  const code2 = r2.stdout.trim();
  const y = await runMt(['MT'], { home, env: { MYTOKEN_TC: code2 } });
  assert.equal(y.r.status, 0, y.r.stderr);
  assert.deepEqual(y.bodies, [{ grant_type: 'transfer_code', transfer_code: code2 }]);
  await assertWorks(y.r.stdout.trim(), home);

  // a transfer code is single use
  const again = await run(['MT', '--TC', code], { home });
  assert.equal(again.status, 3, again.stderr);
  assert.equal(again.stdout, '');
});

test('17.5/52 (issue 12.4) --token-type foo is refused (exit 2) naming the three types; nothing is sent', async () => {
  stub.reset();
  stub.on('POST', MY, { status: 200, body: { mytoken: 'sub-from-stub', mytoken_type: 'token' } });
  const n = stub.requests.length;
  const r = await run(['MT', '--MT', FAKE, '--token-type', 'foo'], { home: homeFor('', stub.url) });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--token-type: 'foo' is not a token type\n {2}give token, short or transfer\n/);
  assert.deepEqual(since(stub.requests, n), []);
});

test('17.5/53 an answer with neither mytoken nor transfer_code: exit 1, nothing printed or written', async () => {
  stub.reset();
  stub.on('POST', MY, { status: 200, body: { mytoken_type: 'token', expires_in: 300 } });
  const home = homeFor('', stub.url);
  const dir = join(home, 'out');
  mkdirSync(dir);
  const r = await run(['MT', '--MT', FAKE, '-o', join(dir, 'mt')], { home });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^mytoken: /);
  assert.equal(r.stdout, '');
  assert.deepEqual(listDir(dir), []);
  const s = await run(['MT', '--MT', FAKE], { home });
  assert.equal(s.status, 1, s.stderr);
  assert.equal(s.stdout, '');
});

test('17.5/55 --capability "AT tokeninfo AT", \'["AT"]\' and @tmpl', async () => {
  stub.reset();
  stub.on('POST', MY, { status: 200, body: { mytoken: 'sub-from-stub', mytoken_type: 'token' } });
  const home = homeFor('', stub.url);
  const cases: [string, string[]][] = [
    ['AT tokeninfo AT', ['AT', 'tokeninfo']],
    ['["AT"]', ['AT']],
    ['@tmpl', ['@tmpl']],
  ];
  for (const [value, caps] of cases) {
    const n = stub.requests.length;
    const r = await run(['MT', '--MT', FAKE, '--capability', value], { home });
    assert.equal(r.status, 0, `${value}: ${r.stderr}`);
    assert.equal(r.stdout, 'sub-from-stub\n');
    const bodies = postBodies(since(stub.requests, n), MY);
    assert.equal(bodies.length, 1);
    assert.deepEqual(bodies[0]!.capabilities, caps, value);
  }
  // and against the real server: the sub-token gets exactly the capabilities asked for
  const real = await runMt(['MT', '--MT', parent, '--capability', 'AT tokeninfo AT'], { home: homeFor() });
  assert.equal(real.r.status, 0, real.r.stderr);
  assert.deepEqual(real.bodies[0]!.capabilities, ['AT', 'tokeninfo']);
});

test('17.5/64 MT -i nosuch: exit 2 "unknown provider \'nosuch\'"', async () => {
  const { r, bodies } = await runMt(['MT', '-i', 'nosuch'], { home: homeFor('use_wlcg_token_discovery: false\n') });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown provider 'nosuch'/);
  assert.equal(r.stdout, '');
  assert.equal(bodies.length, 0);
});
