// e2e: a restricted mytoken made with `mytoken MT --MT-file parent ...flags -o child` is refused by
// the local server exactly when its restrictions say so, seen through `mytoken AT` and `mytoken MT`
// (spec server-api.md 3.3-3.5, 5.2-5.6; cli.md 9; exit status 3 for a refusal). The parent is an
// unrestricted mytoken with AT, create_mytoken and tokeninfo.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import { homeWithConfig, jwtPayload, removeHomes, assertAccepted, assertRefused } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

let S: LocalServer;
let parent: string;
/** restricted to one hour and the scopes storage.read and compute, may create sub-tokens */
let restrictedParent: string;

before(async () => {
  S = await startLocalServer({ interval: 1 });
  [parent, restrictedParent] = await Promise.all([
    S.mint({ capabilities: ['AT', 'create_mytoken', 'tokeninfo'] }).then((r) => r.mytoken as string),
    S.mint({
      capabilities: ['AT', 'create_mytoken', 'tokeninfo'],
      restrictions: [{ exp: Math.floor(Date.now() / 1000) + 3600, scope: 'storage.read compute' }],
    }).then((r) => r.mytoken as string),
  ]);
});

after(async () => {
  removeHomes();
  await S?.close();
});

interface Child {
  home: string;
  /** the child mytoken's file (written by MT -o) */
  file: string;
  /** the child mytoken as first issued */
  token: string;
  payload: Record<string, unknown>;
}

