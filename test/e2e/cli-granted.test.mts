// e2e: a sub-token (or a login) that the server narrowed is not a silent surprise (issue 12 item 5):
// each restriction, capability or rotation setting that differs from the request is named on
// stderr; with --strict (or `strict: true` in the config) it is an error and the new mytoken is
// revoked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import { homeWithConfig, jwtPayload, removeHomes } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;
let S: LocalServer;
before(async () => {
  S = await startLocalServer({ interval: 1 });
});
after(async () => {
  removeHomes();
  await S?.close();
});

const now = () => Math.floor(Date.now() / 1000);

/** A parent restricted only by exp and scope, as the issue found it, in a token file. */
async function parent(extraConfig = '') {
  const home = homeWithConfig(S.url, extraConfig);
  const minted = await S.mint({ capabilities: ['AT', 'create_mytoken'], restrictions: [{ exp: now() + 86_400, scope: 'openid profile' }] });
  mkdirSync(join(home, 'tokens'));
  const file = join(home, 'tokens', 'parent');
  writeFileSync(file, minted.mytoken as string, { mode: 0o600 });
  return { home, file };
}

const revocations = (from: number) => S.requests.slice(from).filter((q) => q.path.endsWith('/token/revoke')).length;

test('12.5 usage limits the server dropped are named on stderr; the sub-token is still given (status 0)', async () => {
  const p = await parent();
  const r = await run(['MT', '--MT-file', p.file, '--usages-at', '1', '--usages-other', '1'], { home: p.home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\S+\n$/);
  assert.match(r.stderr, /^mytoken: the server did not grant the new mytoken as asked:\n  restrictions: \{"usages_AT":1,"usages_other":1\} not kept; it has \{"exp":\d+,"scope":"openid profile"\}\n$/);
  assert.equal(jwtPayload(r.stdout.trim())!.restrictions !== undefined, true);
});

test('12.5 a capability the parent cannot give is named', async () => {
  const p = await parent();
  const r = await run(['MT', '--MT-file', p.file, '--capability', 'AT tokeninfo', '--exp', '+1h', '-s', 'openid'], { home: p.home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /capabilities: tokeninfo left out \(it has AT\)/);
  assert.doesNotMatch(r.stderr, /restrictions:/);
});

test('12.5 a sub-token granted as asked: nothing on stderr', async () => {
  const p = await parent();
  const r = await run(['MT', '--MT-file', p.file, '--exp', '+1h', '-s', 'openid', '--usages-at', '3', '--hosts', 'this', '--rotation-on-AT'], { home: p.home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});

test('12.5 --strict: less than asked is status 3, the new mytoken is revoked and not printed', async () => {
  const p = await parent();
  const n = S.requests.length;
  const r = await run(['MT', '--MT-file', p.file, '--usages-at', '1', '--strict'], { home: p.home });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /restrictions: \{"usages_AT":1\} not kept.*\n.*so it was revoked/s);
  assert.equal(revocations(n), 1, 'the new mytoken was not revoked');
});

test('12.5 strict: true in the config does the same; MYTOKEN_STRICT too', async () => {
  const p = await parent('strict: true\n');
  const n = S.requests.length;
  const r = await run(['MT', '--MT-file', p.file, '--usages-at', '1'], { home: p.home });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(revocations(n), 1);
  const q = await parent();
  const r2 = await run(['MT', '--MT-file', q.file, '--usages-at', '1'], { home: q.home, env: { MYTOKEN_STRICT: '1' } });
  assert.equal(r2.status, 3, r2.stderr);
});
