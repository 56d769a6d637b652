// Never losing a mytoken: output paths that would overwrite it, and the token file's lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { fileAppears, finished, run, spawnCli, writeConfig } from './helpers.mjs';
import { freshHome, listDir, removeHomes, sleep } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;
let S: LocalServer;

before(async () => {
  S = await startLocalServer({ interval: 1 });
});
after(async () => {
  removeHomes();
  await S?.close();
});

/** A HOME pointing at S with a token file `mt` holding a fresh mytoken. */
async function setup(request: Record<string, unknown>): Promise<{ home: string; file: string; token: string }> {
  const home = freshHome();
  writeConfig(home, `instance: "${S.url}"\nuse_wlcg_token_discovery: false\n`);
  const token = (await S.mint(request)).mytoken as string;
  const file = join(home, 'mt');
  writeFileSync(file, token, { mode: 0o600 });
  return { home, file, token };
}

const accessPosts = () => S.requests.filter((r) => r.path.startsWith('/api/v0/token/access')).length;

test('AT -o naming the mytoken file itself is refused before any request (exit 2, file kept)', async () => {
  const { home, file, token } = await setup({ capabilities: ['AT'] });
  const before = accessPosts();
  const r = await run(['AT', '--MT-file', file, '-o', file], { home });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /would lose the mytoken/);
  assert.equal(readFileSync(file, 'utf8'), token);
  assert.equal(accessPosts(), before);
});

test('MT -o naming the parent mytoken file is refused (exit 2, file kept)', async () => {
  const { home, file, token } = await setup({ capabilities: ['AT', 'create_mytoken'] });
  const r = await run(['MT', '--MT-file', file, '--out', './mt'], { home });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), token);
});

test('a lock left behind by a process that no longer runs is broken', async () => {
  const { home, file } = await setup({ capabilities: ['AT'], rotation: { on_AT: true } });
  writeFileSync(join(home, '.mt.lock'), '999999999\n');
  const r = await run(['AT', '--MT-file', file], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(listDir(home).filter((f) => f.startsWith('.mt')), []);
});

test('a rotating token waits for the lock a live process holds, then uses the newest token', async () => {
  const { home, file, token } = await setup({ capabilities: ['AT'], rotation: { on_AT: true } });
  const lock = join(home, '.mt.lock');
  writeFileSync(lock, `${process.pid}\n`);
  const child = spawnCli(['AT', '--MT-file', file], { home });
  const done = finished(child);
  await sleep(700);
  assert.equal(child.exitCode, null, 'AT must wait while the lock is held');
  // while it waits, another process rotates the token and writes the new one
  const at = await fetch(`${S.url}/api/v0/token/access`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'mytoken', mytoken: token }),
  });
  const newer = ((await at.json()) as { token_update: { mytoken: string } }).token_update.mytoken;
  writeFileSync(file, newer);
  writeFileSync(lock, ''); // truncate, then remove: the lock is released
  await import('node:fs').then((fs) => fs.unlinkSync(lock));
  const r = await done;
  assert.equal(r.status, 0, r.stderr);
  const last = readFileSync(file, 'utf8');
  assert.notEqual(last, newer, 'the token used was rotated again and written back');
  assert.ok(!existsSync(lock));
});

test('Ctrl-C while waiting for the lock: exit 130, the token file untouched', async () => {
  const { home, file, token } = await setup({ capabilities: ['AT'], rotation: { on_AT: true } });
  const lock = join(home, '.mt.lock');
  writeFileSync(lock, `${process.pid}\n`);
  const child = spawnCli(['AT', '--MT-file', file], { home });
  // a signal before the client's handler is there would kill it the default way, not test it: the
  // signal goes once the client tries for the lock (each try makes a temporary file beside it)
  const trying = fileAppears(home, (name) => name.startsWith(`.mt.lock.${child.pid}.`));
  const done = finished(child);
  await trying;
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.status, 130, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(readFileSync(file, 'utf8'), token);
  assert.equal(readFileSync(lock, 'utf8'), `${process.pid}\n`, 'a lock it does not own is left alone');
});