/** `mytoken MT --MT-file <parent> ...flags -o child` in a fresh HOME; the child must be issued. */
async function makeChild(flags: string[], from = parent): Promise<Child> {
  const home = homeWithConfig(S.url, 'use_wlcg_token_discovery: false\n');
  const parentFile = join(home, 'parent.mt');
  writeFileSync(parentFile, `${from}\n`);
  const file = join(home, 'child.mt');
  const r = await run(['MT', '--MT-file', parentFile, ...flags, '-o', file], { home });
  assert.equal(r.status, 0, `MT ${flags.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const token = readFileSync(file, 'utf8').trim();
  const payload = jwtPayload(token);
  assert.ok(payload, `the child is not a JWT: ${token}`);
  return { home, file, token, payload };
}

/** `mytoken AT --MT-file <child> ...args` */
const at = (c: Child, args: string[] = []) => run(['AT', '--MT-file', c.file, ...args], { home: c.home });



// ---- time ------------------------------------------------------------------------------------

test('enforce: --nbf +1h is refused now (exit 3)', async () => {
  const c = await makeChild(['--nbf', '+1h']);
  assertRefused(await at(c), 'AT before nbf', /usage_restricted|invalid_token/);
});

// The time passes on the server's clock (setClockOffset, for every local server of this file), not
// in real time: these run one after the other and put the clock back.
describe('enforce: times that pass during the test', () => {
  test('enforce: --nbf +60s is refused now and accepted a minute later', async () => {
    const c = await makeChild(['--nbf', '+60s']);
    assertRefused(await at(c), 'AT right away', /usage_restricted|invalid_token/);
    setClockOffset(61);
    try {
      assertAccepted(await at(c), 'AT a minute later');
    } finally {
      setClockOffset(0);
    }
  });

  test('enforce: --exp +60s is accepted now and refused a minute later', async () => {
    const c = await makeChild(['--exp', '+60s']);
    assertAccepted(await at(c), 'AT right away');
    setClockOffset(61);
    try {
      assertRefused(await at(c), 'AT a minute later', /usage_restricted|invalid_token/);
    } finally {
      setClockOffset(0);
    }
  });
});

// ---- usage counts ----------------------------------------------------------------------------

test('enforce: --usages-at 2 allows exactly two access tokens', async () => {
  const c = await makeChild(['--usages-at', '2']);
  assertAccepted(await at(c), 'first AT');
  assertAccepted(await at(c), 'second AT');
  assertRefused(await at(c), 'third AT');
});

test('enforce: --usages-at 0 allows no access token at all', async () => {
  const c = await makeChild(['--usages-at', '0']);
  assertRefused(await at(c), 'first AT');
});

test('enforce: --usages-other 1 allows exactly one sub-sub-token', async () => {
  const c = await makeChild(['--usages-other', '1', '--capability', 'AT create_mytoken']);
  assert.deepEqual(c.payload.capabilities, ['AT', 'create_mytoken']);
  const mt = () => run(['MT', '--MT-file', c.file], { home: c.home });
  const first = await mt();
  assertAccepted(first, 'first MT from the child');
  assertRefused(await mt(), 'second MT from the child');
  // access tokens are not "other" usages
  assertAccepted(await at(c), 'AT from the child');
});

// ---- scope and audience ----------------------------------------------------------------------

test('enforce: -s storage.read allows AT -s storage.read, refuses AT -s storage.write', async () => {
  const c = await makeChild(['-s', 'storage.read']);
  assert.deepEqual(c.payload.restrictions, [{ scope: 'storage.read' }]);
  assertAccepted(await at(c, ['-s', 'storage.read']), 'AT -s storage.read');
  assertRefused(await at(c, ['-s', 'storage.write']), 'AT -s storage.write');
  assertRefused(await at(c, ['-s', 'storage.read', '-s', 'storage.write']), 'AT -s storage.read -s storage.write');
  assertAccepted(await at(c), 'AT without -s');
});

test('enforce: --aud https://rs.example.test allows that audience, refuses https://other.example', async () => {
  const c = await makeChild(['--aud', 'https://rs.example.test']);
  assertAccepted(await at(c, ['--aud', 'https://rs.example.test']), 'AT --aud https://rs.example.test');
  assertRefused(await at(c, ['--aud', 'https://other.example']), 'AT --aud https://other.example');
});

// ---- hosts -----------------------------------------------------------------------------------

test('enforce: --host 10.1.2.3 is refused from 127.0.0.1', async () => {
  const c = await makeChild(['--host', '10.1.2.3']);
  assertRefused(await at(c), 'AT from 127.0.0.1');
});

test('enforce: --host 127.0.0.0/8 is accepted from 127.0.0.1', async () => {
  const c = await makeChild(['--host', '127.0.0.0/8']);
  assertAccepted(await at(c), 'AT from 127.0.0.1');
});

test('enforce: --host this is accepted, and the child holds hosts ["127.0.0.1"]', async () => {
  const c = await makeChild(['--host', 'this']);
  assert.deepEqual(c.payload.restrictions, [{ hosts: ['127.0.0.1'] }]);
  assertAccepted(await at(c), 'AT from 127.0.0.1');
});

// ---- several clauses -------------------------------------------------------------------------

test('enforce: two clauses — any clause that matches allows the usage', async () => {
  const c = await makeChild(['--restriction', '[{"scope":"storage.read","usages_AT":1},{"scope":"compute"}]']);
  assert.deepEqual(c.payload.restrictions, [{ scope: 'storage.read', usages_AT: 1 }, { scope: 'compute' }]);
  assertAccepted(await at(c, ['-s', 'storage.read']), 'first AT -s storage.read');
  assertRefused(await at(c, ['-s', 'storage.read']), 'second AT -s storage.read');
  assertAccepted(await at(c, ['-s', 'compute']), 'AT -s compute');
  assertAccepted(await at(c, ['-s', 'compute']), 'AT -s compute again');
});

// ---- rotation --------------------------------------------------------------------------------

test('enforce: --rotation-on-AT — after an AT the child file holds a new version and the old one is refused', async () => {
  const c = await makeChild(['--rotation-on-AT']);
  assert.deepEqual(c.payload.rotation, { on_AT: true });
  assertAccepted(await at(c), 'AT');
  const now = readFileSync(c.file, 'utf8').trim();
  assert.notEqual(now, c.token, 'the child file was not updated');
  assert.ok(jwtPayload(now), `not a JWT: ${now}`);
  assert.equal(jwtPayload(now)!.jti, c.payload.jti, 'not a new version of the same mytoken');
  assertRefused(await run(['AT', '--MT', c.token], { home: c.home }), 'AT with the old version', /invalid_token/);
  assertAccepted(await at(c), 'AT with the new version');
});

test('enforce: --rotation at-other-auto-revoke (server template) — presenting an old version revokes the mytoken', async () => {
  const c = await makeChild(['--rotation', 'at-other-auto-revoke']);
  assert.deepEqual(c.payload.rotation, { on_AT: true, on_other: true, auto_revoke: true });
  assertAccepted(await at(c), 'AT');
  assert.notEqual(readFileSync(c.file, 'utf8').trim(), c.token, 'the child file was not updated');
  assertRefused(await run(['AT', '--MT', c.token], { home: c.home }), 'AT with the old version', /invalid_token/);
  assertRefused(await at(c), 'AT with the current version after auto-revoke', /invalid_token/);
});

// ---- capabilities ----------------------------------------------------------------------------

test('enforce: --capability AT — the child cannot create sub-tokens (insufficient_capabilities)', async () => {
  const c = await makeChild(['--capability', 'AT']);
  assert.deepEqual(c.payload.capabilities, ['AT']);
  assertRefused(await run(['MT', '--MT-file', c.file], { home: c.home }), 'MT from the child', /insufficient_capabilities/);
  assertAccepted(await at(c), 'AT from the child');
});

// ---- sub-token wider than its parent (server 0.10 behaviour) ---------------------------------

test('enforce: a sub-token wider than its parent silently gets the parent\'s restrictions (default server)', async () => {
  const p = jwtPayload(restrictedParent)!;
  const c = await makeChild(['--exp', '+2h'], restrictedParent);
  assert.deepEqual(c.payload.restrictions, p.restrictions);
  assertRefused(await at(c, ['-s', 'storage.write']), 'AT -s storage.write (not in the parent\'s scopes)');
  assertAccepted(await at(c, ['-s', 'compute']), 'AT -s compute');
});

test('enforce: a sub-token narrower than its parent gets what it asked for', async () => {
  const c = await makeChild(['--exp', '+30m', '-s', 'compute'], restrictedParent);
  const r = c.payload.restrictions as Record<string, unknown>[];
  assert.equal(r.length, 1);
  assert.equal(r[0]!.scope, 'compute');
  assertRefused(await at(c, ['-s', 'storage.read']), 'AT -s storage.read');
  assertAccepted(await at(c, ['-s', 'compute']), 'AT -s compute');
});
