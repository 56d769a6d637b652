// e2e: WLCG bearer-token discovery and "no mytoken anywhere" (spec cli.md 17.3 statements 27, 34,
// 35 and 17.5/63). /tmp/mt_u<euid> and /tmp/bt_u<euid> are shared machine state: every test that
// creates them or needs them absent is in this file, and the tests here run one after the other.
// Files that were there before are saved and put back afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
import { postBodies, removeHomes, since, homeWithConfig } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const ACCESS = '/api/v0/token/access';
const MY = '/api/v0/token/my';
const euid = process.geteuid!();
const TMP_MT = `/tmp/mt_u${euid}`;
const TMP_BT = `/tmp/bt_u${euid}`;
const tok = (name: string) => `${name}-opaque-mytoken-0123456789abcdefghijklmnop`;

let S: LocalServer;
const saved = new Map<string, { content: Buffer; mode: number }>();

function clearTmpFiles(): void {
  for (const f of [TMP_MT, TMP_BT]) if (existsSync(f)) unlinkSync(f);
}

before(async () => {
  for (const f of [TMP_MT, TMP_BT]) {
    if (existsSync(f)) {
      saved.set(f, { content: readFileSync(f), mode: statSync(f).mode & 0o777 });
      unlinkSync(f);
    }
  }
  S = await startLocalServer({ interval: 1 });
});

after(async () => {
  removeHomes();
  clearTmpFiles();
  for (const [f, { content, mode }] of saved) {
    writeFileSync(f, content, { mode });
    chmodSync(f, mode);
  }
  await S?.close();
});

const homeFor = (extraConfig = ''): string => homeWithConfig(S.url, extraConfig);

/** Runs `mytoken AT` without a token flag and returns the mytoken it sent (or undefined). */
async function sentByAt(home: string, env: Record<string, string | undefined> = {}): Promise<unknown> {
  const n = S.requests.length;
  await run(['AT'], { home, env });
  const bodies = postBodies(since(S.requests, n), ACCESS);
  assert.ok(bodies.length <= 1);
  return bodies[0]?.mytoken;
}

test('17.3/27 no token anywhere: AT exits 2 with "no mytoken given" and no access-token request', async () => {
  clearTmpFiles();
  const n = S.requests.length;
  const r = await run(['AT'], { home: homeFor() });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no mytoken given/);
  assert.equal(r.stdout, '');
  assert.equal(postBodies(since(S.requests, n), ACCESS).length, 0);
});

test('17.3/34 WLCG files: $XDG_RUNTIME_DIR/mt_u, then $XDG_RUNTIME_DIR/bt_u, then /tmp/mt_u, then /tmp/bt_u', async () => {
  try {
    clearTmpFiles();
    // only /tmp/bt_u
    writeFileSync(TMP_BT, `${tok('tmp-bt')}\n`);
    assert.equal(await sentByAt(homeFor()), tok('tmp-bt'));

    // /tmp/mt_u before /tmp/bt_u
    writeFileSync(TMP_MT, `${tok('tmp-mt')}\n`);
    assert.equal(await sentByAt(homeFor()), tok('tmp-mt'));

    // $XDG_RUNTIME_DIR/bt_u before both /tmp files
    const home = homeFor();
    const run1 = join(home, 'run');
    writeFileSync(join(run1, `bt_u${euid}`), `${tok('xdg-bt')}\n`);
    assert.equal(await sentByAt(home), tok('xdg-bt'));

    // $XDG_RUNTIME_DIR/mt_u before $XDG_RUNTIME_DIR/bt_u
    writeFileSync(join(run1, `mt_u${euid}`), `${tok('xdg-mt')}\n`);
    assert.equal(await sentByAt(home), tok('xdg-mt'));

    // the token files were only read
    assert.equal(readFileSync(TMP_MT, 'utf8'), `${tok('tmp-mt')}\n`);
    assert.equal(readFileSync(TMP_BT, 'utf8'), `${tok('tmp-bt')}\n`);
    assert.equal(readFileSync(join(run1, `mt_u${euid}`), 'utf8'), `${tok('xdg-mt')}\n`);
  } finally {
    clearTmpFiles();
  }
});

test('17.3/35 use_wlcg_token_discovery: false with BEARER_TOKEN set: exit 2 "no mytoken given"', async () => {
  try {
    writeFileSync(TMP_MT, `${tok('tmp-mt')}\n`);
    const home = homeFor('use_wlcg_token_discovery: false\n');
    writeFileSync(join(home, 'run', `mt_u${euid}`), `${tok('xdg-mt')}\n`);
    const n = S.requests.length;
    const r = await run(['AT'], { home, env: { BEARER_TOKEN: tok('bearer') } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no mytoken given/);
    assert.equal(r.stdout, '');
    assert.equal(postBodies(since(S.requests, n), ACCESS).length, 0);
    assert.equal(readFileSync(TMP_MT, 'utf8'), `${tok('tmp-mt')}\n`);
  } finally {
    clearTmpFiles();
  }
});

test('17.5/63 MT without token, without -i and without default_provider: exit 2 mentioning -i', async () => {
  clearTmpFiles();
  const n = S.requests.length;
  const r = await run(['MT'], { home: homeFor() });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /-i\b/);
  assert.equal(r.stdout, '');
  assert.equal(postBodies(since(S.requests, n), MY).length, 0, 'a request was sent to the mytoken endpoint');
});
