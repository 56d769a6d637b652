// Unit tests for the cache guards (issue 11, item 5): which cached configuration documents may be
// used, and which cache folders and files are the user's own.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedDocument, endpointsOnOrigin, MAX_CACHE_SECONDS } from '../../src/api/discovery.js';
import { cachePath, MAX_ENTRY_BYTES, ownCacheFolders, readCacheEntry, writeCacheEntry } from '../../src/cache.js';

const I = 'https://mytoken.example:8443/prefix';
const doc = (extra: Record<string, unknown> = {}) => ({
  issuer: I,
  access_token_endpoint: `${I}/api/v0/token/access`,
  mytoken_endpoint: 'https://MYTOKEN.example:8443/other/path',
  jwks_uri: `${I}/jwks`,
  providers_supported: [{ issuer: 'https://op.example', token_endpoint: 'https://op.example/token' }],
  service_documentation: 'https://docs.example/',
  ...extra,
});

test('11.5 endpointsOnOrigin: every *_endpoint and jwks_uri on the instance\'s scheme, host and port', () => {
  assert.equal(endpointsOnOrigin(doc(), I), true, 'paths, case of the host, nested and other keys do not matter');
  assert.equal(endpointsOnOrigin(doc(), `${I}/`), true);
  assert.equal(endpointsOnOrigin({ a_endpoint: 'https://h.example:443/x' }, 'https://h.example'), true, 'the default port is the same port');
  assert.equal(endpointsOnOrigin({ a_endpoint: 42, b_endpoint: null, c_endpoint: ['https://e.example'] }, I), true, 'only string members count');
  const refused: [string, string][] = [
    ['access_token_endpoint', 'https://evil.example:8443/api/v0/token/access'],
    ['access_token_endpoint', 'http://mytoken.example:8443/api/v0/token/access'],
    ['access_token_endpoint', 'https://mytoken.example/api/v0/token/access'],
    ['access_token_endpoint', 'https://mytoken.example.evil.example:8443/'],
    ['revocation_endpoint', 'https://mytoken.example:8443@evil.example/'],
    ['jwks_uri', 'https://evil.example/jwks'],
    ['a_future_endpoint', 'https://evil.example/'],
    ['usersettings_endpoint', 'not a URL'],
    ['usersettings_endpoint', '/api/v0/settings'],
    ['tokeninfo_endpoint', 'file:///etc/passwd'],
    ['tokeninfo_endpoint', ''],
  ];
  for (const [key, url] of refused) assert.equal(endpointsOnOrigin(doc({ [key]: url }), I), false, `${key}: ${url}`);
  assert.equal(endpointsOnOrigin({}, 'not a URL'), false, 'an instance that is no http(s) URL has no origin');
  assert.equal(endpointsOnOrigin({ a_endpoint: 'file:///x' }, 'file:///y'), false);
});

test('11.5 cachedDocument: the right URL, not expired, expiring within the cap, endpoints on the origin', () => {
  const now = 1_800_000_000_000;
  const url = `${I}/.well-known/mytoken-configuration`;
  const entry = (e: Record<string, unknown>) => ({ url, expires: now + 60_000, document: doc(), ...e }) as never;
  assert.deepEqual(cachedDocument(entry({}), url, I, now), doc());
  assert.ok(cachedDocument(entry({ expires: now + MAX_CACHE_SECONDS * 1000 }), url, I, now), 'exactly the cap');
  for (const [label, e] of Object.entries({
    'over the cap': entry({ expires: now + MAX_CACHE_SECONDS * 1000 + 1 }),
    'ten years ahead': entry({ expires: now + 10 * 365 * 86_400_000 }),
    expired: entry({ expires: now }),
    'expiry not a number': entry({ expires: String(now + 1000) }),
    'another URL': entry({ url: 'https://other.example/.well-known/mytoken-configuration' }),
    'another origin': entry({ document: doc({ access_token_endpoint: 'https://evil.example/at' }) }),
    'no document': entry({ document: undefined }),
    'a list': entry({ document: [] }),
    'a string': entry({ document: 'x' }),
  })) {
    assert.equal(cachedDocument(e, url, I, now), undefined, label);
  }
  assert.equal(cachedDocument(undefined, url, I, now), undefined);
});

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
/** A fresh XDG_CACHE_HOME and the file of one discovery entry in it. */
function fresh(): { env: Record<string, string>; file: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), 'mytoken-unit-'));
  made.push(base);
  const env = { XDG_CACHE_HOME: join(base, 'missing', 'parents') };
  const file = cachePath(env, 'discovery', 'https://x.example/.well-known/mytoken-configuration')!;
  return { env, file, root: join(env.XDG_CACHE_HOME, 'mytoken') };
}
const mode = (p: string) => statSync(p).mode & 0o777;

