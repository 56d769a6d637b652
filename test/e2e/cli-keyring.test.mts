// e2e: mytokens in the system keyring (issue 14), end to end: the client against the local mytoken
// server (with its real OpenID provider) and a real Secret Service, gnome-keyring on a private
// session bus (keyring.mts), one of each for the whole file. Every flow is cross-checked with
// secret-tool, which finds an entry under service=mytoken, username=NAME (and a rotation journal
// under service=mytoken-rotation). The tests put entry names on the command line, never a mytoken:
// mytokens go in through the keyring, a file (`keyring import --MT-file`) or an environment
// variable (--MT-env), so argv holds no secret; the last test checks that, and greps every run's
// output and every file the runs left behind for every mytoken value seen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { startBusRelay } from './bus-relay.mjs';
import { asOtherUser, finished, run, type RunResult, show, spawnCli, startLogin } from './helpers.mjs';
import { keyringSkip, type SecretService, startSecretService } from './keyring.mjs';
import { keyringSteps } from './keyring-steps.mjs';
import { homeWithConfig, jwtPayload, jwtsIn, listDir, removeHomes, since } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;
type Env = Record<string, string | undefined>;

const skip = keyringSkip();
const ACCESS = '/api/v0/token/access';
const JOURNAL = 'mytoken-rotation';
/** what an entry name may be, as the client says it */
const NAME_RULE = /1 to 64 characters: letters, digits and \. _ - @ \+/;
const NO_BUS = /there is no D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS is not set, and there is no socket .*\/run\/bus\)/;

let S: LocalServer;
let ss: SecretService;
/** token files the tests write themselves (kept apart from the HOMEs the last test searches) */
let planted: string;
/** every run: its arguments and what it printed */
const runs: { args: string[]; r: RunResult }[] = [];
/** every HOME (and other runtime folder) the runs used */
const homes: string[] = [];
/** folders made outside freshHome(), removed at the end */
const made: string[] = [];
/** every mytoken value the tests came across */
const seen = new Set<string>();

/** A fresh HOME whose config names the local server (no WLCG discovery: /tmp is shared). */
function home(extraConfig = ''): string {
  const h = homeWithConfig(S.url, `use_wlcg_token_discovery: false\n${extraConfig}`);
  homes.push(h);
  return h;
}

/** Runs the client with the private bus as its session bus (`env` adds to, or with undefined removes from, that). */
async function cli(args: string[], h: string, env: Env = {}, more: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  const r = await run(args, { home: h, env: { DBUS_SESSION_BUS_ADDRESS: ss.address, ...env }, ...more });
  runs.push({ args, r });
  return r;
}

/** The mytoken in entry `name` (of `service`) as secret-tool reads it, or undefined. */
function lookup(name: string, service = 'mytoken'): string | undefined {
  const r = ss.secretTool(['lookup', 'service', service, 'username', name]);
  if (r.status !== 0) return undefined;
  seen.add(r.stdout);
  return r.stdout;
}

/** The entry names of `service`, as secret-tool sees them (it prints the attributes on stderr); notes the values. */
function names(service = 'mytoken'): string[] {
  const r = ss.secretTool(['search', '--all', 'service', service]);
  for (const m of r.stdout.matchAll(/^secret = (.*)$/gm)) seen.add(m[1]!);
  return [...r.stderr.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1]!).sort();
}

async function mint(request: Record<string, unknown>): Promise<string> {
  const t = (await S.mint(request)).mytoken as string;
  assert.ok(t, 'mint gave no mytoken');
  seen.add(t);
  return t;
}
const plain = () => mint({ capabilities: ['AT', 'tokeninfo'] });
/** A rotating mytoken that revokes its whole family when an old version is presented again. */
const rotating = () => mint({ capabilities: ['AT', 'tokeninfo'], rotation: { on_AT: true, auto_revoke: true } });

/** A token file of the test's own, outside every HOME. */
function tokenFile(token: string, name = `mt-${createHash('sha256').update(token).digest('hex').slice(0, 8)}`): string {
  const f = join(planted, name);
  writeFileSync(f, `${token}\n`, { mode: 0o600 });
  return f;
}

/** Puts `token` into entry `name` through the client (keyring import), checked with secret-tool. */
async function entry(h: string, name: string, token: string): Promise<void> {
  const r = await cli(['keyring', 'import', name, '--MT-file', tokenFile(token)], h);
  assert.equal(r.status, 0, show(r));
  assert.equal(lookup(name), token, `entry ${name}`);
}

/** The mytokens of the access-token requests since request number `n`. */
function sentSince(n: number): string[] {
  return since(S.requests, n)
    .filter((q) => q.method === 'POST' && q.path === ACCESS)
    .map((q) => JSON.parse(q.body).mytoken as string);
}

