// The keyring's native module loaded the way the single binary loads it (src/native-addon.ts): the
// asset's bytes are written once to the user's private cache folder, the file is checked against
// the SHA-256 before every load, and loaded from the checked descriptor. Each load runs in a child
// (keyring-child.ts, step load-addon) with the module's file from node_modules as the asset.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asOtherUser, baseEnv, OTHER_UID, ROOT, tempHome } from './helpers.mjs';
import { keyringSteps, type StepsRun } from './keyring-steps.mjs';

const ADDON_DIR = join(ROOT, 'node_modules', '@napi-rs', 'keyring-linux-x64-gnu');
const ADDON = join(ADDON_DIR, 'keyring.linux-x64-gnu.node');
const BYTES = existsSync(ADDON) ? readFileSync(ADDON) : Buffer.alloc(0);
const SHA = createHash('sha256').update(BYTES).digest('hex');
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? 'the binary carries the Linux x64 module only' : !existsSync(ADDON) && `${ADDON} is not installed`;

const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
/** A temporary folder, removed after the tests. */
function temp(make: () => string = () => mkdtempSync(join(tmpdir(), 'mytoken-addon-'))): string {
  const dir = make();
  scratch.push(dir);
  return dir;
}

/** A HOME and a cache root of their own; the file the module is unpacked to. */
function place(): { env: NodeJS.ProcessEnv; cache: string; file: string } {
  const home = temp(tempHome);
  const cache = join(home, 'cache');
  return { env: baseEnv(home, { XDG_CACHE_HOME: cache }), cache, file: join(cache, 'mytoken', 'native', `keyring-${SHA.slice(0, 16)}.node`) };
}

const load = (env: NodeJS.ProcessEnv, sha256 = SHA): Promise<StepsRun> => keyringSteps(env, [{ op: 'load-addon', file: ADDON, sha256 }]);

