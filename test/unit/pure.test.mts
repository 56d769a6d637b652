// Unit tests for the client's pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { normalizeArgv } from '../../src/cli/argv.js';
import { parseBool } from '../../src/cli/flags.js';
import { cacheSeconds, configurationUrl, sameIssuer, MAX_CACHE_SECONDS } from '../../src/api/discovery.js';
import { configCandidates, parseConfig, resolveProvider, DEFAULT_INSTANCE } from '../../src/config/config.js';
import { parseCapabilities, prefixedName, responseType, newTokenRequest } from '../../src/request/mytoken.js';
import { firstLine, replaceFirstLine } from '../../src/tokens/file-format.js';
import { decodeJwtPayload, issuerOf, mayRotate } from '../../src/tokens/jwt.js';
import { wlcgFiles, discoverWlcg } from '../../src/tokens/source.js';
import { serverErrorStatus } from '../../src/errors.js';
import { cacheDir, cachePath } from '../../src/cache.js';

const flags = new Map([
  ['MT', { takesValue: true }],
  ['MT-file', { takesValue: true }],
  ['oidc', { takesValue: false }],
  ['scope', { takesValue: true }],
]);

test('17.1/13 argv: one-dash long flags become two-dash flags', () => {
  assert.deepEqual(normalizeArgv(['AT', '-MT', 'x', '-MT-file=f'], flags), ['AT', '--MT', 'x', '--MT-file=f']);
});

test('argv: the value of a flag is taken even when it starts with a dash', () => {
  assert.deepEqual(normalizeArgv(['--MT', '-oidc', '-oidc'], flags), ['--MT', '-oidc', '--oidc']);
});

test('argv: booleans with =VALUE follow Go ParseBool; false drops the flag; junk is a usage error', () => {
  assert.deepEqual(normalizeArgv(['--oidc=true', 'x'], flags), ['--oidc', 'x']);
  assert.deepEqual(normalizeArgv(['--oidc=F'], flags), []);
  assert.throws(() => normalizeArgv(['--oidc=maybe'], flags), /invalid value "maybe" for --oidc/);
});

test('argv: single-letter flags, unknown flags and everything after -- are left alone', () => {
  assert.deepEqual(normalizeArgv(['-s', 'a', '-x', '--', '-MT'], flags), ['-s', 'a', '-x', '--', '-MT']);
});

test('parseBool accepts exactly the Go spellings', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseBool(t), true);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseBool(f), false);
  for (const x of ['yes', '', 'tRUE']) assert.equal(parseBool(x), undefined);
});

test('discovery URL gets exactly one slash before .well-known', () => {
  assert.equal(configurationUrl('https://a.example'), 'https://a.example/.well-known/mytoken-configuration');
  assert.equal(configurationUrl('https://a.example/'), 'https://a.example/.well-known/mytoken-configuration');
});

test('17.3/40 issuers equal up to one trailing slash', () => {
  assert.ok(sameIssuer('https://a', 'https://a/'));
  assert.ok(!sameIssuer('https://a', 'https://b'));
});

test('Cache-Control: max-age is honoured up to the bound; no-store and no-cache mean no caching', () => {
  assert.equal(cacheSeconds('public, max-age=300'), 300);
  assert.equal(cacheSeconds('max-age=99999999'), MAX_CACHE_SECONDS);
  assert.equal(cacheSeconds('no-store'), 0);
  assert.equal(cacheSeconds('max-age=60, no-cache'), 0);
  assert.equal(cacheSeconds(undefined), 0);
});

test('config: defaults, <hostname>, null clears lists but keeps scalars', () => {
  const c = parseConfig('', 'c.yaml');
  assert.equal(c.instance, DEFAULT_INSTANCE);
  assert.deepEqual(c.defaultTokenCapabilities, ['AT', 'tokeninfo']);
  assert.equal(c.tokenNamePrefix, hostname());
  assert.equal(c.useWlcgTokenDiscovery, true);
  const d = parseConfig('instance:\ntoken_name_prefix: "x-<hostname>"\ndefault_token_capabilities:\nproviders:\n', 'c.yaml');
  assert.equal(d.instance, DEFAULT_INSTANCE);
  assert.equal(d.tokenNamePrefix, `x-${hostname()}`);
  assert.deepEqual(d.defaultTokenCapabilities, []);
  assert.deepEqual(d.providers, {});
  assert.equal(parseConfig('token_name_prefix: ""', 'c.yaml').tokenNamePrefix, '');
});