const seqNo = (t: string | undefined) => jwtPayload(t ?? '')?.seq_no as number | undefined;
const oneLine = /^[^\s]+\n$/;

/** Every file under `dir` (recursively) with its content, the folders `skipDirs` left out. */
function tree(dir: string, skipDirs: string[] = []): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (skipDirs.includes(p)) continue;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        files.set(`${p}/`, '');
        walk(p);
      } else if (st.isFile()) files.set(p, readFileSync(p, 'latin1'));
      else files.set(p, `(${st.isSymbolicLink() ? 'link' : 'other'})`);
    }
  };
  walk(dir);
  return files;
}

describe('mytokens in the system keyring, end to end', { skip }, () => {
  before(async () => {
    [S, ss] = await Promise.all([startLocalServer({ interval: 1 }), startSecretService()]);
    planted = mkdtempSync(join(tmpdir(), 'mytoken-planted-'));
  });
  after(async () => {
    removeHomes();
    for (const d of [planted, ...made]) if (d) rmSync(d, { recursive: true, force: true });
    await Promise.all([S?.close(), ss?.stop()]);
  });

  // ---- 1. store from a real login, and use ----------------------------------------------------

  test('MT --keyring NAME after a real login keeps the mytoken in the entry (nothing on stdout, stderr says where); AT --MT-keyring, MYTOKEN_MT_KEYRING and default_keyring_entry use it', async () => {
    const h = home();
    const args = ['MT', '-i', S.issuer, '--keyring', 'work'];
    const { done, url, stdoutAtUrl } = await startLogin(args, { home: h, env: { DBUS_SESSION_BUS_ADDRESS: ss.address } });
    await S.approve(url);
    const r = await done;
    runs.push({ args, r });
    assert.equal(r.status, 0, show(r));
    assert.equal(stdoutAtUrl, '');
    assert.equal(r.stdout, '', 'the new mytoken went to stdout');
    assert.match(r.stderr, /kept the new mytoken in keyring entry work\n/);
    const token = lookup('work');
    assert.ok(token, 'secret-tool finds no entry work');
    assert.equal(jwtPayload(token)!.iss, S.url);
    assert.deepEqual(jwtPayload(token)!.capabilities, ['AT', 'tokeninfo']);

    let n = S.requests.length;
    const at = await cli(['AT', '--MT-keyring', 'work'], h);
    assert.equal(at.status, 0, show(at));
    assert.match(at.stdout, oneLine);
    assert.equal(at.stderr, '');
    assert.deepEqual(sentSince(n), [token]);

    n = S.requests.length;
    const byEnv = await cli(['AT'], h, { MYTOKEN_MT_KEYRING: 'work' });
    assert.equal(byEnv.status, 0, show(byEnv));
    assert.deepEqual(sentSince(n), [token], 'MYTOKEN_MT_KEYRING');

    const hd = home('default_keyring_entry: work\n');
    n = S.requests.length;
    const byConfig = await cli(['AT'], hd);
    assert.equal(byConfig.status, 0, show(byConfig));
    assert.deepEqual(sentSince(n), [token], 'default_keyring_entry');
    assert.equal(lookup('work'), token, 'a mytoken that does not rotate stays as it is');
  });

  test('precedence: --MT-file beats MYTOKEN_MT_KEYRING and default_keyring_entry, --MT-env beats --MT-keyring, --MT-keyring beats --MT-file', async () => {
    const inKeyring = await plain();
    const other = await plain();
    const h = home();
    await entry(h, 'prec', inKeyring);
    const file = tokenFile(other);
    const cases: [string, string[], Env, string][] = [
      ['--MT-file over MYTOKEN_MT_KEYRING', ['AT', '--MT-file', file], { MYTOKEN_MT_KEYRING: 'prec' }, other],
      ['--MT-file over a MYTOKEN_MT_KEYRING naming no entry', ['AT', '--MT-file', file], { MYTOKEN_MT_KEYRING: 'no-such-entry' }, other],
      ['--MT-env over --MT-keyring', ['AT', '--MT-env', 'OTHER', '--MT-keyring', 'prec'], { OTHER: other }, other],
      ['--MT-keyring over --MT-file', ['AT', '--MT-keyring', 'prec', '--MT-file', file], {}, inKeyring],
    ];
    for (const [label, args, env, want] of cases) {
      const n = S.requests.length;
      const r = await cli(args, h, env);
      assert.equal(r.status, 0, `${label}: ${show(r)}`);
      assert.deepEqual(sentSince(n), [want], label);
    }
    const hd = home('default_keyring_entry: prec\n');
    const n = S.requests.length;
    const r = await cli(['AT', '--MT-file', file], hd);
    assert.equal(r.status, 0, show(r));
    assert.deepEqual(sentSince(n), [other], '--MT-file over default_keyring_entry');
  });

  // ---- 2. rotation ----------------------------------------------------------------------------

  test('a rotating mytoken in an entry: AT --MT-keyring writes the next version back to the entry, the old one is refused by the server, no rotation journal is left', async () => {
    const old = await rotating();
    const h = home();
    await entry(h, 'rot', old);
    let n = S.requests.length;
    const r = await cli(['AT', '--MT-keyring', 'rot'], h);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, oneLine);
    assert.deepEqual(sentSince(n), [old]);
    const next = lookup('rot');
    assert.ok(next && next !== old, 'the entry was not rewritten');
    assert.equal(jwtPayload(next)!.jti, jwtPayload(old)!.jti, 'the entry holds another family');
    assert.equal(seqNo(next), seqNo(old)! + 1);
    assert.deepEqual(names(JOURNAL), [], 'a rotation journal was left in the keyring');

    n = S.requests.length;
    const again = await cli(['AT', '--MT-keyring', 'rot'], h);
    assert.equal(again.status, 0, show(again));
    assert.deepEqual(sentSince(n), [next], 'the second run did not use the version the first stored');
    assert.equal(seqNo(lookup('rot')), seqNo(old)! + 2);

    const refused = await cli(['AT', '--MT-env', 'OLD'], h, { OLD: old });
    assert.equal(refused.status, 3, `the server took the old version: ${show(refused)}`);
    assert.equal(refused.stdout, '');
    assert.deepEqual(listDir(join(h, 'run', 'mytoken', 'keyring')), [], 'a lock file was left');
  });

  test('20 parallel AT --MT-keyring on one rotating, auto-revoking entry all succeed, each with its own version, and the family lives', async () => {
    const first = await rotating();
    const h = home();
    await entry(h, 'par', first);
    const n = S.requests.length;
    const results = await Promise.all(Array.from({ length: 20 }, () => cli(['AT', '--MT-keyring', 'par'], h, {}, { timeoutMs: 90_000 })));
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 0, `run ${i}: ${show(r)}`);
      assert.match(r.stdout, oneLine, `run ${i}`);
    }
    const sent = sentSince(n);
    assert.equal(sent.length, 20);
    assert.equal(new Set(sent).size, 20, 'one version was sent twice (with auto_revoke that kills the family)');
    const last = await cli(['AT', '--MT-keyring', 'par'], h);
    assert.equal(last.status, 0, `the family was lost: ${show(last)}`);
    assert.equal(seqNo(lookup('par')), seqNo(first)! + 21);
    assert.deepEqual(names(JOURNAL), []);
    assert.deepEqual(listDir(join(h, 'run', 'mytoken', 'keyring')), []);
  });

  // ---- 3. kill -9 -----------------------------------------------------------------------------

  test('kill -9 after the new version reached the rotation journal but before the entry: the next run takes it from the journal, and the family lives', async () => {
    const old = await rotating();
    const h = home();
    await entry(h, 'killed', old);
    // the client makes one bus connection per keyring call: after the answer its first call writes
    // the journal (with the new version), its second the entry; the relay holds the second
    const relay = await startBusRelay(ss.address);
    const n = S.requests.length;
    S.setReplyDelay(300);
    const args = ['AT', '--MT-keyring', 'killed'];
    let r: RunResult;
    try {
      const child = spawnCli(args, { home: h, env: { DBUS_SESSION_BUS_ADDRESS: relay.address } });
      const done = finished(child);
      while (!since(S.requests, n).some((q) => q.path === ACCESS && q.body)) await new Promise((ok) => setTimeout(ok, 5));
      relay.holdAfter(1);
      await Promise.race([relay.held(), done.then((x) => assert.fail(`the run ended: ${show(x)}`))]);
      child.kill('SIGKILL');
      r = await done;
    } finally {
      S.setReplyDelay(0);
      await relay.close();
    }
    runs.push({ args, r });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, '');
    // where the kill left things: the entry has the old version, the journal the new one
    assert.equal(lookup('killed'), old, 'the entry changed before the kill');
    const journal = JSON.parse(lookup('killed', JOURNAL) ?? '{}') as { new?: string };
    assert.ok(journal.new, 'the journal holds no new version');
    seen.add(journal.new);
    assert.equal(seqNo(journal.new), seqNo(old)! + 1);

    const next = await cli(args, h);
    assert.equal(next.status, 0, show(next));
    assert.match(next.stderr, /used the newer mytoken that an earlier run received but did not store in keyring entry killed \(it was kept in the rotation journal\)/);
    assert.deepEqual(sentSince(n).slice(1), [journal.new], 'the next run did not send the version from the journal');
    assert.equal(seqNo(lookup('killed')), seqNo(old)! + 2);
    assert.deepEqual(names(JOURNAL), []);
    const last = await cli(args, h);
    assert.equal(last.status, 0, `the family was lost: ${show(last)}`);
  });

  test('kill -9 while the server holds a rotating request: the server rotates anyway, so the next run is refused (status 3) and says an earlier run ended before its answer; the entry is kept', async () => {
    // not a family the client could keep: the server rotated, and the only copy of the new version
    // was in the answer to the killed process (the same holds for token files)
    const old = await rotating();
    const h = home();
    await entry(h, 'inflight', old);
    const n = S.requests.length;
    S.setReplyDelay(500);
    const args = ['AT', '--MT-keyring', 'inflight'];
    let r: RunResult;
    try {
      const child = spawnCli(args, { home: h, env: { DBUS_SESSION_BUS_ADDRESS: ss.address } });
      const done = finished(child);
      let q;
      while (!(q = since(S.requests, n).find((x) => x.path === ACCESS && x.body))) await new Promise((ok) => setTimeout(ok, 5));
      child.kill('SIGKILL');
      r = await done;
      assert.equal(q.answered, undefined, 'the answer was handed over before the kill');
      while (q.handled === undefined) await new Promise((ok) => setTimeout(ok, 5));
    } finally {
      S.setReplyDelay(0);
    }
    runs.push({ args, r });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(lookup('inflight'), old);
    const next = await cli(args, h);
    assert.equal(next.status, 3, show(next));
    assert.equal(next.stdout, '');
    assert.match(next.stderr, /the server no longer accepts the mytoken in keyring entry inflight: an earlier run \(process \d+, [^)]+\) sent this version and ended before it got the answer/);
    assert.match(next.stderr, /log in again/);
    assert.equal(lookup('inflight'), old, 'the entry was changed or removed');
  });

  test('the lock of a rotating entry needs a runtime folder of the user\'s own: one another user made is refused (status 2) before anything is sent; a mytoken that does not rotate needs no lock', async () => {
    const h = home();
    const runtime = mkdtempSync(join(tmpdir(), 'mytoken-shared-run-'));
    made.push(runtime);
    homes.push(runtime);
    chmodSync(runtime, 0o1777);
    asOtherUser('mkdir -m 755 mytoken', runtime);
    const [rot, still] = [await rotating(), await plain()];
    await entry(h, 'foreign-run', rot);
    await entry(h, 'foreign-run-plain', still);
    const n = S.requests.length;
    const r = await cli(['AT', '--MT-keyring', 'foreign-run'], h, { XDG_RUNTIME_DIR: runtime });
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /the folder for the locks of keyring entries, .*\/mytoken\/keyring, is not a folder of your own/);
    assert.match(r.stderr, /--MT-file/);
    assert.deepEqual(sentSince(n), [], 'a request was sent');
    assert.equal(lookup('foreign-run'), rot);
    const p = await cli(['AT', '--MT-keyring', 'foreign-run-plain'], h, { XDG_RUNTIME_DIR: runtime });
    assert.equal(p.status, 0, show(p));
    assert.deepEqual(sentSince(n), [still]);
    assert.deepEqual(listDir(join(runtime, 'mytoken')), [], 'something was made in the other user\'s folder');
  });

  // ---- 4. MT --keyring onto an existing entry, and what cannot go with --keyring ---------------

  test('MT --keyring onto an existing entry is refused (status 2) before any request and the entry is unchanged; with --force it is replaced; -o or --token-type transfer with --keyring: status 2', async () => {
    const h = home();
    const parent = await mint({ capabilities: ['AT', 'tokeninfo', 'create_mytoken'] });
    const existing = await plain();
    await entry(h, 'parent', parent);
    await entry(h, 'taken', existing);
    const out = join(h, 'new-token');
    const n = S.requests.length;
    for (const args of [
      ['MT', '-i', S.issuer, '--keyring', 'taken'],
      ['MT', '--MT-keyring', 'parent', '--keyring', 'taken'],
    ]) {
      const r = await cli(args, h);
      assert.equal(r.status, 2, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, /keyring entry taken exists already; replacing it would lose the mytoken in it/);
      assert.match(r.stderr, /--force/);
      assert.equal(r.stdout, '');
    }
    for (const [args, message] of [
      [['MT', '-i', S.issuer, '--keyring', 'fresh', '-o', out], /--keyring and -o both say where the new mytoken goes/],
      [['MT', '--MT-keyring', 'parent', '-o', out, '--keyring', 'fresh'], /--keyring and -o both say where the new mytoken goes/],
      [['MT', '-i', S.issuer, '--keyring', 'fresh', '--token-type', 'transfer'], /--keyring keeps mytokens, and --token-type transfer gives a transfer code/],
    ] as const) {
      const r = await cli([...args], h);
      assert.equal(r.status, 2, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, message);
    }
    assert.equal(S.requests.length, n, 'a request reached the server');
    assert.equal(lookup('taken'), existing);
    assert.ok(!names().includes('fresh'));
    assert.ok(!existsSync(out));

    const forced = await cli(['MT', '--MT-keyring', 'parent', '--keyring', 'taken', '--force'], h);
    assert.equal(forced.status, 0, show(forced));
    assert.equal(forced.stdout, '');
    assert.match(forced.stderr, /kept the new mytoken in keyring entry taken\n/);
    const replaced = lookup('taken');
    assert.ok(replaced && replaced !== existing, 'the entry was not replaced');
    assert.notEqual(jwtPayload(replaced)!.jti, jwtPayload(existing)!.jti);
    const m = S.requests.length;
    const use = await cli(['AT', '--MT-keyring', 'taken'], h);
    assert.equal(use.status, 0, show(use));
    assert.deepEqual(sentSince(m), [replaced]);
  });

  // ---- 5. keyring list, delete, import ---------------------------------------------------------

  test('keyring list shows names, server, expiry and capabilities from the JWT, and never a token value', async () => {
    const h = home();
    await entry(h, 'listed', await mint({ capabilities: ['AT', 'tokeninfo', 'create_mytoken'] }));
    const exp = Math.floor(Date.now() / 1000) + 7200;
    await entry(h, 'expiring', await mint({ capabilities: ['AT'], restrictions: [{ exp }] }));
    assert.equal(jwtPayload(lookup('expiring') ?? '')?.exp, exp);
    const stored = ss.secretTool(['store', '--label=other tool', 'service', 'mytoken', 'username', 'made by hand'], 'not-a-token-name');
    assert.equal(stored.status, 0, stored.stderr);
    const all = names();
    const r = await cli(['keyring', 'list'], h);
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.match(lines.find((l) => /NAME/.test(l)) ?? '', /NAME\s.*SERVER\s.*EXPIRES\s.*CAPABILITIES/);
    const row = lines.find((l) => /\blisted\b/.test(l));
    assert.ok(row, r.stdout);
    assert.ok(row.includes(S.url), row);
    assert.match(row, /AT tokeninfo create_mytoken/);
    assert.match(row, /never/);
    const d = new Date(exp * 1000);
    const two = (x: number) => String(x).padStart(2, '0');
    const local = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    const expiring = lines.find((l) => /\bexpiring\b/.test(l)) ?? '';
    assert.ok(expiring.includes(local), `the expiry of entry expiring, ${local} local time, is not in: ${expiring}`);
    assert.match(expiring, /\bAT\b/);
    for (const name of all.filter((x) => x !== 'made by hand')) assert.match(r.stdout, new RegExp(`\\b${name.replace(/[.+]/g, '\\$&')}\\b`), `${name} not listed`);
    assert.match(r.stderr, /1 entry of the service mytoken has a name this client does not use, and is not listed/);
    assert.deepEqual(jwtsIn(`${r.stdout}${r.stderr}`), [], 'a JWT in the listing');
    for (const t of seen) assert.ok(!`${r.stdout}${r.stderr}`.includes(t), 'a token value in the listing');
    assert.equal(ss.secretTool(['clear', 'service', 'mytoken', 'username', 'made by hand']).status, 0);
  });

  test('keyring delete: without a terminal and without --force refused (status 2), the entry kept; with --force the entry and its journal are gone', async () => {
    const h = home();
    const token = await plain();
    await entry(h, 'doomed', token);
    const refused = await cli(['keyring', 'delete', 'doomed'], h);
    assert.equal(refused.status, 2, show(refused));
    assert.match(refused.stderr, /not deleting keyring entry doomed: there is no terminal to confirm on/);
    assert.match(refused.stderr, /--force/);
    assert.equal(lookup('doomed'), token, 'the entry is gone');
    // a journal an interrupted run left goes with its entry
    assert.equal(ss.secretTool(['store', '--label=journal', 'service', JOURNAL, 'username', 'doomed'], '{"v":1}').status, 0);
    const deleted = await cli(['keyring', 'delete', 'doomed', '--force'], h);
    assert.equal(deleted.status, 0, show(deleted));
    assert.match(deleted.stderr, /deleted keyring entry doomed/);
    assert.equal(lookup('doomed'), undefined, 'secret-tool still finds the entry');
    assert.equal(lookup('doomed', JOURNAL), undefined, 'its journal is still there');
    const gone = await cli(['keyring', 'delete', 'doomed', '--force'], h);
    assert.equal(gone.status, 2, show(gone));
    assert.match(gone.stderr, /keyring entry doomed does not exist/);
  });

  test('keyring import keeps the file; --remove-file removes it only once the entry holds the mytoken; an existing entry is refused without --force (the file kept)', async () => {
    const h = home();
    const [a, b, c] = [await plain(), await plain(), await plain()];
    const fa = tokenFile(a, 'a');
    const kept = await cli(['keyring', 'import', 'imp', '--MT-file', fa], h);
    assert.equal(kept.status, 0, show(kept));
    assert.match(kept.stderr, new RegExp(`kept the mytoken of ${fa} in keyring entry imp`));
    assert.equal(readFileSync(fa, 'utf8'), `${a}\n`, 'the file was changed');
    assert.equal(lookup('imp'), a);

    const fb = tokenFile(b, 'b');
    const moved = await cli(['keyring', 'import', 'imp2', '--MT-file', fb, '--remove-file'], h);
    assert.equal(moved.status, 0, show(moved));
    assert.match(moved.stderr, new RegExp(`removed ${fb}`));
    assert.ok(!existsSync(fb), 'the file is still there');
    assert.equal(lookup('imp2'), b);

    const fc = tokenFile(c, 'c');
    const refused = await cli(['keyring', 'import', 'imp', '--MT-file', fc, '--remove-file'], h);
    assert.equal(refused.status, 2, show(refused));
    assert.match(refused.stderr, /keyring entry imp exists already/);
    assert.equal(readFileSync(fc, 'utf8'), `${c}\n`, 'the file went though the import was refused');
    assert.equal(lookup('imp'), a);
    // the keyring cannot be reached: the file stays
    const noBus = await cli(['keyring', 'import', 'imp3', '--MT-file', fc, '--remove-file'], h, { DBUS_SESSION_BUS_ADDRESS: undefined });
    assert.equal(noBus.status, 2, show(noBus));
    assert.ok(existsSync(fc), 'the file went though the keyring could not be reached');

    const forced = await cli(['keyring', 'import', 'imp', '--MT-file', fc, '--remove-file', '--force'], h);
    assert.equal(forced.status, 0, show(forced));
    assert.equal(lookup('imp'), c);
    assert.ok(!existsSync(fc));
  });

  // ---- 6. revoke --------------------------------------------------------------------------------

  test('revoke --MT-keyring without a terminal keeps the entry and says how to delete it; with --keep-entry it keeps it silently; the mytoken is revoked either way (AT refused, status 3)', async () => {
    const h = home();
    const [t1, t2] = [await plain(), await plain()];
    await entry(h, 'rev1', t1);
    await entry(h, 'rev2', t2);
    const r1 = await cli(['revoke', '--MT-keyring', 'rev1'], h);
    assert.equal(r1.status, 0, show(r1));
    assert.equal(r1.stdout, 'Token revoked\n');
    assert.match(r1.stderr, /keyring entry rev1 still holds the revoked mytoken; delete it with mytoken keyring delete rev1 --force/);
    const r2 = await cli(['revoke', '--MT-keyring', 'rev2', '--keep-entry'], h);
    assert.equal(r2.status, 0, show(r2));
    assert.equal(r2.stdout, 'Token revoked\n');
    assert.equal(r2.stderr, '');
    for (const [name, token] of [
      ['rev1', t1],
      ['rev2', t2],
    ] as const) {
      assert.equal(lookup(name), token, `entry ${name}`);
      const at = await cli(['AT', '--MT-keyring', name], h);
      assert.equal(at.status, 3, `${name} is not revoked: ${show(at)}`);
      assert.equal(at.stdout, '');
    }
  });

  test('where it can ask (GO_PROMPTER_USE_PIPE=1), revoke asks whether to delete the entry: y deletes it with its journal, n keeps it; keyring delete asks too', async () => {
    const h = home();
    const [t1, t2, t3] = [await plain(), await plain(), await plain()];
    await entry(h, 'ask-yes', t1);
    await entry(h, 'ask-no', t2);
    await entry(h, 'ask-delete', t3);
    assert.equal(ss.secretTool(['store', '--label=journal', 'service', JOURNAL, 'username', 'ask-yes'], '{"v":1}').status, 0);
    const pipe = { GO_PROMPTER_USE_PIPE: '1' };
    const yes = await cli(['revoke', '--MT-keyring', 'ask-yes'], h, pipe, { input: 'y\n' });
    assert.equal(yes.status, 0, show(yes));
    assert.equal(yes.stdout, 'Token revoked\n');
    assert.match(yes.stderr, /Delete keyring entry ask-yes too\?/);
    assert.match(yes.stderr, /deleted keyring entry ask-yes/);
    assert.equal(lookup('ask-yes'), undefined, 'the entry is still there');
    assert.equal(lookup('ask-yes', JOURNAL), undefined, 'its journal is still there');
    const no = await cli(['revoke', '--MT-keyring', 'ask-no'], h, pipe, { input: 'n\n' });
    assert.equal(no.status, 0, show(no));
    assert.match(no.stderr, /Delete keyring entry ask-no too\?/);
    assert.equal(lookup('ask-no'), t2, 'the entry went though the answer was n');
    const keep = await cli(['keyring', 'delete', 'ask-delete'], h, pipe, { input: 'n\n' });
    assert.equal(keep.status, 0, show(keep));
    assert.match(keep.stderr, /Delete keyring entry ask-delete\?/);
    assert.equal(lookup('ask-delete'), t3);
    const del = await cli(['keyring', 'delete', 'ask-delete'], h, pipe, { input: 'y\n' });
    assert.equal(del.status, 0, show(del));
    assert.equal(lookup('ask-delete'), undefined);
    const at = await cli(['AT', '--MT-env', 'T1'], h, { T1: t1 });
    assert.equal(at.status, 3, `the mytoken of the deleted entry was not revoked: ${show(at)}`);
  });

  // ---- 7. no keyring ----------------------------------------------------------------------------

  test('no session bus (DBUS_SESSION_BUS_ADDRESS unset, no $XDG_RUNTIME_DIR/bus): AT --MT-keyring and MT --keyring exit 2 naming the missing bus and --MT-file; nothing is sent, no file is written', async () => {
    const h = home();
    // a first run that reads the config leaves the client's own caches (~/.cache/mytoken: Node's
    // code cache, the parsed config), whatever the token source; they are made before the snapshot
    assert.equal((await cli(['AT', '--MT-env', 'UNSET_VARIABLE'], h)).status, 2);
    const digest = (t: Map<string, string>) => [...t].map(([f, c]) => `${f} ${createHash('sha256').update(c).digest('hex').slice(0, 16)}`);
    const before = digest(tree(h));
    const n = S.requests.length;
    for (const args of [
      ['AT', '--MT-keyring', 'work'],
      ['MT', '-i', S.issuer, '--keyring', 'nobus'],
      ['keyring', 'list'],
    ]) {
      const r = await cli(args, h, { DBUS_SESSION_BUS_ADDRESS: undefined });
      assert.equal(r.status, 2, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, NO_BUS, args.join(' '));
      assert.match(r.stderr, /--MT-file/, args.join(' '));
      assert.equal(r.stdout, '');
    }
    assert.equal(S.requests.length, n, 'a request reached the server');
    assert.deepEqual(digest(tree(h)), before, 'files or folders were written');
    assert.ok(!names().includes('nobus'));
  });

  test('a session bus without a Secret Service: AT --MT-keyring and MT --keyring exit 2 saying no Secret Service answers; nothing is sent', async () => {
    const bare = await startSecretService({ daemon: false });
    try {
      const h = home();
      const n = S.requests.length;
      for (const args of [
        ['AT', '--MT-keyring', 'work'],
        ['MT', '-i', S.issuer, '--keyring', 'nodaemon'],
      ]) {
        const r = await cli(args, h, { DBUS_SESSION_BUS_ADDRESS: bare.address });
        assert.equal(r.status, 2, `${args.join(' ')}: ${show(r)}`);
        assert.match(r.stderr, /no Secret Service \(GNOME Keyring, KWallet\) answers on the D-Bus session bus/);
        assert.match(r.stderr, /--MT-file/);
        assert.equal(r.stdout, '');
      }
      assert.equal(S.requests.length, n, 'a request reached the server');
    } finally {
      await bare.stop();
    }
  });

  // ---- 8. odd names, odd values -------------------------------------------------------------------

  test('odd entry names (a b, ../x, -x, 65 characters) are refused with status 2 and a message saying what a name may hold', async () => {
    const h = home();
    const file = tokenFile(await plain());
    const n = S.requests.length;
    const before = names();
    for (const name of ['a b', '../x', '-x', 'x'.repeat(65), '$(id)']) {
      for (const args of [
        ['AT', `--MT-keyring=${name}`],
        ['AT', '--MT-keyring', name],
        ['MT', '-i', S.issuer, `--keyring=${name}`],
        ['MT', '-i', S.issuer, '--keyring', name],
        ['keyring', 'import', '--MT-file', file, '--', name],
        ['keyring', 'delete', '--force', '--', name],
      ]) {
        const r = await cli(args, h);
        const label = JSON.stringify(args);
        assert.equal(r.status, 2, `${label}: ${show(r)}`);
        assert.match(r.stderr, /is not a keyring entry name/, label);
        assert.match(r.stderr, NAME_RULE, label);
        assert.equal(r.stdout, '', label);
      }
    }
    const r = await cli(['AT', '--MT-keyring', 'a b'], h);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /"a b" is not a keyring entry name/);
    assert.equal(S.requests.length, n, 'a request reached the server');
    assert.deepEqual(names(), before, 'an entry was made');
  });

  test('a huge or binary value found in an entry is refused with status 2 and none of it is printed', async () => {
    const h = home();
    // secret-tool cuts what it stores at 8 KiB, within a mytoken's limit (16 KiB): the huge value
    // is planted through the keyring library instead
    const planting = await keyringSteps(ss.env, [{ op: 'plant', name: 'huge', fill: 0x51, count: 20_000 }]);
    assert.ok(planting.results[0]?.ok, JSON.stringify(planting.results));
    const binary = Buffer.concat([Buffer.from('eyJBINARYVALUE'), Buffer.from([0x00, 0xff, 0xfe]), Buffer.from('BINARYVALUE')]);
    assert.equal(ss.secretTool(['store', '--label=binary', 'service', 'mytoken', 'username', 'binary'], binary).status, 0);
    const n = S.requests.length;
    for (const [name, message] of [
      ['huge', /keyring entry huge holds 20000 bytes, more than a mytoken \(at most 16384\)/],
      ['binary', /keyring entry binary does not hold a mytoken \(it holds binary data, spaces or more than one line\)/],
    ] as const) {
      for (const args of [
        ['AT', '--MT-keyring', name],
        ['MT', '--MT-keyring', name, '--keyring', 'from-odd'],
        ['revoke', '--MT-keyring', name],
      ]) {
        const r = await cli(args, h);
        assert.equal(r.status, 2, `${args.join(' ')}: ${show(r)}`);
        assert.match(r.stderr, message);
        assert.match(r.stderr, new RegExp(`secret-tool clear service mytoken username ${name}`));
        assert.equal(r.stdout, '');
        assert.doesNotMatch(r.stderr, /QQQQ|BINARYVALUE/, 'part of the value was printed');
      }
    }
    const list = await cli(['keyring', 'list'], h);
    assert.equal(list.status, 0, show(list));
    assert.match(list.stdout, /huge .*holds 20000 bytes/);
    assert.doesNotMatch(`${list.stdout}${list.stderr}`, /QQQQ|BINARYVALUE/);
    assert.equal(S.requests.length, n, 'a request reached the server');
    for (const name of ['huge', 'binary']) assert.equal(ss.secretTool(['clear', 'service', 'mytoken', 'username', name]).status, 0);
  });

  // ---- 9. the secret never leaks ----------------------------------------------------------------

  test('no mytoken value appears in any run\'s arguments, stdout or stderr, nor in any file under the HOMEs and runtime folders (the keyring\'s encrypted files aside)', () => {
    // every version the server saw, and every value in the keyring now
    for (const q of S.requests) for (const t of jwtsIn(q.body)) seen.add(t);
    names();
    names(JOURNAL);
    // a mytoken is found by its last 43 characters (its signature), whole or cut short at its start;
    // found by sliding over the runs of base64url characters, so the native module that the single
    // binary unpacks into every HOME (3 MB) is searched in one pass
    const TAIL = 43;
    const tails = new Set([...seen].filter((t) => t.length >= TAIL).map((t) => t.slice(-TAIL)));
    assert.ok(tails.size >= 40, `only ${tails.size} mytoken values seen`);
    assert.ok(runs.length >= 60, `only ${runs.length} runs`);
    const found = (text: string): string | undefined => {
      for (const [word] of text.matchAll(/[A-Za-z0-9_-]{43,}/g)) {
        for (let i = 0; i + TAIL <= word.length; i++) if (tails.has(word.slice(i, i + TAIL))) return word.slice(0, 12);
      }
      return undefined;
    };
    // the search finds what is there: the token files the tests wrote themselves hold mytokens
    const own = readdirSync(planted).map((f) => readFileSync(join(planted, f), 'latin1'));
    assert.ok(own.length > 3 && own.every((text) => found(text) !== undefined), 'the search misses the mytokens of the test\'s own token files');
    for (const { args, r } of runs) {
      const where = JSON.stringify(args);
      assert.equal(found(args.join('\n')), undefined, `a mytoken in the arguments of ${where}`);
      assert.equal(found(r.stdout), undefined, `a mytoken on the stdout of ${where}`);
      assert.equal(found(r.stderr), undefined, `a mytoken on the stderr of ${where}`);
    }
    const places = [...homes, ss.dir];
    for (const dir of places) {
      for (const [file, content] of tree(dir, [join(ss.home, '.local', 'share', 'keyrings')])) {
        assert.equal(found(content), undefined, `a mytoken in ${file}`);
      }
    }
  });
});
