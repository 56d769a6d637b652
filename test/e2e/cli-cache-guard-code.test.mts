// e2e: the V8 code cache bin/mytoken keeps on a Node without a compile cache of its own (issue 11,
// item 5). A planted cache runs as the user, so a cache file is loaded only from folders that are
// ours, only when it is ours itself, and only for the bundle's exact text (V8 checks no more than
// the source's length, and npm gives every file the same date). The planted cache used here is a
// working one: compiled from another source of the bundle's length, it writes a marker file when
// it runs, which the control case shows.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, BINARY, ROOT, asOtherUser, baseEnv, run } from './helpers.mjs';
import { freshHome, removeHomes } from './stub-server.mjs';
import { letOthersThrough, otherUsersFile, plantAs, q, removeSharedFolders, sharedFolder, tree } from './attacker.mjs';

const ownCompileCache = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const skip = (BINARY || ownCompileCache) && 'only bin/mytoken on a Node without a compile cache of its own';
const BUNDLE = join(ROOT, 'dist', 'mytoken.cjs');
const uid = process.geteuid!();

/** the normal output of --version, and the code cache file name a first run made for this bundle */
let version = '';
let name = '';

before(async () => {
  if (skip) return;
  const home = freshHome();
  const r = await run(['--version'], { home });
  assert.equal(r.status, 0, r.stderr);
  version = r.stdout;
  name = readdirSync(codeDir(home))[0]!;
});
after(() => {
  removeHomes();
  removeSharedFolders();
});

const codeDir = (home: string) => join(home, '.cache', 'mytoken', 'code');

// compiles another source of the bundle's length (V8's only check) into cached data
const MAKE = `const fs = require('fs'), vm = require('vm'), Module = require('module');
const [bundle, out, marker] = process.argv.slice(1);
let src = "require('fs').writeFileSync(" + JSON.stringify(marker) + ", 'planted code ran');";
src += ' '.repeat(fs.readFileSync(bundle, 'utf8').length - src.length);
fs.writeFileSync(out, new vm.Script(Module.wrap(src), { filename: bundle }).createCachedData());`;

/**
 * A working planted code cache for the bundle, and the file it writes when it runs. The launcher's
 * format (bin/mytoken): the bundle's bytes, then V8's cached data; the control case below fails
 * when that format changes and this is not changed with it.
 */
function plantedCode(): { code: Buffer; marker: string } {
  const marker = join(freshHome(), 'marker');
  const out = join(freshHome(), 'code.bin');
  execFileSync(process.execPath, ['-e', MAKE, BUNDLE, out, marker]);
  return { code: Buffer.concat([readFileSync(BUNDLE), readFileSync(out)]), marker };
}

/** `mytoken --version` ran normally (not the planted code). */
async function versionRuns(home: string, marker: string, label: string, env: Record<string, string> = {}): Promise<void> {
  const r = await run(['--version'], { home, env });
  assert.equal(r.status, 0, `${label}: ${r.stderr}`);
  assert.equal(r.stdout, version, label);
  assert.ok(!existsSync(marker), `${label}: the planted code ran`);
}

test('11.5 a code cache planted in a cache folder another user can write is neither loaded nor replaced', { skip }, async () => {
  const layouts: Record<string, (home: string, code: Buffer) => Record<string, string>> = {
    'the cache root is theirs (made in a shared folder)': (_home, code) => {
      const cache = sharedFolder();
      plantAs(join(cache, 'mytoken', 'code', name), code);
      return { XDG_CACHE_HOME: cache };
    },
    'the cache root is ours but mode 0777': (_home, code) => {
      const cache = sharedFolder();
      mkdirSync(join(cache, 'mytoken'));
      chmodSync(join(cache, 'mytoken'), 0o777);
      plantAs(join(cache, 'mytoken', 'code', name), code);
      return { XDG_CACHE_HOME: cache };
    },
    'the code folder is ours but mode 0777': (_home, code) => {
      const cache = sharedFolder();
      mkdirSync(join(cache, 'mytoken', 'code'), { recursive: true });
      chmodSync(join(cache, 'mytoken'), 0o711);
      chmodSync(join(cache, 'mytoken', 'code'), 0o777);
      plantAs(join(cache, 'mytoken', 'code', name), code);
      return { XDG_CACHE_HOME: cache };
    },
    "~/.cache/mytoken a symlink to their folder": (home, code) => {
      const theirs = join(sharedFolder(), 'cache');
      plantAs(join(theirs, 'code', name), code);
      mkdirSync(join(home, '.cache'));
      symlinkSync(theirs, join(home, '.cache', 'mytoken'));
      return { XDG_CACHE_HOME: join(home, '.cache') };
    },
  };
  for (const [label, layout] of Object.entries(layouts)) {
    const { code, marker } = plantedCode();
    const home = freshHome();
    const env = layout(home, code);
    const cache = join(env.XDG_CACHE_HOME!, 'mytoken');
    const before = tree(cache);
    await versionRuns(home, marker, label, env);
    await versionRuns(home, marker, `${label}, again`, env);
    assert.deepEqual(tree(cache), before, `${label}: nothing written or changed there`);
  }
});