test('17.2/26 config: broken YAML is a usage error naming file and line', () => {
  assert.throws(() => parseConfig('a: 1\ninstance: [\n', '/x/c.yaml'), (e: Error & { exitStatus?: number }) => {
    assert.match(e.message, /\/x\/c\.yaml, line \d+/);
    assert.equal(e.exitStatus, 2);
    return true;
  });
});

test('config: a value of the wrong type names the key and line', () => {
  assert.throws(() => parseConfig('instance: x\nuse_wlcg_token_discovery: maybe\n', 'c.yaml'), /c\.yaml, line 2: use_wlcg_token_discovery must be true or false/);
  assert.throws(() => parseConfig('providers: [a]\n', 'c.yaml'), /providers must be/);
});

test('config candidates: XDG_CONFIG_HOME first, then ~/.config, then ~/.mytoken', () => {
  assert.deepEqual(configCandidates({ HOME: '/h', XDG_CONFIG_HOME: '/x' }), [
    '/x/mytoken/config.yaml',
    '/h/.config/mytoken/config.yaml',
    '/h/.mytoken/config.yaml',
  ]);
});

test('providers: URLs are taken as they are, short names looked up, unknown names are usage errors', () => {
  const cfg = parseConfig('providers:\n  egi: https://aai.egi.eu\n', 'c.yaml');
  assert.equal(resolveProvider('egi', cfg), 'https://aai.egi.eu');
  assert.equal(resolveProvider('http://127.0.0.1:3000', cfg), 'http://127.0.0.1:3000');
  assert.throws(() => resolveProvider('nosuch', cfg), /unknown provider 'nosuch'/);
});

test('17.5/55 capabilities: spaces, JSON arrays, templates; duplicates dropped', () => {
  assert.deepEqual(parseCapabilities('AT tokeninfo AT'), ['AT', 'tokeninfo']);
  assert.deepEqual(parseCapabilities('["AT"]'), ['AT']);
  assert.deepEqual(parseCapabilities('@tmpl'), ['@tmpl']);
  assert.deepEqual(parseCapabilities('"AT  tokeninfo"'), ['AT', 'tokeninfo']);
  assert.equal(parseCapabilities(''), undefined);
  assert.throws(() => parseCapabilities('[1]'), /array of capability names/);
  assert.throws(() => parseCapabilities('[AT'), /not valid JSON/);
});

test('17.5/52 token types map to response types', () => {
  assert.equal(responseType('short'), 'short_token');
  assert.equal(responseType('transfer'), 'transfer_code');
  assert.equal(responseType('token'), 'token');
  // issue 12.4: anything else is refused (a server would answer a typo with a full JWT)
  for (const bad of ['foo', 'transfr', 'jwt', '', 'short_token', 'toString', '__proto__']) {
    assert.throws(() => responseType(bad), (e: Error & { exitStatus?: number }) => e.exitStatus === 2 && /give token, short or transfer/.test((e as { hint?: string }).hint ?? ''), bad);
  }
});

test('17.5/51 names get the prefix and a colon', () => {
  assert.equal(prefixedName('job', 'laptop'), 'laptop:job');
  assert.equal(prefixedName('job', ''), 'job');
  assert.equal(prefixedName(undefined, 'laptop'), undefined);
  const req = newTokenRequest({ name: 'job', tokenType: 'token', namePrefix: 'p' }, { now: 0, env: {} });
  assert.deepEqual(Object.keys(req), ['name', 'response_type', 'application_name']);
  assert.equal(req.application_name, `mytoken client on ${hostname()}`);
});

