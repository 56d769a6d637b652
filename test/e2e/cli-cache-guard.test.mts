// e2e: caches another local user cannot plant (issue 11, item 5), the configuration document's.
// A cache folder is used only when it is ours (owner, no symlink, not writable by others), and so is
// each entry; a cached document is used only while its expiry is within a day and every endpoint
// it names is on the server's own origin. `elsewhere` plays the other user's server: it must never
// see a request. The code cache's tests are in cli-cache-guard-code.test.mts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { asOtherUser, run } from './helpers.mjs';
import { CONFIG_PATH, OPAQUE_MT, homeWithConfig, removeHomes, since, startStubServer, stubConfiguration, type StubServer } from './stub-server.mjs';
import { letOthersThrough, otherUsersFile, plantAs, q, removeSharedFolders, sharedFolder, tree } from './attacker.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;
const ACCESS = '/api/v0/token/access';
const COLD = [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`];
const WARM = [`POST ${ACCESS}`];
const DAY = 86_400_000;

let S: LocalServer;
let elsewhere: StubServer;
let token: string;
/** the name and content of a genuine discovery entry of S, as a run made it */
let genuine: { name: string; entry: { url: string; expires: number; document: Record<string, unknown> } };

before(async () => {
  S = await startLocalServer({ interval: 1, discoveryMaxAge: 3000 });
  elsewhere = await startStubServer();
  token = (await S.mint({ capabilities: ['AT'] })).mytoken as string;
  const home = homeWithConfig(S.url);
  await at(home);
  const dir = discoveryDir(home);
  const name = readdirSync(dir)[0]!;
  genuine = { name, entry: JSON.parse(readFileSync(join(dir, name), 'utf8')) };
});
after(async () => {
  removeHomes();
  removeSharedFolders();
  await S?.close();
  await elsewhere?.close();
});

const discoveryDir = (home: string) => join(home, '.cache', 'mytoken', 'discovery');

/** Runs AT; returns the requests S received meanwhile, as "METHOD path", and checks elsewhere got none. */
async function at(home: string, env: Record<string, string> = {}): Promise<string[]> {
  const n = S.requests.length;
  const m = elsewhere?.requests.length ?? 0;
  const r = await run(['AT', '--MT', token], { home, env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr');
  assert.match(r.stdout, /^\S+\n$/);
  assert.deepEqual(since(elsewhere?.requests ?? [], m).map((x) => `${x.method} ${x.path}`), [], 'the other server got no request');
  return since(S.requests, n).map((x) => `${x.method} ${x.path}`);
}

/** The genuine entry with its access-token endpoint on the other user's server. */
function redirected(): string {
  const entry = structuredClone(genuine.entry);
  entry.document.access_token_endpoint = `${elsewhere.url}${ACCESS}`;
  entry.expires = Date.now() + 3_600_000;
  return JSON.stringify(entry);
}

test('11.5 a discovery entry planted in a cache folder another user can write is neither read nor written', async () => {
  // each makes the layout in a shared folder and returns the folder nothing may be written to
  const layouts: Record<string, (cache: string) => string> = {
    'the cache root is theirs (made in a shared folder)': (cache) => {
      plantAs(join(cache, 'mytoken', 'discovery', genuine.name), redirected());
      return cache;
    },
    'the cache root is ours but mode 0777': (cache) => {
      mkdirSync(join(cache, 'mytoken'));
      chmodSync(join(cache, 'mytoken'), 0o777);
      plantAs(join(cache, 'mytoken', 'discovery', genuine.name), redirected());
      return cache;
    },
    'the discovery folder is ours but mode 0777 (the root is ours: other kinds may be cached)': (cache) => {
      mkdirSync(join(cache, 'mytoken', 'discovery'), { recursive: true });
      chmodSync(join(cache, 'mytoken'), 0o711);
      chmodSync(join(cache, 'mytoken', 'discovery'), 0o777);
      plantAs(join(cache, 'mytoken', 'discovery', genuine.name), redirected());
      return join(cache, 'mytoken', 'discovery');
    },
  };
  for (const [label, layout] of Object.entries(layouts)) {
    const cache = sharedFolder();
    const watched = layout(cache);
    const before = tree(watched);
    const home = homeWithConfig(S.url);
    assert.deepEqual(await at(home, { XDG_CACHE_HOME: cache }), COLD, label);
    assert.deepEqual(await at(home, { XDG_CACHE_HOME: cache }), COLD, `${label}: not cached there either`);
    assert.deepEqual(tree(watched), before, `${label}: nothing written or changed`);
  }
});

test('11.5 in our own cache folder, an entry that is another user\'s, a symlink, or writable by others is not used', async () => {
  const plants: Record<string, (file: string) => void> = {
    "another user's file, moved in": (file) => renameSync(otherUsersFile(redirected()), file),
    "a symlink to another user's file": (file) => symlinkSync(otherUsersFile(redirected()), file),
    'our file, mode 0666, written by another user': (file) => {
      writeFileSync(file, '{}');
      chmodSync(file, 0o666);
      letOthersThrough(file);
      asOtherUser(`cat ${q(otherUsersFile(redirected()))} > ${q(file)}`);
    },
  };
  for (const [label, plant] of Object.entries(plants)) {
    const home = homeWithConfig(S.url);
    assert.deepEqual(await at(home), COLD);
    const file = join(discoveryDir(home), genuine.name);
    unlinkSync(file);
    plant(file);
    assert.deepEqual(await at(home), COLD, `${label}: fetched again`);
    assert.deepEqual(await at(home), WARM, `${label}: the fresh document replaced it`);
  }
});

/** A HOME with a cache of our own holding the genuine entry changed by `change`. */
function homeWithEntry(change: (entry: typeof genuine.entry) => void): string {
  const home = homeWithConfig(S.url);
  mkdirSync(discoveryDir(home), { recursive: true, mode: 0o700 });
  const entry = structuredClone(genuine.entry);
  entry.expires = Date.now() + 3_600_000;
  change(entry);
  writeFileSync(join(discoveryDir(home), genuine.name), JSON.stringify(entry), { mode: 0o600 });
  return home;
}

test('11.5 a cached document naming an endpoint on another origin is not used', async () => {
  const port = new URL(S.url).port;
  const moved: [string, string][] = [
    ['access_token_endpoint', `${elsewhere.url}${ACCESS}`],
    ['mytoken_endpoint', `https://127.0.0.1:${port}/api/v0/token/my`],
    ['revocation_endpoint', `http://localhost:${port}/api/v0/token/revoke`],
    ['jwks_uri', `${elsewhere.url}/jwks`],
    ['some_future_endpoint', `${elsewhere.url}/new`],
    ['usersettings_endpoint', 'not a URL'],
  ];
  const good = homeWithEntry(() => {});
  assert.deepEqual(await at(good), WARM, 'control: the unchanged entry is used');
  for (const [key, url] of moved) {
    const home = homeWithEntry((e) => (e.document[key] = url));
    assert.deepEqual(await at(home), COLD, `${key}: ${url}`);
    assert.deepEqual(await at(home), WARM, `${key}: the fresh document is cached`);
  }
});

