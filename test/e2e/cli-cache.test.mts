// e2e: the client's disk caches (issue 6). The configuration document's on the AT path: cold AT 2
// requests, warm AT 1; a corrupt, truncated, foreign or unwritable cache is ignored; moved endpoints
// are refetched. The parsed config file's: an edit takes effect at once, damage is ignored. The
// bundle's compiled code (bin/mytoken on a Node without a compile cache of its own): damage is ignored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { BINARY, run } from './helpers.mjs';
import { CONFIG_PATH, homeWithConfig, removeHomes, since } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;
const ACCESS = '/api/v0/token/access';

let S: LocalServer;
let token: string;

before(async () => {
  S = await startLocalServer({ interval: 1, discoveryMaxAge: 3000 });
  token = (await S.mint({ capabilities: ['AT'] })).mytoken as string;
});
after(async () => {
  removeHomes();
  await S?.close();
});

const cacheDir = (home: string) => join(home, '.cache', 'mytoken', 'discovery');
const cacheFile = (home: string) => join(cacheDir(home), readdirSync(cacheDir(home))[0]!);

/** Runs AT and returns the requests it made, as "METHOD path". */
async function at(home: string): Promise<string[]> {
  const n = S.requests.length;
  const r = await run(['AT', '--MT', token], { home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr');
  assert.match(r.stdout, /^\S+\n$/);
  return since(S.requests, n).map((q) => `${q.method} ${q.path}`);
}

const COLD = [`GET ${CONFIG_PATH}`, `POST ${ACCESS}`];
const WARM = [`POST ${ACCESS}`];

test('6/1 cold AT makes 2 requests, warm AT 1', async () => {
  const home = homeWithConfig(S.url);
  assert.deepEqual(await at(home), COLD);
  assert.deepEqual(await at(home), WARM);
  assert.deepEqual(await at(home), WARM);
});

test('6/1 a corrupt or truncated cache file is ignored and replaced', async () => {
  for (const damage of [() => 'garbage \u0000 not json', (t: string) => t.slice(0, Math.floor(t.length / 2)), () => '']) {
    const home = homeWithConfig(S.url);
    await at(home);
    const file = cacheFile(home);
    writeFileSync(file, damage(readFileSync(file, 'utf8')));
    assert.deepEqual(await at(home), COLD, 'the document is fetched again');
    assert.deepEqual(await at(home), WARM, 'and cached again');
  }
});

test('6/1 a cache entry of another server is not used', async () => {
  const home = homeWithConfig(S.url);
  await at(home);
  const file = cacheFile(home);
  const entry = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
  entry.url = 'https://elsewhere.example/.well-known/mytoken-configuration';
  writeFileSync(file, JSON.stringify(entry));
  assert.deepEqual(await at(home), COLD);
});

test('6/1 an unwritable cache is no error: every AT just fetches the document', async () => {
  const home = homeWithConfig(S.url);
  writeFileSync(join(home, '.cache'), 'a file where the cache folder should be\n');
  assert.deepEqual(await at(home), COLD);
  assert.deepEqual(await at(home), COLD);
});

test('6/1 endpoints that moved: a cached endpoint answering 404 makes one retry with a fresh document', async () => {
  const home = homeWithConfig(S.url);
  await at(home);
  const file = cacheFile(home);
  const entry = JSON.parse(readFileSync(file, 'utf8')) as { document: Record<string, string> };
  entry.document.access_token_endpoint = `${S.url}/api/v0/token/moved-away`;
  writeFileSync(file, JSON.stringify(entry));
  assert.deepEqual(await at(home), ['POST /api/v0/token/moved-away', `GET ${CONFIG_PATH}`, `POST ${ACCESS}`]);
  assert.deepEqual(await at(home), WARM, 'the fresh document is cached');
});

const configCache = (home: string) => join(home, '.cache', 'mytoken', 'config');
const onlyFile = (dir: string) => {
  const names = readdirSync(dir);
  assert.equal(names.length, 1, `one file in ${dir}: ${names.join(', ')}`);
  return join(dir, names[0]!);
};

test('6/2 the parsed config is cached, and an edit of the config file takes effect at once', async () => {
  const home = homeWithConfig(S.url, `providers:\n  first: ${S.issuer}\n`);
  const list = async () => {
    const r = await run(['list', 'providers'], { home });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.match(await list(), /first/);
  const entry = JSON.parse(readFileSync(onlyFile(configCache(home)), 'utf8')) as { data: Record<string, unknown> };
  assert.deepEqual(entry.data, { instance: S.url, providers: { first: S.issuer } });
  const config = join(home, '.config', 'mytoken', 'config.yaml');
  writeFileSync(config, `instance: "${S.url}"\nproviders:\n  second: ${S.issuer}\n`);
  const edited = await list();
  assert.match(edited, /second/, 'the edited file is read');
  assert.doesNotMatch(edited, /first/);
  writeFileSync(config, `instance: "${S.url}"\nproviders: [\n`);
  const broken = await run(['list', 'providers'], { home });
  assert.equal(broken.status, 2, broken.stderr);
  assert.match(broken.stderr, /config\.yaml, line \d: not valid YAML/, 'the error still names the line');
});

test('6/2 a damaged config cache entry is ignored and replaced', async () => {
  for (const damage of ['{"file": 1', '[]', '{"file":"x","text":"y","data":{"instance":"http://127.0.0.1:1"}}']) {
    const home = homeWithConfig(S.url);
    await at(home);
    const file = onlyFile(configCache(home));
    writeFileSync(file, damage);
    assert.deepEqual(await at(home), WARM, `after ${damage}`);
    const text = readFileSync(join(home, '.config', 'mytoken', 'config.yaml'), 'utf8');
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { text: string }).text, text, 'rewritten for the config file as it is');
  }
});

test('6/2 a config whose keys have the wrong types is refused even when an earlier version was cached', async () => {
  const home = homeWithConfig(S.url);
  await at(home);
  writeFileSync(join(home, '.config', 'mytoken', 'config.yaml'), `instance: "${S.url}"\nuse_wlcg_token_discovery: maybe\n`);
  const r = await run(['AT', '--MT', token], { home });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /line 2: use_wlcg_token_discovery must be true or false/);
});

const ownCompileCache = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
test('6/2 bin/mytoken keeps a code cache of the bundle; a damaged one is ignored and rewritten', { skip: (BINARY || ownCompileCache) && 'only bin/mytoken on a Node without its own compile cache' }, async () => {
  const home = homeWithConfig(S.url);
  await at(home);
  const dir = join(home, '.cache', 'mytoken', 'code');
  const file = onlyFile(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const size = statSync(file).size;
  assert.ok(size > 10_000, `a code cache of ${size} bytes`);
  for (const damage of ['', 'not a code cache', readFileSync(file).subarray(0, 100).toString('latin1')]) {
    writeFileSync(file, damage, 'latin1');
    assert.deepEqual(await at(home), WARM, 'the run is unaffected');
    assert.ok(statSync(onlyFile(dir)).size > 10_000, 'and the cache is written again');
  }
});