function loaded(r: StepsRun, label: string): void {
  const res = r.results[0]!;
  assert.ok(res.ok, `${label}: ${JSON.stringify(res)}`);
  assert.ok((res.value as string[]).includes('AsyncEntry') && (res.value as string[]).includes('findCredentialsAsync'), `${label}: the module's exports`);
  assert.ok(r.nativeLoaded, label);
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('the keyring module unpacked from an asset, as in the single binary', { skip }, () => {
  test('written once to the private cache (folders 0700, the file 0700), checked and loaded from there', async () => {
    const { env, cache, file } = place();
    loaded(await load(env), 'first load');
    for (const dir of [join(cache, 'mytoken'), join(cache, 'mytoken', 'native')]) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
    const st = lstatSync(file);
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(sha(file), SHA);
    assert.deepEqual(readdirSync(join(cache, 'mytoken', 'native')), [`keyring-${SHA.slice(0, 16)}.node`], 'no temporary file left');

    loaded(await load(env), 'second load');
    const again = lstatSync(file);
    assert.equal(again.ino, st.ino, 'the checked file is used as it is, not written again');
    assert.equal(again.mtimeMs, st.mtimeMs);
  });

  test('a different file at the cache path is replaced, never loaded: garbage, a truncated copy, a symlink, a copy others may write, a copy of another user', async () => {
    const elsewhere = join(temp(), 'target.node');
    writeFileSync(elsewhere, BYTES);
    const plants: Array<[string, (file: string) => void]> = [
      ['garbage', (f) => writeFileSync(f, 'not a shared object\n', { mode: 0o700 })],
      ['a truncated copy', (f) => writeFileSync(f, BYTES.subarray(0, BYTES.length >> 1), { mode: 0o700 })],
      ['a copy with one byte changed', (f) => writeFileSync(f, Buffer.concat([BYTES.subarray(0, 4096), Buffer.from([BYTES[4096]! ^ 1]), BYTES.subarray(4097)]), { mode: 0o700 })],
      ['a symlink to an intact copy', (f) => symlinkSync(elsewhere, f)],
      ['an intact copy others may write', (f) => (writeFileSync(f, BYTES), chmodSync(f, 0o666))],
      ['an intact copy of another user', (f) => (writeFileSync(f, BYTES, { mode: 0o700 }), chownSync(f, OTHER_UID, OTHER_UID))],
    ];
    for (const [what, plant] of plants) {
      const { env, file } = place();
      mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
      plant(file);
      const before = lstatSync(file);
      // loading garbage or a changed copy would fail (or run what is in it); the load succeeds
      // because what is loaded is the asset's copy, written over the plant
      loaded(await load(env), what);
      const after = lstatSync(file);
      assert.ok(after.isFile() && !after.isSymbolicLink(), `${what}: a regular file now`);
      assert.notEqual(after.ino, before.ino, `${what}: replaced`);
      assert.equal(after.uid, process.getuid!(), what);
      assert.equal(after.mode & 0o777, 0o700, what);
      assert.equal(sha(file), SHA, `${what}: the asset's bytes`);
    }
    assert.equal(sha(elsewhere), SHA, 'the symlink target is left alone');
  });

  test('a cache folder of another user, or one others may write, is refused; nothing is written into it', async () => {
    // the cache root made by another user (as root, setpriv plays that user)
    const shared = temp();
    chmodSync(shared, 0o777);
    asOtherUser(`mkdir -p ${shared}/cache/mytoken`);
    const env1 = baseEnv(temp(tempHome), { XDG_CACHE_HOME: join(shared, 'cache') });
    const r1 = (await load(env1)).results[0]!;
    assert.equal(r1.ok, false);
    assert.equal(r1.message, `cannot be unpacked to a private folder: ${shared}/cache/mytoken belongs to another user (uid ${OTHER_UID})`);
    assert.deepEqual(readdirSync(join(shared, 'cache', 'mytoken')), []);

    // our own root, but the native/ folder in it belongs to another user
    const p2 = place();
    mkdirSync(join(p2.cache, 'mytoken', 'native'), { recursive: true, mode: 0o700 });
    chownSync(join(p2.cache, 'mytoken', 'native'), OTHER_UID, OTHER_UID);
    const r2 = (await load(p2.env)).results[0]!;
    assert.equal(r2.message, `cannot be unpacked to a private folder: ${p2.cache}/mytoken/native belongs to another user (uid ${OTHER_UID})`);
    assert.deepEqual(readdirSync(join(p2.cache, 'mytoken', 'native')), []);

    // our own root, writable by others: left as it is, not "fixed"
    const p3 = place();
    mkdirSync(join(p3.cache, 'mytoken'), { recursive: true });
    chmodSync(join(p3.cache, 'mytoken'), 0o777);
    const r3 = (await load(p3.env)).results[0]!;
    assert.equal(r3.message, `cannot be unpacked to a private folder: ${p3.cache}/mytoken can be changed by other users (mode 0777)`);
    assert.equal(statSync(join(p3.cache, 'mytoken')).mode & 0o777, 0o777);
    assert.equal(r1.ok || r2.ok || r3.ok, false);
  });

  test('an asset that does not match the hash the binary was built with is not loaded; no HOME is no place to unpack to', async () => {
    const { env, file } = place();
    const wrong = createHash('sha256').update('something else').digest('hex');
    const r = await load(env, wrong);
    assert.equal(r.results[0]!.ok, false);
    assert.match(r.results[0]!.message!, /^unpacked to .+ does not match the binary's copy \(its SHA-256 differs\)$/);
    assert.equal(r.nativeLoaded, false);
    assert.ok(!existsSync(file), 'a file of another name (its hash prefix) was written, not this one');

    const none = await load(baseEnv(temp(tempHome), { HOME: undefined, XDG_CACHE_HOME: undefined }));
    assert.match(none.results[0]!.message!, /^has no private folder to be unpacked to/);
    assert.equal(none.nativeLoaded, false);
  });
});