test('11.5 a cached document whose expiry is further ahead than a day is not used', async () => {
  const home = homeWithEntry((e) => (e.expires = Date.now() + 10 * 365 * DAY));
  assert.deepEqual(await at(home), COLD);
  const { expires } = JSON.parse(readFileSync(join(discoveryDir(home), genuine.name), 'utf8')) as { expires: number };
  assert.ok(expires <= Date.now() + DAY, 'the new entry expires within a day');
  assert.deepEqual(await at(home), WARM);
  const edge = homeWithEntry((e) => (e.expires = Date.now() + DAY - 60_000));
  assert.deepEqual(await at(edge), WARM, 'control: just under a day is used');
});

test('11.5 a fresh document naming another origin is used as the server gives it, but not cached', async () => {
  const stub = await startStubServer();
  try {
    const doc = { ...stubConfiguration(stub.url), jwks_uri: 'https://keys.example/jwks' };
    stub.on('GET', CONFIG_PATH, { status: 200, headers: { 'cache-control': 'max-age=3000' }, body: doc });
    stub.on('POST', ACCESS, { status: 200, body: { access_token: 'access-token-from-the-stub', token_type: 'Bearer' } });
    const home = homeWithConfig(stub.url);
    for (let i = 0; i < 2; i++) {
      const n = stub.requests.length;
      const r = await run(['AT', '--MT', OPAQUE_MT], { home });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'access-token-from-the-stub\n');
      assert.deepEqual(since(stub.requests, n).map((x) => `${x.method} ${x.path}`), COLD);
    }
    assert.deepEqual(tree(join(home, '.cache', 'mytoken')).filter((l) => l.startsWith('discovery/')), []);
  } finally {
    await stub.close();
  }
});

test('11.5 ~/.cache/mytoken a symlink to another user\'s folder: nothing is written there, commands work', async () => {
  const theirs = join(sharedFolder(), 'cache');
  asOtherUser(`mkdir ${q(theirs)} && chmod 777 ${q(theirs)}`);
  const home = homeWithConfig(S.url);
  mkdirSync(join(home, '.cache'));
  symlinkSync(theirs, join(home, '.cache', 'mytoken'));
  assert.deepEqual(await at(home), COLD);
  assert.deepEqual(await at(home), COLD);
  const v = await run(['--version'], { home });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^mytoken version /);
  assert.deepEqual(tree(theirs), [], 'nothing in their folder');
});