test('17.3/28 token files: the first line, a CR before the newline dropped; the rest kept on write-back', () => {
  assert.equal(firstLine('tok\nsecond\n'), 'tok');
  assert.equal(firstLine('tok\r\n'), 'tok');
  assert.equal(firstLine('tok'), 'tok');
  assert.equal(replaceFirstLine('old\n# note\n', 'new'), 'new\n# note\n');
  assert.equal(replaceFirstLine('old', 'new'), 'new');
  assert.equal(replaceFirstLine('old\n', 'new'), 'new\n');
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('JWT: iss and rotation are read without verifying; anything else is not a JWT', () => {
  const jwt = `${b64({ alg: 'ES512' })}.${b64({ iss: 'https://s', rotation: { on_AT: true } })}.sig`;
  assert.equal(issuerOf(jwt), 'https://s');
  assert.equal(mayRotate(jwt), true);
  assert.equal(mayRotate(`${b64({ alg: 'ES512' })}.${b64({ iss: 'https://s', rotation: { lifetime: 10 } })}.`), false);
  assert.equal(mayRotate(`${b64({ alg: 'ES512' })}.${b64({ iss: 'https://s' })}.x`), false);
  assert.equal(decodeJwtPayload('abc'), undefined);
  assert.equal(decodeJwtPayload('a.b.c'), undefined);
  assert.equal(mayRotate('shorttokenshorttokenshorttokenshorttoken'), true);
});

test('17.3/34 WLCG discovery order (mt_u before bt_u, runtime dir before /tmp)', () => {
  assert.deepEqual(wlcgFiles({ BEARER_TOKEN_FILE: '/f', XDG_RUNTIME_DIR: '/run/u' }, 7), [
    '/f',
    '/run/u/mt_u7',
    '/run/u/bt_u7',
    '/tmp/mt_u7',
    '/tmp/bt_u7',
  ]);
  assert.deepEqual(wlcgFiles({}, 7), ['/tmp/mt_u7', '/tmp/bt_u7']);
  assert.deepEqual(discoverWlcg({ BEARER_TOKEN: 'tok' }, 7), { token: 'tok', origin: '$BEARER_TOKEN' });
});

test('server errors map to the documented exit statuses', () => {
  assert.equal(serverErrorStatus(401, 'invalid_token'), 3);
  assert.equal(serverErrorStatus(403, 'usage_restricted'), 3);
  assert.equal(serverErrorStatus(428, 'access_denied'), 3);
  assert.equal(serverErrorStatus(400, 'invalid_request'), 1);
  assert.equal(serverErrorStatus(400, 'invalid_request', 'requested restrictions are not subset of original restrictions'), 3);
  assert.equal(serverErrorStatus(502, ''), 4);
  assert.equal(serverErrorStatus(555, 'oidc_error'), 4);
});

test('cache files: XDG_CACHE_HOME before HOME; readable, file-name-safe names; long keys shortened with a hash', () => {
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/mytoken');
  assert.equal(cacheDir({ HOME: '/h' }), '/h/.cache/mytoken');
  assert.equal(cacheDir({}), undefined);
  assert.equal(cachePath({}, 'discovery', 'https://a'), undefined);
  assert.equal(
    cachePath({ HOME: '/h' }, 'discovery', 'https://mytoken.example:8443/.well-known/mytoken-configuration'),
    '/h/.cache/mytoken/discovery/https_mytoken.example_8443_.well-known_mytoken-configuration.json',
  );
  assert.equal(cachePath({ HOME: '/h' }, 'config', '/home/u/.config/mytoken/config.yaml'), '/h/.cache/mytoken/config/_home_u_.config_mytoken_config.yaml.json');
  const long = (tail: string) => cachePath({ HOME: '/h' }, 'discovery', `https://x.example/${'a'.repeat(200)}${tail}`)!;
  assert.ok(long('1').length < 140, long('1'));
  assert.notEqual(long('1'), long('2'), 'keys that differ only after the cut get different files');
  assert.equal(long('1'), long('1'));
  assert.ok(!cachePath({ HOME: '/h' }, 'k', '../../etc/passwd')!.slice('/h/.cache/mytoken/k/'.length).includes('/'), 'no path separators from the key');
});
