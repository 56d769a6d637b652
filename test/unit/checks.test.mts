// Unit tests for the checks of issue 12: capability names, token text, JWTs that are not mytokens,
// "did you mean" suggestions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCapabilities, isCapabilityName, KNOWN_CAPABILITIES } from '../../src/request/capabilities.js';
import { closest } from '../../src/suggest.js';
import { parseCapabilities } from '../../src/request/mytoken.js';
import { foreignJwt } from '../../src/tokens/jwt.js';
import { tokenIn, tokenTextProblem } from '../../src/tokens/file-format.js';
import { tokenValue } from '../../src/tokens/source.js';

const jwt = (payload: object, header: object = { alg: 'ES512', typ: 'MT+JWT' }) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

test('12.4 capability names: the known ones, read@ of a known one, @templates; not typos, other case or unknown sub-capabilities', () => {
  for (const c of [...KNOWN_CAPABILITIES, 'read@AT', 'read@tokeninfo:history', '@tmpl', '@my-template']) assert.ok(isCapabilityName(c), c);
  for (const c of ['foo', 'at', 'Tokeninfo', 'tokeninfo:introspec', 'AT:x', 'read@read@settings', 'read@', '@', '', 'settings:', ':settings']) {
    assert.ok(!isCapabilityName(c), c);
  }
  assert.throws(() => checkCapabilities(['AT', 'tokeninfo:introspec'], '--capability'), /unknown capability 'tokeninfo:introspec'; did you mean tokeninfo:introspect\?/);
  assert.doesNotThrow(() => checkCapabilities(['brand-new'], '--capability', true));
  assert.throws(() => parseCapabilities('["AT","foo"]'), /--capability: unknown capability 'foo'/);
  assert.deepEqual(parseCapabilities('AT foo', true), ['AT', 'foo']);
});

test('12.3 closest: typos, transpositions, case; nothing when far', () => {
  const subs = ['history', 'subtokens', 'introspect', 'list-mytokens', 'notifications'];
  assert.equal(closest('introspec', subs), 'introspect');
  assert.equal(closest('histroy', subs), 'history');
  assert.equal(closest('list-mytoken', subs), 'list-mytokens');
  assert.equal(closest('HISTORY', subs), 'history');
  assert.equal(closest('foo', subs), undefined);
  assert.equal(closest('x', ['AT', 'MT']), undefined);
});

test('12.7 token text: exactly what is wrong, never the token', () => {
  assert.equal(tokenTextProblem('abc'), undefined);
  assert.equal(tokenTextProblem('abc '), 'ends with a space');
  assert.equal(tokenTextProblem(' abc'), 'starts with a space');
  assert.equal(tokenTextProblem('ab c'), 'has a space at character 3');
  assert.equal(tokenTextProblem('abc\t'), 'ends with a tab');
  assert.equal(tokenTextProblem('ab\rc'), 'has a carriage return (CR) at character 3');
  assert.equal(tokenTextProblem('a\x1bbc'), 'has a control character at character 2');
  assert.equal(tokenTextProblem('abé'), 'ends with a character that is not ASCII');
  assert.match(tokenTextProblem('a'.repeat(16 * 1024 + 1))!, /longer than 16 KiB/);
  assert.deepEqual(tokenIn('abc\r\nrest', 'first-line'), { token: 'abc' });
  assert.deepEqual(tokenIn('abc \n', 'first-line'), { why: 'holds no usable mytoken: its first line ends with a space', problem: 'ends with a space' });
  assert.equal(tokenValue('abc\n', '--MT'), 'abc');
  assert.equal(tokenValue('abc\r\n\n', '--MT'), 'abc');
  assert.throws(() => tokenValue('abc \n', '--MT'), /^UsageError: --MT ends with a space, so it is not a mytoken$/m);
  assert.throws(() => tokenValue('\n', '--MT'), /--MT is empty/);
});

test('12.7 foreignJwt: access, ID and refresh tokens are told apart from mytokens; a JWT that says nothing passes', () => {
  assert.equal(foreignJwt(jwt({ ver: '0.7', token_type: 'mytoken', iss: 'https://mt', seq_no: 1 })), undefined);
  assert.equal(foreignJwt('not-a-jwt'), undefined);
  assert.equal(foreignJwt(jwt({ iss: 'https://other' })), undefined);
  assert.deepEqual(foreignJwt(jwt({ iss: 'https://op', sub: 'u', scope: 'openid', client_id: 'c' }, { alg: 'RS256', typ: 'at+jwt' })), {
    kind: 'an OpenID Connect access token',
    iss: 'https://op',
  });
  assert.equal(foreignJwt(jwt({ iss: 'https://op' }, { alg: 'RS256', typ: 'at+jwt' }))?.kind, 'an OpenID Connect access token');
  assert.equal(foreignJwt(jwt({ iss: 'https://op', 'wlcg.ver': '1.0' }))?.kind, 'an OpenID Connect access token');
  assert.equal(foreignJwt(jwt({ iss: 'https://op', typ: 'Bearer' }))?.kind, 'an OpenID Connect access token');
  assert.equal(foreignJwt(jwt({ iss: 'https://op', nonce: 'n', azp: 'c' }))?.kind, 'an OpenID Connect ID token');
  assert.equal(foreignJwt(jwt({ iss: 'https://op', typ: 'Refresh' }))?.kind, 'an OpenID Connect refresh token');
  assert.equal(foreignJwt(jwt({ token_type: 'other' }))?.kind, "a token of type 'other'");
  assert.equal(foreignJwt(jwt({ token_type: 'a b\x1b' }))?.kind, 'a token of another type');
});