test('11.5 cache entries: folders made 0700, an entry read back only from folders and files of our own', () => {
  const { file, root } = fresh();
  assert.equal(readCacheEntry(file), undefined, 'nothing yet');
  assert.equal(ownCacheFolders(file), false, 'not made by a reader');
  writeCacheEntry(file, { a: 1 });
  assert.equal(mode(root), 0o700);
  assert.equal(mode(join(file, '..')), 0o700);
  assert.equal(mode(file), 0o600);
  assert.deepEqual(readCacheEntry(file), { a: 1 });

  chmodSync(file, 0o644);
  assert.deepEqual(readCacheEntry(file), { a: 1 }, 'readable by others is fine');
  chmodSync(file, 0o664);
  assert.equal(readCacheEntry(file), undefined, 'writable by the group');
  chmodSync(file, 0o600);

  for (const dir of [root, join(file, '..')]) {
    chmodSync(dir, 0o777);
    assert.equal(readCacheEntry(file), undefined, `${dir} mode 0777: our own file in it is not read`);
    writeCacheEntry(file, { a: 2 });
    assert.equal(mode(dir), 0o777, 'a folder with a bad mode is not "fixed"');
    chmodSync(dir, 0o700);
    assert.deepEqual(readCacheEntry(file), { a: 1 }, 'and nothing was written in it');
  }
});

test('11.5 cache entries: a symlinked cache root or entry is not used; a damaged or oversized entry is ignored', () => {
  const { file, root } = fresh();
  writeCacheEntry(file, { a: 1 });
  const other = mkdtempSync(join(tmpdir(), 'mytoken-unit-'));
  made.push(other);
  const link = cachePath({ XDG_CACHE_HOME: other }, 'discovery', 'https://x.example/.well-known/mytoken-configuration')!;
  symlinkSync(root, join(other, 'mytoken'));
  assert.equal(readCacheEntry(link), undefined, 'the cache root is a symlink (to our own good cache)');
  writeCacheEntry(link, { b: 1 });
  assert.deepEqual(readCacheEntry(file), { a: 1 });

  const twin = join(file, '..', 'twin.json');
  symlinkSync(file, twin);
  assert.equal(readCacheEntry(twin), undefined, 'the entry is a symlink');

  writeFileSync(file, '{"a":');
  assert.equal(readCacheEntry(file), undefined, 'not JSON');
  writeFileSync(file, JSON.stringify({ pad: 'x'.repeat(MAX_ENTRY_BYTES) }));
  assert.equal(readCacheEntry(file), undefined, 'larger than the cap');
  writeCacheEntry(file, { pad: 'y'.repeat(MAX_ENTRY_BYTES) });
  assert.match(readFileSync(file, 'utf8'), /^\{"pad":"x/, 'an entry over the cap is not written');

  const blocked = fresh();
  mkdirSync(join(blocked.env.XDG_CACHE_HOME, '..'), { recursive: true });
  writeFileSync(blocked.env.XDG_CACHE_HOME, 'a file where a folder should be');
  writeCacheEntry(blocked.file, { a: 1 });
  assert.equal(readCacheEntry(blocked.file), undefined, 'a file where the cache root should be');
});
