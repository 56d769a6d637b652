// The keyring inside a single executable (issue 14), against a real Secret Service. Until the
// commands use the keyring, dist/mytoken has no keyring code to run, so this test builds a binary
// of its own the way dist/mytoken is built (scripts/bundle.mjs buildSea: the same bundler
// settings, the same assets, the module's SHA-256 put in at build time) from keyring-child.ts, and
// runs the backend's steps with it. Runs with `npm run test:binary` (MYTOKEN_TEST_BINARY set).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asOtherUser, BINARY, OTHER_UID, ROOT } from './helpers.mjs';
import { keyringSkip, type SecretService, startSecretService } from './keyring.mjs';
import { keyringSteps } from './keyring-steps.mjs';

const TOKEN = 'eyJhbGciOiJFUzUxMiJ9.eyJpc3MiOiJodHRwczovL210LmV4YW1wbGUifQ.c2lnbmF0dXJlLWJpbmFyeQ';
const ADDON = join(ROOT, 'node_modules', '@napi-rs', 'keyring-linux-x64-gnu', 'keyring.linux-x64-gnu.node');
const SHA = existsSync(ADDON) ? createHash('sha256').update(readFileSync(ADDON)).digest('hex') : '';

describe('the keyring backend inside a single executable', { skip: !BINARY ? 'runs with the binary only (npm run test:binary)' : keyringSkip() }, () => {
  let ss: SecretService;
  let work: string;
  let bin: string[];
  const shared: string[] = [];
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'mytoken-keyring-sea-'));
    const { buildSea } = (await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href)) as {
      buildSea: (o: { entry: string; output: string; work: string; snapshot?: boolean }) => Promise<unknown>;
    };
    const output = join(work, 'keyring-steps');
    await buildSea({ entry: join(ROOT, 'test', 'e2e', 'keyring-child.ts'), output, work: join(work, 'sea'), snapshot: false });
    bin = [output];
    ss = await startSecretService();
  });
  after(async () => {
    await ss?.stop();
    for (const dir of [work, ...shared]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The keyring's environment with a cache root of its own and a PATH without node. */
  function env(cache = join(mkdtempSync(join(work, 'home-')), 'cache')): { env: NodeJS.ProcessEnv; cache: string; file: string } {
    const empty = join(work, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    return { env: { ...ss.env, PATH: empty, XDG_CACHE_HOME: cache }, cache, file: join(cache, 'mytoken', 'native', `keyring-${SHA.slice(0, 16)}.node`) };
  }

  test('set, get, list and delete with the module from the binary, unpacked to the private cache and checked', async () => {
    const { env: e, file } = env();
    const r = await keyringSteps(e, [
      { op: 'set', name: 'sea', value: TOKEN },
      { op: 'get', name: 'sea' },
      { op: 'list' },
    ], { program: bin });
    assert.deepEqual(r.results.map((x) => (x.ok ? x.value : x.message)), [null, TOKEN, { names: ['sea'], skipped: 0 }]);
    assert.ok(r.nativeLoaded);
    assert.equal(ss.secretTool(['lookup', 'service', 'mytoken', 'username', 'sea']).stdout, TOKEN, 'secret-tool sees it');
    const st = lstatSync(file);
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), SHA, "the asset is node_modules' module");

    const d = await keyringSteps(e, [{ op: 'delete', name: 'sea' }, { op: 'get', name: 'sea' }], { program: bin });
    assert.deepEqual(d.results.map((x) => x.value), [true, null]);
    assert.equal(lstatSync(file).ino, st.ino, 'not written again');
  });

  test('a file planted at the cache path is replaced, not loaded; a cache folder of another user is refused (KeyringUnavailable, status 2)', async () => {
    const planted = env();
    mkdirSync(join(planted.file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(planted.file, 'not a shared object\n', { mode: 0o700 });
    const r = await keyringSteps(planted.env, [{ op: 'get', name: 'nothing-here' }], { program: bin });
    assert.ok(r.results[0]!.ok && r.results[0]!.value === null, JSON.stringify(r.results[0]));
    assert.equal(createHash('sha256').update(readFileSync(planted.file)).digest('hex'), SHA, 'replaced by the asset');

    const other = mkdtempSync(join(tmpdir(), 'mytoken-keyring-shared-'));
    shared.push(other);
    chmodSync(other, 0o777);
    asOtherUser(`mkdir -p ${other}/cache/mytoken`);
    const foreign = env(join(other, 'cache'));
    const f = await keyringSteps(foreign.env, [{ op: 'get', name: 'alice' }], { program: bin });
    const res = f.results[0]!;
    assert.equal(res.error, 'KeyringUnavailable');
    assert.equal(res.status, 2);
    assert.equal(
      res.message,
      `the system keyring cannot be used: its native module cannot be unpacked to a private folder: ${other}/cache/mytoken belongs to another user (uid ${OTHER_UID})`,
    );
    assert.match(res.hint!, /XDG_CACHE_HOME.*--MT-file FILE/);
    assert.equal(f.nativeLoaded, false);
    assert.deepEqual(readdirSync(join(other, 'cache', 'mytoken')), []);
  });

  test('no session bus: refused before the module is unpacked', async () => {
    const { env: e, cache } = env();
    delete e.DBUS_SESSION_BUS_ADDRESS;
    const r = await keyringSteps(e, [{ op: 'list' }], { program: bin });
    assert.equal(r.results[0]!.error, 'KeyringUnavailable');
    assert.match(r.results[0]!.message!, /DBUS_SESSION_BUS_ADDRESS is not set/);
    assert.equal(r.nativeLoaded, false);
    assert.ok(!existsSync(cache), 'nothing unpacked');
  });
});