test('11.5 in our own code folder, a cache file that is another user\'s, a symlink, or writable by others is not loaded', { skip }, async () => {
  const plants: Record<string, (file: string, code: Buffer) => void> = {
    "another user's file, moved in": (file, code) => renameSync(otherUsersFile(code), file),
    "a symlink to another user's file": (file, code) => symlinkSync(otherUsersFile(code), file),
    'our file, mode 0666, written by another user': (file, code) => {
      writeFileSync(file, '');
      chmodSync(file, 0o666);
      letOthersThrough(file);
      const theirs = otherUsersFile(code);
      asOtherUser(`cat ${q(theirs)} > ${q(file)}`);
    },
    'our file with a second name': (file, code) => {
      writeFileSync(file, code, { mode: 0o600 });
      const other = freshHome();
      execFileSync('ln', [file, join(other, 'second-name')]);
    },
  };
  for (const [label, plant] of Object.entries(plants)) {
    const { code, marker } = plantedCode();
    const home = freshHome();
    await versionRuns(home, marker, `${label}: first run`);
    const file = join(codeDir(home), name);
    unlinkSync(file);
    plant(file, code);
    await versionRuns(home, marker, label);
    const st = lstatSync(file);
    assert.ok(st.isFile() && st.uid === uid && (st.mode & 0o777) === 0o600 && st.nlink === 1, `${label}: replaced by our own cache`);
  }
  // control: the same planted bytes as our own file are loaded (a user's own files are theirs to change)
  const { code, marker } = plantedCode();
  const home = freshHome();
  await versionRuns(home, marker, 'control: first run');
  writeFileSync(join(codeDir(home), name), code);
  await run(['--version'], { home });
  assert.ok(existsSync(marker), 'control: the planted cache is one V8 accepts');
});

test('11.5 a code cache made for another bundle text of the same size and date is not used', { skip }, async () => {
  const inst = mkdtempSync(join(tmpdir(), 'mytoken-install-'));
  try {
    mkdirSync(join(inst, 'bin'));
    mkdirSync(join(inst, 'dist'));
    copyFileSync(BIN, join(inst, 'bin', 'mytoken'));
    symlinkSync(join(ROOT, 'dist', 'vendor'), join(inst, 'dist', 'vendor'));
    const bundle = join(inst, 'dist', 'mytoken.cjs');
    const text = readFileSync(BUNDLE, 'utf8');
    assert.ok(text.includes('`mytoken version ${'), 'the bundle prints its version with that text');
    const npmDate = new Date('1985-10-26T08:15:00Z');
    const install = (t: string) => {
      writeFileSync(bundle, t);
      utimesSync(bundle, npmDate, npmDate);
    };
    const home = freshHome();
    const versionOf = () => execFileSync(process.execPath, [join(inst, 'bin', 'mytoken'), '--version'], { env: baseEnv(home), encoding: 'utf8' });
    const cacheFiles = () => readdirSync(codeDir(home)).map((n) => `${n} ${statSync(join(codeDir(home), n)).ino} ${statSync(join(codeDir(home), n)).mtimeMs}`);
    install(text);
    assert.equal(versionOf(), version);
    assert.equal(versionOf(), version);
    const old = cacheFiles();
    const upgraded = text.replace('`mytoken version ${', '`MYTOKEN VERSION ${');
    install(upgraded);
    assert.equal(statSync(bundle).size, statSync(BUNDLE).size, 'the upgrade has the same size');
    assert.equal(versionOf(), version.replace('mytoken version', 'MYTOKEN VERSION'), 'the new bundle runs, not the cache of the old');
    const made = cacheFiles();
    assert.notDeepEqual(made, old, 'a cache is made for the new bundle');
    assert.equal(versionOf(), version.replace('mytoken version', 'MYTOKEN VERSION'));
    assert.deepEqual(cacheFiles(), made, 'and used by its next run');
  } finally {
    rmSync(inst, { recursive: true, force: true });
  }
});

test('11.5 a good code cache is used by the next run, not written again', { skip }, async () => {
  const home = freshHome();
  const { marker } = plantedCode();
  await versionRuns(home, marker, 'first run');
  const file = join(codeDir(home), name);
  const made = statSync(file);
  for (let i = 0; i < 2; i++) await versionRuns(home, marker, `run ${i + 2}`);
  const now = statSync(file);
  assert.equal(now.mtimeMs, made.mtimeMs, 'not rewritten');
  assert.equal(now.ino, made.ino, 'not replaced');
  assert.equal(now.mode & 0o777, 0o600);
  assert.equal(statSync(codeDir(home)).mode & 0o777, 0o700);
  assert.equal(statSync(join(codeDir(home), '..')).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(codeDir(home)), [name]);
});
