// e2e: the configuration document's disk cache on the AT path (issue 6): cold AT 2 requests, warm
// AT 1; a corrupt, truncated, foreign or unwritable cache is ignored; moved endpoints are refetched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { run } from './helpers.mjs';
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
